package dev.ltx4j.simulator.workload;

import static dev.ltx4j.simulator.workload.LogWriterScenario.MAX_PGNO;
import static dev.ltx4j.simulator.workload.LogWriterScenario.PAGE_SIZE;
import static dev.ltx4j.simulator.workload.LogWriterScenario.page;
import static dev.ltx4j.simulator.workload.LogWriterScenario.recordSize;

import dev.ltx4j.pagestore.BufferCorruptException;
import dev.ltx4j.pagestore.BufferDamagedException;
import dev.ltx4j.pagestore.BufferFaults;
import dev.ltx4j.pagestore.BufferFullException;
import dev.ltx4j.pagestore.BufferRecovery;
import dev.ltx4j.pagestore.CommittedTransaction;
import dev.ltx4j.pagestore.Durability;
import dev.ltx4j.pagestore.SyncSnapshot;
import dev.ltx4j.pagestore.WriteBuffer;
import dev.ltx4j.pagestore.WriteBufferOptions;
import dev.ltx4j.pagestore.WriteTransaction;
import dev.ltx4j.simulator.FaultKind;
import dev.ltx4j.simulator.InvariantViolation;
import dev.ltx4j.simulator.Seeds;
import dev.ltx4j.simulator.SimRandom;
import dev.ltx4j.simulator.World;
import dev.ltx4j.simulator.disk.SimDisk;
import dev.ltx4j.simulator.workload.LogWriterScenario.Action;
import dev.ltx4j.simulator.workload.LogWriterScenario.Commit;
import dev.ltx4j.simulator.workload.LogWriterScenario.Crash;
import dev.ltx4j.simulator.workload.LogWriterScenario.Idle;
import dev.ltx4j.simulator.workload.LogWriterScenario.PageWrite;
import dev.ltx4j.simulator.workload.LogWriterScenario.Sync;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;

/**
 * One run of the {@link LogWriterScenario} (the workload and its properties are described there): the write buffer
 * on a simulated disk, the reference model of its transactions, a model replica, and the recovery oracle.
 */
final class LogWriterRun {
    private static final String BUFFER = "db.buffer";

    /** Database contents after one transaction of the model. */
    private record State(TreeMap<Integer, byte[]> pages, long size) {}

    private final Set<Bug> bugs;
    private final World world;
    private final SimDisk disk;
    private final WriteBufferOptions options;
    private final WriteBufferOptions recoverDamaged;
    private final boolean oracleLocal;
    private final boolean rotAllowed;
    private final SimRandom rot;
    /** Set by a bit flip until the next recovery: where, in which acknowledged transaction, and the bytes. */
    private long rotOffset = -1;
    private long rotSeq;
    private byte[] rotBytes;
    private final List<State> states = new ArrayList<>();
    private final TreeMap<Integer, byte[]> replica = new TreeMap<>();
    private long replicaTxid;
    /** Last transaction the model replica holds (uploaded, even if markSynced then failed). */
    private long replicaSeq;
    private long acked;
    private WriteBuffer buffer;
    /** Set from a crash that lost, tore and flipped nothing until its recovery. */
    private boolean keptAll;

    LogWriterRun(World world, Set<Bug> bugs) {
        this.world = world;
        this.bugs = bugs;
        this.disk = new SimDisk(world);
        disk.setSkipFsync(bugs.contains(Bug.SKIP_FSYNC));
        disk.newDirectory(); // the buffer directory is created with the buffer (SecureFiles, the default path)
        disk.enableFullDisk();
        SimRandom config = world.random("log-writer/config");
        Durability durability;
        if (bugs.contains(Bug.NONE_AS_LOCAL)) {
            durability = Durability.NONE;
        } else if (bugs.contains(Bug.SKIP_FSYNC)) {
            durability = Durability.LOCAL;
        } else {
            durability = config.nextBoolean() ? Durability.LOCAL : Durability.NONE;
        }
        this.oracleLocal = durability != Durability.NONE || bugs.contains(Bug.NONE_AS_LOCAL);
        long bufferSeed = config.nextLong();
        BufferFaults faults = new BufferFaults(bugs.contains(Bug.SILENT_BUFFER_TRUNCATION),
                bugs.contains(Bug.KEEP_TORN_TAIL_AFTER_FULL_DISK), bugs.contains(Bug.ZERO_TAIL_ON_REUSED_FILE), false,
                bugs.contains(Bug.SKIP_DIRECTORY_ENTRY_SYNC));
        this.options = WriteBufferOptions.builder().pageSize(PAGE_SIZE).durability(durability)
                .clock(world.clock()).random(() -> new SimRandom(bufferSeed)).stagingBytes(16 * 1024)
                .faults(faults).build();
        this.recoverDamaged = WriteBufferOptions.builder().pageSize(PAGE_SIZE).durability(durability)
                .clock(world.clock()).random(() -> new SimRandom(bufferSeed)).stagingBytes(16 * 1024)
                .recovery(BufferRecovery.TRUNCATE_DAMAGED).faults(faults).build();
        // Only LOCAL runs promise that acknowledged commits (the vouching ones included) survive a crash.
        this.rotAllowed = durability == Durability.LOCAL && !bugs.contains(Bug.SKIP_FSYNC)
                && world.faults().enabled(FaultKind.BIT_ROT);
        this.rot = world.random("log-writer/bit-rot");
        world.record("log-writer", "durability " + durability + (bugs.isEmpty() ? "" : " bugs " + bugs));
        states.add(new State(new TreeMap<>(), 0));
    }

    void execute(List<Action> actions) throws Exception {
        executeSteps(actions);
    }

    private void executeSteps(List<Action> actions) throws Exception {
        reopen("start");
        int[] next = {0};
        world.scheduler().every(Duration.ofMillis(1), "writer", "step", now -> {
            if (next[0] >= actions.size()) {
                world.scheduler().stop();
                return;
            }
            Action a = actions.get(next[0]++);
            world.record("writer", a.toString());
            apply(a);
            world.stats().operations(1);
        });
        world.scheduler().run(Long.MAX_VALUE, Long.MAX_VALUE);
        if (world.faults().enabled(FaultKind.CRASH)) {
            crash();
        } else {
            closeQuietly();
            reopen("final reopen");
        }
        closeQuietly();
    }

    private void apply(Action a) throws Exception {
        if (a instanceof Commit c) {
            commit(c);
        } else if (a instanceof Sync) {
            sync();
        } else if (a instanceof Crash) {
            crash();
        } else if (a instanceof Idle i) {
            world.clock().advance(Duration.ofMillis(i.millis()));
        }
    }

    private State last() {
        return states.get(states.size() - 1);
    }

    private void commit(Commit c) throws Exception {
        State prev = last();
        int maxPgno = 0;
        for (PageWrite w : c.writes()) {
            maxPgno = Math.max(maxPgno, w.pgno());
        }
        long size = c.shrink() ? Math.max(1, prev.size() / 2) : Math.max(prev.size(), maxPgno);
        // Like SQLite, growing the database writes every new page (a page cut off earlier comes back rewritten).
        List<PageWrite> writes = new ArrayList<>(c.writes());
        for (long p = prev.size() + 1; p <= size; p++) {
            writes.add(new PageWrite((int) p, Seeds.child(c.writes().get(0).fill(), p)));
        }
        TreeMap<Integer, byte[]> pages = new TreeMap<>(prev.pages());
        for (PageWrite w : writes) {
            pages.put(w.pgno(), page(w.fill()));
        }
        pages.tailMap((int) size, false).clear();
        State next = new State(pages, size);
        long expectedSeq = states.size();
        WriteTransaction tx = null;
        try {
            tx = buffer.begin();
            for (PageWrite w : writes) {
                tx.writePage(w.pgno(), page(w.fill()));
            }
            long seq = tx.commit(size);
            tx = null;
            states.add(next);
            if (seq != expectedSeq) {
                throw new InvariantViolation("committed-prefix", "commit returned seq " + seq + ", model expected "
                        + expectedSeq);
            }
            if (oracleLocal) {
                acked = seq;
            }
        } catch (BufferFullException e) {
            // The disk filled: this commit did not land, the buffer cut it off and works on without a reopen.
            world.reached("commit-disk-full", e.getClass().getSimpleName());
            if (tx != null) {
                tx.rollback();
            }
            if (buffer.lastCommittedSeq() != expectedSeq - 1) {
                throw new InvariantViolation("committed-prefix", "after a full disk the buffer is at seq "
                        + buffer.lastCommittedSeq() + ", the model at " + (expectedSeq - 1));
            }
        } catch (IOException e) {
            states.add(next); // the commit may or may not have landed
            world.reached("commit-failed", e.getClass().getSimpleName());
            if (tx != null) {
                try {
                    tx.rollback();
                } catch (IOException | RuntimeException ignored) {
                    // the buffer already failed; rollback only releases its slot
                }
            }
            closeQuietly();
            reopen("after failed commit");
        }
    }

    private void sync() throws Exception {
        try {
            SyncSnapshot snap = buffer.snapshot();
            if (snap.isEmpty()) {
                return;
            }
            byte[] dst = new byte[PAGE_SIZE];
            for (int i = 0; i < snap.pageCount(); i++) {
                snap.readPage(i, dst);
                replica.put((int) snap.pgno(i), dst.clone());
            }
            replica.tailMap((int) snap.commitSize(), false).clear();
            replicaSeq = snap.upToSeq();
            replicaTxid++;
            buffer.markSynced(snap.upToSeq(), replicaTxid, 0);
            acked = Math.max(acked, snap.upToSeq());
            world.reached("synced", "through seq " + snap.upToSeq());
        } catch (IOException e) {
            world.reached("sync-failed", e.getClass().getSimpleName());
            closeQuietly();
            reopen("after failed sync");
        }
    }

    private void crash() throws Exception {
        CommittedTransaction target = rotAllowed ? rotTarget() : null;
        disk.crash();
        buffer = null; // its handles died with the machine
        keptAll = disk.lastCrashKeptAll() && target == null;
        if (target != null) {
            int i = rot.nextInt(target.pages().size());
            long record = target.pages().get(i).offset();
            rotSeq = target.seq();
            rotOffset = disk.rot(BUFFER, record, record + recordSize(disk.storage().contents(BUFFER), record));
            rotBytes = disk.storage().contents(BUFFER);
        }
        reopen("after crash");
        keptAll = false;
    }

    /**
     * A held transaction some later acknowledged commit vouches for as forced (with LOCAL every commit returns
     * after its force, so commit {@code acked} vouches for every earlier one), drawn at the fault's rate.
     */
    private CommittedTransaction rotTarget() throws IOException {
        if (buffer == null || !rot.chance(world.faults().probability(FaultKind.BIT_ROT))) {
            return null;
        }
        List<CommittedTransaction> vouched = new ArrayList<>();
        for (CommittedTransaction t : buffer.transactions()) {
            // Not below the model replica: an upload whose markSynced failed is not undone by a truncation.
            if (t.seq() < acked && t.seq() > replicaSeq && !t.pages().isEmpty()) {
                vouched.add(t);
            }
        }
        return vouched.isEmpty() ? null : vouched.get(rot.nextInt(vouched.size()));
    }

    private void closeQuietly() {
        if (buffer != null) {
            try {
                buffer.close();
            } catch (IOException | RuntimeException ignored) {
                // a failed buffer may fail to close; its lock is released regardless
            }
            buffer = null;
        }
    }

    private void reopen(String why) throws Exception {
        for (int attempt = 0; buffer == null; attempt++) {
            try {
                buffer = WriteBuffer.open(disk, BUFFER, options);
            } catch (BufferDamagedException e) {
                if (rotOffset < 0) {
                    throw new InvariantViolation("committed-prefix", "recovery " + why + " called an undamaged"
                            + " buffer damaged: " + e.getMessage());
                }
                recoverDamaged(why, e);
            } catch (BufferCorruptException e) {
                throw new InvariantViolation("committed-prefix", "recovery " + why + " refused the buffer: "
                        + e.getMessage());
            } catch (IOException e) {
                world.reached("reopen-failed", e.getClass().getSimpleName());
                if (attempt >= 20) {
                    disk.setFaultsEnabled(false);
                }
            }
        }
        disk.setFaultsEnabled(true);
        world.reached("recovery", why + " " + buffer.recovery().tail());
        if (keptAll && buffer.recovery().corruptionDetected()) {
            // The file holds exactly what was written (a process kill): a torn tail at most, never corruption,
            // also when a rewrite reused the file and an older generation's bytes follow the log.
            throw new InvariantViolation("torn-tail-reported", "recovery " + why + " reported corruption after"
                    + " a crash that lost and tore nothing: " + buffer.recovery().describe(BUFFER));
        }
        if (rotOffset >= 0) {
            long seq = buffer.lastCommittedSeq();
            rotOffset = -1;
            if (seq < acked) {
                throw new InvariantViolation("damage-reported", "recovery " + why + " silently dropped"
                        + " acknowledged commits after a bit flip in forced transaction " + rotSeq
                        + ": came back at seq " + seq + ", seq " + acked + " was acknowledged");
            }
        }
        verify(why);
    }

    /** The refused buffer must be untouched; the explicit recovery keeps a copy and the prefix before the flip. */
    private void recoverDamaged(String why, BufferDamagedException e) throws Exception {
        byte[] now = disk.storage().contents(BUFFER);
        if (!Arrays.equals(now, rotBytes)) {
            throw new InvariantViolation("damage-reported", "refusing the damaged buffer " + why
                    + " still changed it (" + rotBytes.length + " -> " + now.length + " bytes)");
        }
        if (e.offset() > rotOffset) {
            throw new InvariantViolation("damage-reported", "damage reported at offset " + e.offset()
                    + ", after the flipped byte " + rotOffset);
        }
        world.reached("damage-refused", "offset " + e.offset());
        disk.setFaultsEnabled(false); // the explicit recovery is a deliberate one-off, not under test here
        WriteBuffer recovered;
        try {
            recovered = WriteBuffer.open(disk, BUFFER, recoverDamaged);
        } finally {
            disk.setFaultsEnabled(true);
        }
        String copy = recovered.recovery().damagedCopy();
        String copyName = copy == null ? "" : copy.substring(copy.indexOf(':') + 1);
        if (copy == null || !Arrays.equals(disk.storage().contents(copyName), rotBytes)) {
            recovered.close();
            throw new InvariantViolation("damage-reported", "explicit recovery did not keep the damaged file: "
                    + recovered.recovery());
        }
        long seq = recovered.lastCommittedSeq();
        if (seq >= rotSeq) {
            recovered.close();
            throw new InvariantViolation("damage-reported", "explicit recovery kept seq " + seq
                    + ", at or after the damaged transaction " + rotSeq);
        }
        world.reached("damage-recovered", "kept through seq " + seq);
        acked = seq; // the transactions after the damage are given up by the explicit recovery
        rotOffset = -1;
        buffer = recovered;
    }

    private void verify(String why) throws IOException {
        long seq = buffer.lastCommittedSeq();
        if (seq < acked) {
            throw new InvariantViolation("durability", "recovery " + why + " came back at seq " + seq
                    + " but seq " + acked + " was acknowledged durable");
        }
        if (seq >= states.size()) {
            throw new InvariantViolation("committed-prefix", "recovery " + why + " came back at seq " + seq
                    + " but only " + (states.size() - 1) + " transactions were issued");
        }
        State expected = states.get((int) seq);
        long size = buffer.commitSize();
        if (size != expected.size()) {
            throw new InvariantViolation("committed-prefix", "recovery " + why + " at seq " + seq + ": size "
                    + size + " pages, model " + expected.size());
        }
        long replicaLimit = size;
        for (CommittedTransaction t : buffer.transactions()) {
            replicaLimit = Math.min(replicaLimit, t.commitSize());
        }
        byte[] dst = new byte[PAGE_SIZE];
        for (int pgno = 1; pgno <= Math.max(size, MAX_PGNO); pgno++) {
            byte[] got = buffer.readPage(pgno, dst) ? dst
                    : pgno <= replicaLimit ? replica.get(pgno) : null;
            byte[] want = pgno <= expected.size() ? expected.pages().get(pgno) : null;
            if (!Arrays.equals(got, want)) {
                throw new InvariantViolation("committed-prefix", "recovery " + why + " at seq " + seq + ": page "
                        + pgno + " is " + describe(got) + ", model has " + describe(want));
            }
        }
        while (states.size() > seq + 1) {
            states.remove(states.size() - 1);
        }
        acked = seq; // recovery forced what it kept
    }

    private String describe(byte[] page) {
        return page == null ? "absent" : "bytes starting " + String.format("%02x%02x%02x%02x", page[0], page[1],
                page[2], page[3]);
    }
}
