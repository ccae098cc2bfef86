package dev.ltx4j.simulator.workload;

import dev.ltx4j.pagestore.BufferDamagedException;
import dev.ltx4j.pagestore.BufferRecovery;
import dev.ltx4j.pagestore.BufferFullException;
import dev.ltx4j.pagestore.Durability;
import dev.ltx4j.pagestore.WriteBuffer;
import dev.ltx4j.simulator.FaultKind;
import dev.ltx4j.simulator.FaultPlan;
import dev.ltx4j.simulator.Seeds;
import dev.ltx4j.simulator.World;
import dev.ltx4j.simulator.disk.SimDisk;
import dev.ltx4j.simulator.property.Gen;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * The "log writer" workload: transactions of page writes committed into pagestore's {@link WriteBuffer} on a
 * {@link SimDisk}, periodic syncs (snapshot, apply to a model replica, markSynced) and crashes at random points.
 *
 * <p>Oracle, after every recovery (crash, or reopen after an injected I/O failure): the buffer's recovered
 * sequence number {@code s} is one that was issued, the database it shows (its pages over the model replica's)
 * equals the reference model after transaction {@code s} exactly (a committed prefix, never a partial or
 * corrupt transaction), and {@code s} is at least the last acknowledged durable transaction: with
 * {@link Durability#LOCAL} every commit that returned, with {@link Durability#NONE} only what a sync or recovery
 * made durable. Violations are {@code durability} and {@code committed-prefix}.
 *
 * <p>With {@link FaultKind#DISK_FULL} a write of a commit may land in part and find the disk full: that commit
 * fails ({@link BufferFullException}), the buffer stays at the commit before and takes the next commit without a
 * reopen; the recovery oracle then shows whether the partial records were really cut off.
 *
 * <p>With {@link FaultKind#BIT_ROT} a crash of a LOCAL run may also flip a bit inside the page records of an
 * acknowledged transaction that a later acknowledged commit vouches for. Restart must then refuse the buffer
 * ({@link BufferDamagedException}) and leave it byte for byte, and the explicit
 * {@link BufferRecovery#TRUNCATE_DAMAGED} must keep a copy and recover the committed prefix before the damage
 * (the model then drops the transactions after it, by that explicit choice). Violation: {@code damage-reported}.
 * One run and its oracle: {@link LogWriterRun}.
 */
public final class LogWriterScenario implements Scenario<LogWriterScenario.Action> {
    /** Page size of the simulated database (small keeps runs fast). */
    public static final int PAGE_SIZE = 512;
    /** Highest page number written. */
    public static final int MAX_PGNO = 24;

    /** One workload step. */
    public sealed interface Action permits Commit, Sync, Crash, Idle {}

    /** Writes page {@code pgno} with contents derived from {@code fill}. */
    public record PageWrite(int pgno, long fill) {
        @Override
        public String toString() {
            return pgno + ":" + Long.toHexString(fill & 0xffff);
        }
    }

    /** One transaction; {@code shrink} halves the database instead of growing it to the pages written. */
    public record Commit(List<PageWrite> writes, boolean shrink) implements Action {
        @Override
        public String toString() {
            return "commit" + writes + (shrink ? " shrink" : "");
        }
    }

    /** Upload everything committed to the model replica, then markSynced. */
    public record Sync() implements Action {
        @Override
        public String toString() {
            return "sync";
        }
    }

    /** Power loss, then restart and recovery. */
    public record Crash() implements Action {
        @Override
        public String toString() {
            return "crash";
        }
    }

    /** Let simulated time pass. */
    public record Idle(int millis) implements Action {
        @Override
        public String toString() {
            return "idle " + millis + "ms";
        }
    }

    private final Set<Bug> bugs;

    public LogWriterScenario() {
        this(EnumSet.noneOf(Bug.class));
    }

    /**
     * With bug switches ({@link Bug#SKIP_FSYNC}, {@link Bug#NONE_AS_LOCAL}, {@link Bug#SILENT_BUFFER_TRUNCATION},
     * {@link Bug#KEEP_TORN_TAIL_AFTER_FULL_DISK}, {@link Bug#ZERO_TAIL_ON_REUSED_FILE});
     * others are ignored.
     */
    public LogWriterScenario(Set<Bug> bugs) {
        this.bugs = bugs.isEmpty() ? EnumSet.noneOf(Bug.class) : EnumSet.copyOf(bugs);
    }

    @Override
    public String name() {
        return "log-writer";
    }

    @Override
    public Gen<Action> action(FaultPlan faults) {
        Gen<PageWrite> write = r -> new PageWrite(1 + r.nextInt(MAX_PGNO), r.nextLong());
        Gen<Action> commit = r -> {
            int n = 1 + r.nextInt(6);
            List<PageWrite> ws = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                ws.add(write.generate(r));
            }
            return new Commit(List.copyOf(ws), r.nextInt(12) == 0);
        };
        int crashWeight = (int) Math.round(faults.probability(FaultKind.CRASH) * 100);
        Gen<Action> g = Gen.frequency(
                Gen.weighted(60, commit),
                Gen.weighted(10, r -> new Sync()),
                Gen.weighted(crashWeight, r -> new Crash()),
                Gen.weighted(8, r -> new Idle(1 + r.nextInt(50))));
        return g.withSimplifier(a -> {
            if (a instanceof Commit c && (c.writes().size() > 1 || c.shrink())) {
                return List.of(new Commit(List.of(c.writes().get(0)), false));
            }
            if (a instanceof Idle i && i.millis() > 1) {
                return List.of(new Idle(1));
            }
            return List.of();
        });
    }

    @Override
    public void run(World world, List<Action> actions) throws Exception {
        new LogWriterRun(world, bugs).execute(actions);
    }

    /**
     * The size of the page record at {@code record} of buffer bytes {@code file}: a 'Z' record (format 2) is as long as
     * its block says, so a flip drawn in it never lands in the next record (a compressible page makes it short).
     */
    static int recordSize(byte[] file, long record) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(file);
        int at = Math.toIntExact(record);
        return b.get(at) == 'Z' ? 20 + b.getInt(at + 8) + 4 : 12 + PAGE_SIZE;
    }

    static byte[] page(long fill) {
        byte[] p = new byte[PAGE_SIZE];
        long x = fill;
        for (int i = 0; i < PAGE_SIZE; i += 8) {
            x = Seeds.mix(x + i);
            for (int k = 0; k < 8; k++) {
                p[i + k] = (byte) (x >>> (8 * k));
            }
        }
        return p;
    }
}
