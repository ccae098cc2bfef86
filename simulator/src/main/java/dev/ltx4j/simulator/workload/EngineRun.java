package dev.ltx4j.simulator.workload;

import dev.ltx4j.ltx.LtxEncodeResult;
import dev.ltx4j.ltx.LtxEncoder;
import dev.ltx4j.ltx.LtxHeader;
import dev.ltx4j.ltx.LtxRestorer;
import dev.ltx4j.ltx.LtxSource;
import dev.ltx4j.pagestore.Durability;
import dev.ltx4j.pagestore.WriteBufferException;
import dev.ltx4j.replica.EngineClock;
import dev.ltx4j.replica.LtxBody;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaException;
import dev.ltx4j.replica.RestorePlanner;
import dev.ltx4j.replica.RestoreTarget;
import dev.ltx4j.simulator.FaultKind;
import dev.ltx4j.simulator.InvariantViolation;
import dev.ltx4j.simulator.Seeds;
import dev.ltx4j.simulator.SimRandom;
import dev.ltx4j.simulator.World;
import dev.ltx4j.simulator.disk.SimDisk;
import dev.ltx4j.simulator.store.SimObjectStore;
import dev.ltx4j.simulator.store.SimReplicaClient;
import dev.ltx4j.syncer.ConflictException;
import dev.ltx4j.syncer.ConflictInfo;
import dev.ltx4j.syncer.Database;
import dev.ltx4j.syncer.EngineFaults;
import dev.ltx4j.syncer.EngineOptions;
import dev.ltx4j.syncer.PollOutcome;
import dev.ltx4j.syncer.ReadTransaction;
import dev.ltx4j.syncer.SyncFailedException;
import dev.ltx4j.syncer.SyncOutcome;
import dev.ltx4j.syncer.WriteSession;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * One run of the {@link EngineScenario}: actors, reference model and oracles. Properties (the
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
 *   <li>{@code false-conflict}: a conflict is only reported when a rival's file lies beyond the writer's base;
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
    private static final int LIVENESS_INTERVALS = 12;

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
    private final dev.ltx4j.replica.ReplicaClient writerClient;
    private final Clock writerClock;
    private final List<Follower> followers = new ArrayList<>();
    private final Path tempDir;
    private final SqliteView sqliteView;

    private Database db;
    /** The writer's states since its last base: index 0 is the base, the last its latest commit. */
    private final List<PageState> history = new ArrayList<>();
    private int acked;
    /** A commit that failed part way: it may or may not have landed. */
    private PageState candidate;
    private ConflictInfo conflictSeen;
    private long writerFilesAtConflict;
    /** The liveness phase: no more faults. */
    private boolean faultsStopped;

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
        this.writerClient = EngineClients.writer(store.client(PREFIX), bugs);
        EngineFaults faults = EngineFaults.builder()
                .cutSyncMidTransaction(bugs.contains(Bug.CUT_SYNC_MID_TRANSACTION))
                .forgetOwnUpload(bugs.contains(Bug.FORGET_OWN_UPLOAD))
                .ignoreShrink(bugs.contains(Bug.IGNORE_SHRINK))
                .storedPageOne(bugs.contains(Bug.WAL_PAGE_ONE))
                .silentDamageTruncation(bugs.contains(Bug.SILENT_BUFFER_TRUNCATION)).build();
        this.writerOptions = EngineOptions.builder().writeEnabled(true).durability(durability)
                .syncInterval(syncInterval).clock(EngineClock.of(writerClock, world.clock()::nanoTime, x -> { }))
                .seed(config.nextLong())
                .bufferStorage(disk, "db.buffer").conflictDirectory(tempDir.resolve("conflicts"))
                .cacheBytes(cache).closeTimeout(Duration.ZERO).replicaIdentity("sim://" + PREFIX)
                .faults(faults).background(Runnable::run).build();
        int nFollowers = 1 + config.nextInt(2);
        for (int i = 0; i < nFollowers; i++) {
            Clock c = Clock.offset(world.clock(), Duration.ofMillis(config.nextInt(4001) - 2000));
            followers.add(new Follower("follower" + i, store.client(PREFIX), EngineOptions.builder()
                    .writeEnabled(false).pollInterval(pollInterval)
                    .clock(EngineClock.of(c, world.clock()::nanoTime, x -> { })).cacheBytes(cache).seed(i)
                    .replicaIdentity("sim://" + PREFIX).faults(faults).background(Runnable::run).build()));
        }
        store.setRival((prefix, level, min, max) -> phantomRival(level, min, max));
        world.record("engine", "page size " + pageSize + ", " + durability + ", sync every " + syncInterval.toMillis()
                + " ms, cache " + cache + ", " + nFollowers + " followers" + (bugs.isEmpty() ? "" : ", bugs " + bugs));
    }

    void execute(List<EngineScenario.Action> actions) throws Exception {
        try {
            history.add(auditor.stateAt(0));
            reopen("start");
            int[] next = {0};
            world.scheduler().every(Duration.ofMillis(10), "writer", "step", now -> {
                if (next[0] >= actions.size()) {
                    world.scheduler().stop();
                    return;
                }
                EngineScenario.Action a = actions.get(next[0]++);
                world.record("writer", a.toString());
                apply(a);
            });
            world.scheduler().every(syncInterval, "syncer", "sync", now -> syncTick());
            for (Follower f : followers) {
                world.scheduler().every(pollInterval, f.name, "poll", now -> f.poll());
            }
            world.scheduler().run(Long.MAX_VALUE, Long.MAX_VALUE);
            liveness();
        } catch (IOException | RuntimeException e) {
            throw InvariantViolation.unexpected(e);
        } finally {
            deleteTree(tempDir);
        }
    }

    // ------------------------------------------------------------------------------------------ writer

    private void apply(EngineScenario.Action a) throws IOException {
        if (a instanceof EngineScenario.Commit c) {
            commit(c);
        } else if (a instanceof EngineScenario.RivalCommit r) {
            rival(r.writes());
        } else if (a instanceof EngineScenario.Read) {
            checkVisible("read");
        } else if (a instanceof EngineScenario.Crash) {
            disk.crash();
            db = null; // dropped without close: its buffer handles died with the machine
            reopen("after crash");
        } else if (a instanceof EngineScenario.Restart) {
            closeQuietly();
            reopen("after restart");
        } else if (a instanceof EngineScenario.Idle i) {
            world.clock().advance(Duration.ofMillis(i.millis()));
        }
    }

    private PageState last() {
        return history.get(history.size() - 1);
    }

    static byte[] page(long fill, int pageSize) {
        byte[] p = new byte[pageSize];
        long x = fill;
        for (int i = 0; i < pageSize; i += 8) {
            x = Seeds.mix(x + i);
            for (int k = 0; k < 8; k++) {
                p[i + k] = (byte) (x >>> (8 * k));
            }
        }
        return p;
    }

    private void commit(EngineScenario.Commit c) throws IOException {
        if (db.status().conflict() != null) {
            try (WriteSession s = db.beginWrite()) {
                throw new InvariantViolation("conflict-sticky", "beginWrite succeeded while conflicted: "
                        + db.status().conflict().message());
            } catch (ConflictException e) {
                world.reached("conflict-refused-write", "base " + e.info().baseTxid());
            }
            refresh();
            return;
        }
        PageState prev = last();
        long size = prev.size;
        if (c.resize() < 0 && size > 1) {
            size = Math.max(1, size * -c.resize() / 16);
        }
        long limit = c.resize() < 0 && size > 0 ? size : maxPages;
        TreeMap<Long, byte[]> writes = new TreeMap<>();
        for (EngineScenario.PageWrite w : c.writes()) {
            writes.put(1 + Math.floorMod((long) w.slot(), limit), page(w.fill(), pageSize));
        }
        long newSize = Math.max(size, writes.lastKey());
        PageState next = prev.apply(writes, newSize);
        try {
            WriteSession s = db.beginWrite();
            try {
                if (newSize < prev.size) {
                    s.truncate(newSize * pageSize);
                }
                for (var w : writes.entrySet()) {
                    s.write((w.getKey() - 1) * pageSize, w.getValue(), 0, pageSize);
                }
                world.stats().operations(writes.size());
                auditor.writerCommitted(next);
                s.commit();
            } finally {
                s.close();
            }
            committed(next);
            if (durability == Durability.REMOTE) {
                auditor.audit();
                if (auditor.stateAt(auditor.head()).digest != next.digest) {
                    throw new InvariantViolation("durability", "a REMOTE commit returned but the replica head (TXID "
                            + auditor.head() + ") holds " + auditor.stateAt(auditor.head()) + ", not " + next);
                }
                acked = history.size() - 1;
            }
            checkCommitVisible(writes.keySet());
        } catch (SyncFailedException e) {
            committed(next); // REMOTE: committed and durable locally, upload pending
            world.reached("remote-commit-unsynced", e.getClass().getSimpleName());
        } catch (ConflictException e) {
            committed(next); // REMOTE: committed locally, then the sync found a rival
            onConflict(e.info(), "remote commit");
        } catch (IOException e) {
            candidate = next;
            world.reached("commit-failed", e.getClass().getSimpleName());
            closeQuietly();
            reopen("after failed commit");
        }
    }

    private void committed(PageState next) {
        history.add(next);
        if (durability != Durability.NONE) {
            acked = history.size() - 1;
        }
    }

    private void syncTick() throws IOException {
        if (db == null) {
            return;
        }
        SyncOutcome o = db.syncOnce(writerClock.instant());
        switch (o.status()) {
            case SYNCED -> {
                world.reached("synced", "TXID " + o.txid());
                auditor.audit();
                if (o.txid() > auditor.head() || auditor.stateAt(o.txid()).digest != last().digest) {
                    throw new InvariantViolation("atomicity", "sync reported TXID " + o.txid() + " but the replica "
                            + (o.txid() > auditor.head() ? "ends at " + auditor.head()
                            : "holds " + auditor.stateAt(o.txid()) + " there, the writer's last commit is " + last()));
                }
                acked = history.size() - 1;
                checkVisible("after sync");
            }
            case CONFLICT -> onConflict(((ConflictException) o.error()).info(), "sync");
            case FAILED -> {
                world.reached("sync-failed", o.error().getClass().getSimpleName());
                if (o.error() instanceof WriteBufferException) {
                    closeQuietly();
                    reopen("after failed sync");
                }
            }
            case NOTHING_TO_SYNC -> { }
        }
    }

    private void onConflict(ConflictInfo info, String where) throws IOException {
        if (info == conflictSeen) {
            return;
        }
        conflictSeen = info;
        world.reached("conflict", where + " base " + info.baseTxid() + " remote " + info.remoteTxid());
        auditor.audit();
        boolean rivalAhead = false;
        for (long t = info.baseTxid() + 1; t <= auditor.head(); t++) {
            rivalAhead |= auditor.isRival(auditor.entry(t));
        }
        if (!rivalAhead) {
            throw new InvariantViolation("false-conflict", where + " reported a conflict on base TXID "
                    + info.baseTxid() + " but no rival file lies beyond it (replica head " + auditor.head()
                    + ", all the writer's own)");
        }
        writerFilesAtConflict = auditor.writerFiles();
        if (info.savedTo() == null) {
            world.reached("conflict-unsaved", where);
            return;
        }
        PageState saved;
        try (InputStream in = Files.newInputStream(info.savedTo())) {
            saved = auditor.applyFile(in, info.savedTo().getFileName().toString());
        }
        int k = match(saved);
        if (k < 0) {
            throw new InvariantViolation("conflict-preserved", "conflict file " + info.savedTo().getFileName()
                    + " on base " + info.baseTxid() + " gives " + saved + " but the writer's pending state is " + last()
                    + " (acknowledged: " + history.get(acked) + ")");
        }
        world.reached("conflict-preserved", "state #" + k);
    }

    /** Index of {@code s} in the history at or after the acknowledged one (the candidate appended), else -1. */
    private int match(PageState s) {
        for (int k = history.size() - 1; k >= acked; k--) {
            if (history.get(k).digest == s.digest) {
                return k;
            }
        }
        if (candidate != null && candidate.digest == s.digest) {
            history.add(candidate);
            candidate = null;
            return history.size() - 1;
        }
        return -1;
    }

    private void refresh() throws IOException {
        auditor.audit();
        if (auditor.writerFiles() > writerFilesAtConflict) {
            throw new InvariantViolation("conflict-sticky", "the writer uploaded while conflicted ("
                    + writerFilesAtConflict + " writer files at the conflict, " + auditor.writerFiles() + " now)");
        }
        for (int attempt = 0; ; attempt++) {
            try {
                db.refresh();
                break;
            } catch (IOException e) {
                world.reached("refresh-failed", e.getClass().getSimpleName());
                if (attempt >= 40) {
                    throw new InvariantViolation("availability", "refresh fails even without faults: " + e);
                }
                faultsOff(attempt >= 10);
            }
        }
        faultsOff(false);
        world.reached("refresh", "to TXID " + db.current().txid());
        conflictSeen = null;
        newBase(db.current().txid());
        checkVisible("after refresh");
    }

    private void newBase(long txid) {
        auditor.audit();
        PageState base = auditor.stateAt(txid);
        auditor.writerBuildsOn(base);
        history.clear();
        history.add(base);
        acked = 0;
        candidate = null;
    }

    private void closeQuietly() {
        if (db != null) {
            try {
                db.close();
            } catch (IOException | RuntimeException e) {
                world.reached("close-failed", e.toString());
            }
            db = null;
        }
    }

    private void faultsOff(boolean off) {
        store.setFaultsEnabled(!off && !faultsStopped);
        disk.setFaultsEnabled(!off && !faultsStopped);
    }

    private void reopen(String why) throws IOException {
        for (int attempt = 0; db == null; attempt++) {
            try {
                db = Database.open(writerClient, "db", writerOptions);
            } catch (ConflictException e) {
                throw new InvariantViolation("unexpected-exception", "open threw " + e);
            } catch (IOException e) {
                world.reached("reopen-failed", e.getClass().getSimpleName());
                if (attempt >= 40) {
                    throw new InvariantViolation("availability", "the writer cannot reopen " + why + " even without"
                            + " faults: " + e);
                }
                faultsOff(attempt >= 10);
            }
        }
        faultsOff(false);
        world.reached("recovery", why);
        auditor.audit();
        ConflictInfo info = db.status().conflict();
        if (info != null) {
            onConflict(info, "open " + why);
            return;
        }
        PageState got = readState(db, "writer " + why);
        int k = match(got);
        if (k >= 0) {
            while (history.size() > k + 1) {
                history.remove(history.size() - 1);
            }
            candidate = null;
            auditor.writerBuildsOn(auditor.stateAt(db.current().txid()));
            return;
        }
        long txid = db.current().txid();
        // A lagging listing may show an older head than the replica's: any replica state at or after the
        // acknowledged one is durable (the writer's next sync then meets the newer files as a conflict).
        if (txid <= auditor.head() && auditor.stateAt(txid).digest == got.digest
                && inReplica(history.get(acked), txid)) {
            world.reached("recovery-adopted-remote", "TXID " + txid);
            newBase(txid);
            return;
        }
        throw new InvariantViolation("durability", "writer reopened " + why + " at TXID " + txid + " showing " + got
                + ", but its acknowledged state is " + history.get(acked) + " (latest " + last() + ")");
    }

    /** Whether the replica holds {@code s} at some TXID up to {@code maxTxid}. */
    private boolean inReplica(PageState s, long maxTxid) {
        for (long t = 0; t <= maxTxid; t++) {
            if (auditor.stateAt(t).digest == s.digest) {
                return true;
            }
        }
        return false;
    }

    // ------------------------------------------------------------------------------------------ oracle reads

    /** Reads the whole database through the engine, store faults off (the oracle must not disturb the run). */
    private PageState readState(Database d, String who) throws IOException {
        store.setFaultsEnabled(false);
        try (ReadTransaction rt = d.beginRead()) {
            int ps = rt.pageSize() == 0 ? pageSize : rt.pageSize();
            long pages = rt.sizeBytes() / ps;
            TreeMap<Long, byte[]> all = new TreeMap<>();
            for (long p = 1; p <= pages; p++) {
                byte[] buf = new byte[ps];
                int n = rt.read((p - 1) * ps, buf, 0, ps);
                if (n != ps) {
                    throw new InvariantViolation("read-your-writes", who + " read " + n + " bytes of page " + p
                            + " inside a " + pages + "-page database");
                }
                all.put(p, buf);
            }
            world.stats().operations(pages);
            return PageState.empty(pageSize).apply(all, pages);
        } catch (dev.ltx4j.pagestore.replica.PageReadException e) {
            throw new InvariantViolation("read-availability", who + " could not read with store faults off: "
                    + e.getMessage());
        } finally {
            store.setFaultsEnabled(!faultsStopped);
        }
    }

    private void checkVisible(String when) throws IOException {
        if (db == null || db.status().conflict() != null) {
            return;
        }
        PageState got = readState(db, "writer " + when);
        if (got.digest != last().digest) {
            throw new InvariantViolation("read-your-writes", "writer " + when + " reads " + got + " but committed "
                    + last() + firstDifference(got, last()));
        }
        checkSqliteView(db, got, "writer", when);
    }

    /** Page 1 as SQLite sees it through the shipped VFS ({@link SqliteView}), store faults off. */
    private void checkSqliteView(Database d, PageState state, String actor, String when) throws IOException {
        store.setFaultsEnabled(false);
        try {
            sqliteView.check(d, state, actor, when);
        } finally {
            store.setFaultsEnabled(!faultsStopped);
        }
    }

    private void checkCommitVisible(Set<Long> written) throws IOException {
        PageState want = last();
        try (ReadTransaction rt = db.beginRead()) {
            if (rt.sizeBytes() != want.size * pageSize) {
                throw new InvariantViolation("read-your-writes", "after commit the writer sees " + rt.sizeBytes()
                        + " bytes, committed " + want.size + " pages");
            }
            byte[] buf = new byte[pageSize];
            for (long p : written) {
                if (p > want.size) {
                    continue;
                }
                rt.read((p - 1) * pageSize, buf, 0, pageSize);
                if (!Arrays.equals(buf, want.page(p))) {
                    throw new InvariantViolation("read-your-writes", "after commit page " + p + " differs");
                }
            }
            world.stats().operations(written.size());
        }
    }

    private static String firstDifference(PageState a, PageState b) {
        for (long p = 1; p <= Math.max(a.size, b.size); p++) {
            if (!Arrays.equals(a.page(p), b.page(p))) {
                return " (first difference at page " + p + ")";
            }
        }
        return "";
    }

    // ------------------------------------------------------------------------------------------ rival

    private void rival(List<EngineScenario.PageWrite> ws) {
        auditor.audit();
        long txid = auditor.head() + 1;
        byte[] body = rivalBody(txid, ws);
        try {
            rivalClient.createFile(0, txid, txid, LtxBody.of(body));
            auditor.rivalAcknowledged(txid, java.nio.ByteBuffer.wrap(body).getLong(body.length - 8));
            world.reached("rival-landed", "TXID " + txid);
        } catch (ReplicaException e) {
            world.reached("rival-failed", e.getClass().getSimpleName());
        }
    }

    /** The store's {@link FaultKind#CREATE_RACE}: a rival lands the name first, on the current head. */
    private byte[] phantomRival(int level, long min, long max) {
        auditor.audit();
        if (level != 0 || min != max || min != auditor.head() + 1) {
            return null;
        }
        List<EngineScenario.PageWrite> ws = List.of(new EngineScenario.PageWrite(phantomRandom.nextInt(1 << 16),
                phantomRandom.nextLong() | 1));
        byte[] body = rivalBody(min, ws);
        auditor.rivalAcknowledged(min, java.nio.ByteBuffer.wrap(body).getLong(body.length - 8));
        return body;
    }

    /** A valid, checksum-tracked LTX file on the head's state, by the rival's node id. */
    private byte[] rivalBody(long txid, List<EngineScenario.PageWrite> ws) {
        PageState prev = auditor.stateAt(txid - 1);
        TreeMap<Long, byte[]> writes = new TreeMap<>();
        for (EngineScenario.PageWrite w : ws) {
            writes.put(1 + Math.floorMod((long) w.slot(), (long) maxPages), page(w.fill() ^ RIVAL_NODE, pageSize));
        }
        // Half the rival's files come from a WAL-mode writer (as the Litestream daemon's all do): its page 1
        // says WAL (file format bytes 18/19 = 2), and it always writes page 1 here.
        if ((ws.get(0).fill() & (1L << 62)) != 0) {
            byte[] one = writes.computeIfAbsent(1L, p -> page(ws.get(0).fill() ^ RIVAL_NODE ^ 1, pageSize));
            one[18] = 2;
            one[19] = 2;
            world.reached("rival-wal-page-one", "TXID " + txid);
        }
        long size = Math.max(prev.size, writes.lastKey());
        PageState next = prev.apply(writes, size);
        auditor.rivalCommitted(next);
        LtxHeader h = LtxHeader.of(0, pageSize, size, txid, txid, world.clock().millis(), txid == 1 ? 0 : prev.digest)
                .withNodeId(RIVAL_NODE);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            LtxEncoder enc = new LtxEncoder(out, h, h.range().filename());
            for (long p = 1; p <= size; p++) {
                if (txid == 1 || p > prev.size || writes.containsKey(p)) {
                    enc.writePage(p, next.page(p), 0);
                }
            }
            LtxEncodeResult r = enc.finish(next.digest);
            if (r.postApplyChecksum() != next.digest) {
                throw new IllegalStateException("rival file checksum disagrees with the model");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    // ------------------------------------------------------------------------------------------ followers

    private final class Follower {
        final String name;
        final SimReplicaClient client;
        final EngineOptions options;
        Database db;
        long seenTxid = -1;

        Follower(String name, SimReplicaClient client, EngineOptions options) {
            this.name = name;
            this.client = client;
            this.options = options;
        }

        void poll() throws IOException {
            if (db == null) {
                auditor.audit();
                if (auditor.head() == 0) {
                    return;
                }
                try {
                    db = Database.open(client, "db", options);
                    world.reached("follower-opened", name + " at TXID " + db.current().txid());
                } catch (IOException e) {
                    world.reached("follower-open-failed", e.getClass().getSimpleName());
                    return;
                }
            } else {
                PollOutcome o = db.pollOnce(options.clock().instant());
                if (!o.ok()) {
                    world.reached("poll-failed", o.error().getClass().getSimpleName());
                }
            }
            check();
        }

        void check() throws IOException {
            long txid = db.current().txid();
            if (txid < seenTxid) {
                throw new InvariantViolation("follower-monotonic", name + " went back from TXID " + seenTxid + " to "
                        + txid);
            }
            if (txid == seenTxid) {
                return;
            }
            auditor.audit();
            if (txid > auditor.head()) {
                throw new InvariantViolation("follower-atomicity", name + " is at TXID " + txid
                        + " beyond the replica's head " + auditor.head());
            }
            PageState got = readState(db, name);
            PageState want = auditor.stateAt(txid);
            if (got.digest != want.digest) {
                throw new InvariantViolation("follower-atomicity", name + " at TXID " + txid + " shows " + got
                        + " but the replica there holds " + want + firstDifference(got, want));
            }
            checkSqliteView(db, got, name, "at TXID " + txid);
            seenTxid = txid;
        }
    }

    // ------------------------------------------------------------------------------------------ liveness

    private void liveness() throws IOException {
        faultsStopped = true;
        faultsOff(true);
        world.reached("faults-stopped", "");
        world.clock().advance(Duration.ofSeconds(1)); // listing-lag windows close
        if (db == null) {
            reopen("for liveness");
        }
        int i = 0;
        for (; i < LIVENESS_INTERVALS; i++) {
            if (db.status().conflict() != null) {
                onConflict(db.status().conflict(), "liveness");
                refresh();
            }
            world.clock().advance(syncInterval);
            syncTick();
            if (db.status().pendingCommits() == 0 && db.status().conflict() == null) {
                break;
            }
        }
        if (db.status().pendingCommits() != 0 || db.status().conflict() != null) {
            throw new InvariantViolation("liveness", "after " + LIVENESS_INTERVALS + " fault-free sync intervals "
                    + db.status().pendingCommits() + " commits are unsynced" + (db.status().conflict() == null ? ""
                    : " and the writer is conflicted: " + db.status().conflict().message()));
        }
        auditor.audit();
        if (!inReplica(last(), auditor.head())) {
            throw new InvariantViolation("liveness", "nothing pending, but the writer's last commit " + last()
                    + " is not in the replica (head TXID " + auditor.head() + ")");
        }
        checkVisible("at the end");
        if (auditor.stateAt(auditor.head()).digest != last().digest) {
            world.reached("writer-behind-rival", "head " + auditor.head()); // write mode does not poll: by design
        }
        for (Follower f : followers) {
            for (int k = 0; k < LIVENESS_INTERVALS && f.seenTxid != auditor.head(); k++) {
                world.clock().advance(pollInterval);
                f.poll();
            }
            if (auditor.head() > 0 && f.seenTxid != auditor.head()) {
                throw new InvariantViolation("liveness", f.name + " stuck at TXID " + f.seenTxid + ", replica head "
                        + auditor.head());
            }
        }
        restoreCheck();
        try {
            db.close();
        } catch (IOException e) {
            throw new InvariantViolation("liveness", "close failed without faults: " + e);
        }
        db = null;
        for (Follower f : followers) {
            if (f.db != null) {
                f.db.close();
            }
        }
        world.reached("liveness", "head TXID " + auditor.head() + " after " + (i + 1) + " intervals");
    }

    /** The replica restored by the planner and LtxRestorer equals the model, at the head and one earlier TXID. */
    private void restoreCheck() throws IOException {
        long head = auditor.head();
        if (head == 0) {
            return;
        }
        SimReplicaClient client = store.client(PREFIX);
        long other = 1 + world.random("engine/restore").nextInt((int) head);
        for (long txid : new long[] {head, other}) {
            List<LtxFileInfo> plan;
            try {
                plan = new RestorePlanner(client).plan(RestoreTarget.txid(txid));
            } catch (dev.ltx4j.replica.RestorePlanException e) {
                throw new InvariantViolation("atomicity", "cannot plan a restore of TXID " + txid + ": " + e.getMessage());
            }
            List<LtxSource> sources = new ArrayList<>();
            for (LtxFileInfo f : plan) {
                sources.add(LtxSource.of("L" + f.level() + "/" + f.range().filename(),
                        () -> client.openFile(f.level(), f.minTxid(), f.maxTxid(), 0, 0)));
            }
            Path out = tempDir.resolve("restore-" + txid + ".db");
            LtxRestorer.Result r = LtxRestorer.restore(sources, out);
            byte[] bytes = Files.readAllBytes(out);
            TreeMap<Long, byte[]> pages = new TreeMap<>();
            for (long p = 1; p <= r.commit(); p++) {
                pages.put(p, Arrays.copyOfRange(bytes, (int) ((p - 1) * pageSize), (int) p * pageSize));
            }
            PageState got = PageState.empty(pageSize).apply(pages, r.commit());
            if (got.digest != auditor.stateAt(txid).digest || r.maxTxid() != txid) {
                throw new InvariantViolation("atomicity", "restore of TXID " + txid + " gives " + got + " at TXID "
                        + r.maxTxid() + ", the replica model " + auditor.stateAt(txid));
            }
            Files.delete(out);
        }
        world.reached("restore-verified", "TXIDs " + head + ", " + other);
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a leftover temp directory is harmless
        }
    }
}
