package dev.ltx4j.simulator.workload;

import dev.ltx4j.ltx.LtxRestorer;
import dev.ltx4j.pagestore.Durability;
import dev.ltx4j.replica.EngineClock;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.RestorePlanner;
import dev.ltx4j.simulator.InvariantViolation;
import dev.ltx4j.simulator.Seeds;
import dev.ltx4j.simulator.SimRandom;
import dev.ltx4j.simulator.World;
import dev.ltx4j.simulator.disk.SimDisk;
import dev.ltx4j.simulator.store.SimObjectStore;
import dev.ltx4j.simulator.store.SimReplicaClient;
import dev.ltx4j.syncer.EngineOptions;
import dev.ltx4j.syncer.EngineFaults;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * One run of the {@link EngineScenario}: it wires the actors ({@link EngineWriter} with the engine's sync step,
 * {@link EngineRival}, {@link EngineFollower}s), the reference model ({@link ReplicaAuditor}) and the oracle
 * ({@link EngineOracle}), steps them on the scheduler and runs the liveness phase. Properties (the
 * {@link InvariantViolation#property()} names):
 * <ol>
 *   <li>{@code durability}: after every crash or reopen the writer shows a state at or after its last
 *       acknowledged commit (LOCAL/REMOTE: every commit that returned; NONE: every synced one), or reports a
 *       conflict that preserves it; a REMOTE commit that returned is in the replica;</li>
 *   <li>{@code atomicity}, {@code no-fork}, {@code checksum-chain}, {@code lost-acknowledged-write}: see
 *       {@link ReplicaAuditor}; {@code follower-atomicity}: a follower shows exactly the replica's state at its
 *       TXID, never anything else; {@code follower-monotonic}: its TXID never goes back; the final restore
 *       through {@link RestorePlanner} and {@link LtxRestorer} equals the model at the head and at a random
 *       TXID;</li>
 *   <li>{@code false-conflict}: a conflict is only reported when a rival's file lies beyond the writer's base, or a
 *       file of the writer's own holding a state its history no longer has (uploaded before a crash took those
 *       commits from the buffer; the writer then committed something else on the old base: a real fork);
 *       {@code conflict-preserved}: the file saved under conflicts/ holds exactly the writer's pending state;
 *       {@code conflict-sticky}: writes are refused while conflicted and nothing of the writer lands;</li>
 *   <li>{@code read-your-writes}: after every commit and sync the writer reads exactly its last commit (size
 *       included);</li>
 *   <li>{@code liveness}: once faults stop, everything committed reaches the replica and every follower
 *       within a bounded number of intervals, and close succeeds.</li>
 * </ol>
 */
final class EngineRun {
    static final String PREFIX = "db";
    static final long RIVAL_NODE = 0x7157_0000_0000_0001L;
    static final int LIVENESS_INTERVALS = 12;

    private final World world;
    private final Set<Bug> bugs;
    private final SimObjectStore store;
    private final SimDisk disk;
    private final ReplicaAuditor auditor;
    private final SimReplicaClient rivalClient;
    private final SimRandom phantomRandom;
    private final int pageSize;
    private final int maxPages;
    private final Durability durability;
    private final Duration syncInterval;
    private final Duration pollInterval;
    private final EngineOptions writerOptions;
    private final ReplicaClient writerClient;
    private final Clock writerClock;
    private final List<EngineFollower> followers = new ArrayList<>();
    private final Path tempDir;
    private final SqliteView sqliteView;
    private final EngineOracle oracle;
    private final EngineWriter writer;
    private final EngineRival rival;

    EngineRun(World world, Set<Bug> bugs) throws IOException {
        this.world = world;
        this.bugs = bugs.isEmpty() ? EnumSet.noneOf(Bug.class) : EnumSet.copyOf(bugs);
        this.store = new SimObjectStore(world);
        store.setCorruptibleFrom(Integer.MAX_VALUE); // damage at rest is the uploader scenario's subject
        this.disk = new SimDisk(world);
        disk.setSkipFsync(bugs.contains(Bug.SKIP_FSYNC));
        SimRandom config = world.random("engine/config");
        int pick = config.nextInt(20);
        this.pageSize = pick < 9 ? 512 : pick < 17 ? 4096 : 65536;
        this.maxPages = pageSize == 512 ? 48 : pageSize == 4096 ? 24 : 6;
        int d = config.nextInt(10);
        this.durability = bugs.contains(Bug.SKIP_FSYNC) ? Durability.LOCAL
                : d < 5 ? Durability.LOCAL : d < 7 ? Durability.NONE : Durability.REMOTE;
        this.syncInterval = Duration.ofMillis(50 + config.nextInt(450));
        this.pollInterval = Duration.ofMillis(100 + config.nextInt(900));
        long cache = switch (config.nextInt(3)) {
            case 0 -> 0;
            case 1 -> 8L * pageSize;
            default -> 10L << 20;
        };
        this.auditor = new ReplicaAuditor(store, PREFIX, pageSize, RIVAL_NODE);
        this.rivalClient = store.client(PREFIX);
        this.phantomRandom = world.random("engine/phantom");
        this.tempDir = Files.createTempDirectory("ltx4j-sim-");
        this.sqliteView = new SqliteView(world.clock());
        this.writerClock = Clock.offset(world.clock(), Duration.ofMillis(config.nextInt(4001) - 2000));
        LostCreateClient lostCreates = new LostCreateClient(EngineClients.writer(store.client(PREFIX), bugs));
        this.writerClient = lostCreates;
        CloseDuringRemoteWait[] step = {null}; // the engine's hooks lead to it once it exists
        EngineFaults faults = EngineFaults.builder()
                .cutSyncMidTransaction(bugs.contains(Bug.CUT_SYNC_MID_TRANSACTION))
                .forgetOwnUpload(bugs.contains(Bug.FORGET_OWN_UPLOAD))
                .ignoreShrink(bugs.contains(Bug.IGNORE_SHRINK))
                .skipSyncCheck(bugs.contains(Bug.SKIP_SYNC_CHECK))
                .forgetOwnStateAfterRestart(bugs.contains(Bug.FORGET_OWN_STATE_AFTER_RESTART))
                .storedPageOne(bugs.contains(Bug.WAL_PAGE_ONE))
                .stalePageChecksum(bugs.contains(Bug.STALE_PAGE_CHECKSUM))
                .silentDamageTruncation(bugs.contains(Bug.SILENT_BUFFER_TRUNCATION))
                .roundAfterClose(bugs.contains(Bug.ROUND_AFTER_CLOSE))
                .syncPastDurablePrefix(bugs.contains(Bug.SYNC_PAST_DURABLE_PREFIX))
                .forgetLandedAdoption(bugs.contains(Bug.FORGET_LANDED_ADOPTION))
                .preemption(at -> {
                    if (step[0] != null) {
                        step[0].preempted(at);
                    }
                }).build();
        this.writerOptions = EngineOptions.builder().writeEnabled(true).durability(durability)
                .syncInterval(syncInterval).clock(EngineClock.of(writerClock, world.clock()::nanoTime, pause -> {
                    if (step[0] != null) {
                        step[0].paused(pause);
                    }
                }))
                .seed(config.nextLong())
                .bufferStorage(disk, "db.buffer").conflictDirectory(tempDir.resolve("conflicts"))
                .cacheBytes(cache).closeTimeout(Duration.ZERO).replicaIdentity("sim://" + PREFIX)
                .faults(faults).background(Runnable::run).build();
        this.oracle = new EngineOracle(world, store, disk, auditor, sqliteView, pageSize, tempDir);
        this.writer = new EngineWriter(world, disk, auditor, oracle, pageSize, maxPages, durability, syncInterval,
                writerOptions, writerClient, writerClock);
        step[0] = new CloseDuringRemoteWait(world, disk, lostCreates, writerClock, oracle);
        writer.closeDuringWait(step[0]);
        this.rival = new EngineRival(world, auditor, rivalClient, phantomRandom, pageSize, maxPages);
        int nFollowers = 1 + config.nextInt(2);
        for (int i = 0; i < nFollowers; i++) {
            Clock c = Clock.offset(world.clock(), Duration.ofMillis(config.nextInt(4001) - 2000));
            followers.add(new EngineFollower(world, "follower" + i, store.client(PREFIX),
                    SimFollower.options(PREFIX, c, world, pollInterval, cache, i, faults), auditor, oracle));
        }
        store.setRival((prefix, level, min, max) -> rival.phantomRival(level, min, max));
        world.record("engine", "page size " + pageSize + ", " + durability + ", sync every " + syncInterval.toMillis()
                + " ms, cache " + cache + ", " + nFollowers + " followers" + (bugs.isEmpty() ? "" : ", bugs " + bugs));
    }

    void execute(List<EngineScenario.Action> actions) throws Exception {
        try {
            writer.start();
            world.scheduler().play(Duration.ofMillis(10), "writer", actions, this::apply);
            world.scheduler().every(syncInterval, "syncer", "sync", now -> writer.syncTick());
            for (EngineFollower f : followers) {
                world.scheduler().every(pollInterval, f.name, "poll", now -> f.poll());
            }
            world.scheduler().run(Long.MAX_VALUE, Long.MAX_VALUE);
            liveness();
        } catch (IOException | RuntimeException e) {
            throw InvariantViolation.unexpected(e);
        } finally {
            TempDirs.deleteTree(tempDir);
        }
    }

    // ------------------------------------------------------------------------------------------ actions

    private void apply(EngineScenario.Action a) throws IOException {
        if (a instanceof EngineScenario.Commit c) {
            writer.commit(c);
        } else if (a instanceof EngineScenario.RivalCommit r) {
            rival.rival(r.writes());
        } else if (a instanceof EngineScenario.Read) {
            writer.checkVisible("read");
        } else if (a instanceof EngineScenario.Crash) {
            writer.crash();
        } else if (a instanceof EngineScenario.Restart) {
            writer.restart();
        } else if (a instanceof EngineScenario.Idle i) {
            world.clock().advance(Duration.ofMillis(i.millis()));
        }
    }

    private static final VarHandle LE_LONG =
            MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    static byte[] page(long fill, int pageSize) {
        byte[] p = new byte[pageSize];
        long x = fill;
        for (int i = 0; i < pageSize; i += 8) {
            x = Seeds.mix(x + i);
            LE_LONG.set(p, i, x); // bytes x >>> 0, 8, ..., 56: one store instead of eight (a profiled hot spot)
        }
        return p;
    }

    // ------------------------------------------------------------------------------------------ liveness

    private void liveness() throws IOException {
        oracle.stopFaults();
        world.reached("faults-stopped", "");
        world.clock().advance(Duration.ofSeconds(1)); // listing-lag windows close
        int i = writer.drain();
        for (EngineFollower f : followers) {
            for (int k = 0; k < LIVENESS_INTERVALS && f.seenTxid != auditor.head(); k++) {
                world.clock().advance(pollInterval);
                f.poll();
            }
            if (auditor.head() > 0 && f.seenTxid != auditor.head()) {
                throw new InvariantViolation("liveness", f.name + " stuck at TXID " + f.seenTxid + ", replica head "
                        + auditor.head());
            }
        }
        oracle.restoreCheck();
        writer.close();
        for (EngineFollower f : followers) {
            if (f.db != null) {
                f.db.close();
            }
        }
        world.reached("liveness", "head TXID " + auditor.head() + " after " + (i + 1) + " intervals");
    }
}
