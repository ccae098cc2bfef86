package dev.ltx4j.simulator.workload;

import dev.ltx4j.ltx.Ltx;
import dev.ltx4j.pagestore.testkit.MemoryLogStorage;
import dev.ltx4j.simulator.FaultPlan;
import dev.ltx4j.simulator.InvariantViolation;
import dev.ltx4j.simulator.World;
import dev.ltx4j.simulator.property.Gen;
import dev.ltx4j.simulator.store.SimObjectStore;
import dev.ltx4j.syncer.Database;
import dev.ltx4j.syncer.EngineOptions;
import dev.ltx4j.syncer.EngineFaults;
import dev.ltx4j.syncer.FollowerStatus;
import dev.ltx4j.syncer.ReadTransaction;
import dev.ltx4j.syncer.ReplicaDivergedException;
import dev.ltx4j.syncer.SyncOutcome;
import dev.ltx4j.syncer.WriteSession;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The "corruption" workload: corruption at rest against the real engine's read path. A writer commits and syncs
 * incompressible pages to a {@link SimObjectStore}; damage actions flip one bit of a stored LTX file (after its
 * header, as the store's corruption-at-rest fault does); readers (a fresh follower opened for each read, and a
 * long-lived polling follower without a page cache, which re-reads every page) read the whole database.
 * Property {@code corrupt-page-served}: a reader returns exactly the writer's state at the reader's TXID or fails
 * with an error naming a damaged file, never other bytes; {@code false-corruption}: a reader never fails when
 * no file is damaged; {@code false-divergence}: the one writer's replica is never replaced, so no follower ever
 * reports a divergence (a damaged checksum must be reported as the corruption of its file, not as another
 * history); {@code engine-exception}: no other exception escapes a reader. Network faults are off here (the
 * engine scenario covers them); the writer only writes whole pages, so the damage never reaches its syncs. Bug
 * switches: {@link Bug#SKIP_PAGE_VERIFICATION} serves pages without verifying their files;
 * {@link Bug#TRUST_UNVERIFIED_CHECKSUMS} takes a checksum mismatch as divergence without verifying the files.
 */
public final class CorruptionScenario implements Scenario<CorruptionScenario.Action> {
    static final String PREFIX = "db";
    static final int PAGE_SIZE = 512;
    static final int MAX_PAGES = 24;

    /** One workload step. */
    public sealed interface Action permits Commit, Damage, Read {}

    /** The writer commits pages (slot modulo the page range, content from fill) and syncs them as one file. */
    public record Commit(List<long[]> writes) implements Action {
        @Override
        public String toString() {
            StringBuilder b = new StringBuilder("commit[");
            for (long[] w : writes) {
                b.append(b.length() > 7 ? "," : "").append(w[0]).append(':').append(Long.toHexString(w[1] & 0xffff));
            }
            return b.append(']').toString();
        }
    }

    /** Flips bit {@code bit} at {@code position} (scaled into the bytes after the header) of file {@code file}. */
    public record Damage(int file, long position, int bit) implements Action {
        @Override
        public String toString() {
            return "damage file#" + file + " at " + Long.toHexString(position & 0xffff) + " bit " + bit;
        }
    }

    /** Both followers read the whole database. */
    public record Read() implements Action {
        @Override
        public String toString() {
            return "read";
        }
    }

    private final Set<Bug> bugs;

    public CorruptionScenario() {
        this(EnumSet.noneOf(Bug.class));
    }

    /** With bug switches {@link Bug#SKIP_PAGE_VERIFICATION}, {@link Bug#TRUST_UNVERIFIED_CHECKSUMS}; others are ignored. */
    public CorruptionScenario(Set<Bug> bugs) {
        this.bugs = bugs.isEmpty() ? EnumSet.noneOf(Bug.class) : EnumSet.copyOf(bugs);
    }

    @Override
    public String name() {
        return "corruption";
    }

    @Override
    public Gen<Action> action(FaultPlan faults) {
        Gen<List<long[]>> writes = r -> {
            int n = 1 + r.nextInt(6);
            List<long[]> ws = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                ws.add(new long[] {r.nextInt(MAX_PAGES), r.nextLong()});
            }
            return List.copyOf(ws);
        };
        Gen<Action> g = Gen.frequency(
                Gen.weighted(50, r -> new Commit(writes.generate(r))),
                Gen.weighted(8, r -> new Damage(r.nextInt(1 << 16), r.nextLong(), r.nextInt(8))),
                Gen.weighted(30, r -> new Read()));
        return g.withSimplifier(a -> a instanceof Commit c && c.writes().size() > 1
                ? List.of(new Commit(List.of(c.writes().get(0)))) : List.of());
    }

    @Override
    public void run(World world, List<Action> actions) throws Exception {
        new Run(world).execute(actions);
    }

    private final class Run {
        final World world;
        final SimObjectStore store;
        /** The writer's state at each synced TXID: page number to image; index = TXID. */
        final List<Map<Long, byte[]>> states = new ArrayList<>();
        Database writer;
        Database steady;

        Run(World world) {
            this.world = world;
            this.store = new SimObjectStore(world);
            store.setFaultsEnabled(false);
            store.setCorruptibleFrom(Integer.MAX_VALUE); // damage comes only from the Damage actions
            states.add(Map.of());
        }

        void execute(List<Action> actions) throws Exception {
            try {
                writer = Database.open(store.client(PREFIX), PREFIX, EngineOptions.builder().writeEnabled(true)
                        .bufferStorage(new MemoryLogStorage(), "db.buffer").clock(world.clock()).seed(world.seed())
                        .faults(faults()).background(Runnable::run).closeTimeout(Duration.ZERO)
                        .replicaIdentity("sim://" + PREFIX)
                        .conflictDirectory(Path.of(System.getProperty("java.io.tmpdir"),
                                "ltx4j-sim-corruption-conflicts"))
                        .build());
                for (Action a : actions) {
                    world.record("workload", a.toString());
                    world.clock().advance(Duration.ofMillis(10));
                    if (a instanceof Commit c) {
                        commit(c);
                    } else if (a instanceof Damage d) {
                        damage(d);
                    } else {
                        read();
                    }
                }
                read();
            } finally {
                closeQuietly(steady);
                closeQuietly(writer);
            }
        }

        private void commit(Commit c) throws IOException {
            TreeMap<Long, byte[]> next = new TreeMap<>(states.get(states.size() - 1));
            try (WriteSession s = writer.beginWrite()) {
                for (long[] w : c.writes()) {
                    long pgno = 1 + w[0];
                    byte[] page = EngineRun.page(w[1], PAGE_SIZE); // any bytes: the engine never parses page 1
                    s.write((pgno - 1) * PAGE_SIZE, page, 0, PAGE_SIZE);
                    next.put(pgno, page);
                }
                long size = next.lastKey();
                for (long p = 1; p <= size; p++) {
                    next.putIfAbsent(p, new byte[PAGE_SIZE]);
                }
                s.commit();
            }
            SyncOutcome o = writer.syncOnce(world.clock().instant());
            if (o.status() != SyncOutcome.Status.SYNCED) {
                throw new InvariantViolation("writer-sync", "the writer's sync did not succeed: " + o.status()
                        + (o.error() == null ? "" : " " + o.error()));
            }
            states.add(Map.copyOf(next));
            world.stats().operations(c.writes().size());
        }

        private void damage(Damage d) {
            List<SimObjectStore.StoredObject> files = new ArrayList<>();
            for (int level = 0; level <= 9; level++) {
                files.addAll(store.inspect(PREFIX, level));
            }
            if (files.isEmpty()) {
                return;
            }
            SimObjectStore.StoredObject f = files.get(Math.floorMod(d.file(), files.size()));
            int span = f.data().length - Ltx.HEADER_SIZE;
            if (span <= 0) {
                return;
            }
            int at = Ltx.HEADER_SIZE + (int) Math.floorMod(d.position(), (long) span);
            store.corrupt(f.key(), at, d.bit());
        }

        private void read() throws IOException {
            Database fresh;
            try {
                fresh = states.size() > 1 ? Database.open(store.client(PREFIX), PREFIX, follower(8L << 20)) : null;
            } catch (IOException e) {
                expectDamaged("fresh follower open", e);
                fresh = null;
            }
            if (fresh != null) {
                try {
                    check("fresh follower", fresh);
                } finally {
                    closeQuietly(fresh);
                }
            }
            if (steady == null && states.size() > 1) {
                try {
                    steady = Database.open(store.client(PREFIX), PREFIX, follower(0));
                } catch (IOException e) {
                    expectDamaged("steady follower open", e);
                    return;
                }
            }
            if (steady != null) {
                steady.pollOnce(world.clock().instant());
                FollowerStatus.Divergence d = steady.status().follower().divergence();
                if (d != null) {
                    throw new InvariantViolation("false-divergence", "steady follower reported a divergence of the"
                            + " only writer's replica (damaged files: " + store.corruptedKeys() + "): " + d.reason());
                }
                check("steady follower", steady);
            }
        }

        private EngineOptions follower(long cache) {
            return EngineOptions.builder().writeEnabled(false).clock(world.clock()).cacheBytes(cache)
                    .seed(world.seed()).faults(faults()).background(Runnable::run).replicaIdentity("sim://" + PREFIX)
                    .build();
        }

        private EngineFaults faults() {
            return EngineFaults.builder().skipPageVerification(bugs.contains(Bug.SKIP_PAGE_VERIFICATION))
                    .trustUnverifiedChecksums(bugs.contains(Bug.TRUST_UNVERIFIED_CHECKSUMS)).build();
        }

        private void check(String who, Database d) {
            long txid = d.current().txid();
            Map<Long, byte[]> want = states.get((int) txid);
            byte[] got;
            try (ReadTransaction rt = d.beginRead()) {
                got = new byte[(int) rt.sizeBytes()];
                rt.read(0, got, 0, got.length);
            } catch (ReplicaDivergedException e) {
                throw new InvariantViolation("false-divergence", who + " at TXID " + txid + " refused reads as"
                        + " diverged, but the only writer's replica was never replaced (damaged files: "
                        + store.corruptedKeys() + "): " + e.getMessage());
            } catch (IOException e) {
                expectDamaged(who + " read at TXID " + txid, e);
                world.reached("corruption-refused", who);
                return;
            } catch (RuntimeException e) {
                throw new InvariantViolation("engine-exception", who + " at TXID " + txid + " read failed with an"
                        + " unexpected exception (damaged files: " + store.corruptedKeys() + "): " + e);
            }
            if (got.length != want.size() * PAGE_SIZE) {
                throw new InvariantViolation("corrupt-page-served", who + " at TXID " + txid + " reads "
                        + got.length / PAGE_SIZE + " pages, the writer synced " + want.size());
            }
            for (Map.Entry<Long, byte[]> e : want.entrySet()) {
                int off = (int) ((e.getKey() - 1) * PAGE_SIZE);
                if (!Arrays.equals(got, off, off + PAGE_SIZE, e.getValue(), 0, PAGE_SIZE)) {
                    throw new InvariantViolation("corrupt-page-served", who + " at TXID " + txid + " served page "
                            + e.getKey() + " with other bytes than the writer synced (damaged files: "
                            + store.corruptedKeys() + ")");
                }
            }
            world.stats().operations(want.size());
        }

        /** A read failed: acceptable only when its message names a file the store damaged. */
        private void expectDamaged(String what, IOException e) {
            Map<String, String> damaged = new HashMap<>();
            for (String key : store.corruptedKeys()) {
                damaged.put(key, key.substring(key.lastIndexOf('/') + 1));
            }
            for (String file : damaged.values()) {
                if (String.valueOf(e.getMessage()).contains(file)) {
                    return;
                }
            }
            throw new InvariantViolation("false-corruption", what + " failed although it names no damaged file"
                    + " (damaged: " + damaged.keySet() + "): " + e);
        }

        private void closeQuietly(Database d) {
            if (d != null) {
                try {
                    d.close();
                } catch (IOException | RuntimeException ignored) {
                    // the run's verdict does not depend on close
                }
            }
        }
    }
}
