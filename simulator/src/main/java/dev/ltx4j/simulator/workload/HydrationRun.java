package dev.ltx4j.simulator.workload;

import dev.ltx4j.ltx.Ltx;
import dev.ltx4j.ltx.LtxEncoder;
import dev.ltx4j.ltx.LtxHeader;
import dev.ltx4j.ltx.Txid;
import dev.ltx4j.pagestore.replica.HydrationFaults;
import dev.ltx4j.pagestore.replica.HydrationSidecar;
import dev.ltx4j.pagestore.replica.HydrationStatus;
import dev.ltx4j.replica.EngineClock;
import dev.ltx4j.replica.LtxBody;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaException;
import dev.ltx4j.simulator.InvariantViolation;
import dev.ltx4j.simulator.Seeds;
import dev.ltx4j.simulator.SimRandom;
import dev.ltx4j.simulator.World;
import dev.ltx4j.simulator.store.SimObjectStore;
import dev.ltx4j.simulator.store.SimReplicaClient;
import dev.ltx4j.syncer.Database;
import dev.ltx4j.syncer.EngineOptions;
import dev.ltx4j.syncer.HydrationOptions;
import dev.ltx4j.syncer.ReadTransaction;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * One run of the {@link HydrationScenario}. The model is the replica's state at every TXID. Properties (the
 * {@link InvariantViolation#property()} names):
 * <ul>
 *   <li>{@code hydrated-equals-restore}: whenever the hydrator reports its file complete at a TXID, the file is
 *       byte for byte the restore of the replica at that TXID;</li>
 *   <li>{@code hydrated-read}: a read transaction begun after a step shows the model's state at its TXID;</li>
 *   <li>{@code hydrated-pinned-read}: a read transaction pinned before the poll and the hydration step still
 *       shows the model's state at the TXID it pinned, though the file moved on meanwhile.</li>
 * </ul>
 */
final class HydrationRun {
    static final String PREFIX = "db";
    private static final HydrationFaults.Point[] POINTS = HydrationFaults.Point.values();

    private final World world;
    private final Set<Bug> bugs;
    private final SimObjectStore store;
    private final SimReplicaClient publisher;
    private final SimReplicaClient client;
    private final int pageSize;
    private final int maxPages;
    private final boolean checksums;
    private final List<PageState> states = new ArrayList<>();
    private final Path dir;
    private final Path file;
    private final EngineOptions options;
    private HydrationFaults.Point crashAt;
    private boolean crashed;
    private Database db;
    private ReadTransaction pinned;

    HydrationRun(World world, Set<Bug> bugs) throws IOException {
        this.world = world;
        this.bugs = bugs.isEmpty() ? EnumSet.noneOf(Bug.class) : EnumSet.copyOf(bugs);
        this.store = new SimObjectStore(world);
        store.setCorruptibleFrom(Integer.MAX_VALUE); // damage at rest is the corruption scenario's subject
        this.publisher = store.client(PREFIX);
        this.client = store.client(PREFIX);
        SimRandom config = world.random("hydration/config");
        this.pageSize = config.nextInt(3) == 0 ? 4096 : 512;
        this.maxPages = pageSize == 512 ? 32 : 12;
        this.checksums = config.nextBoolean();
        this.dir = Files.createTempDirectory("ltx4j-sim-hydration");
        this.file = dir.resolve("db.hydrated");
        HydrationFaults faults = new HydrationFaults() {
            @Override
            public void at(Point point) throws IOException {
                if (point == crashAt) {
                    crashAt = null;
                    crashed = true;
                    throw new IOException("simulated crash at " + point);
                }
            }

            @Override
            public boolean ignorePinnedVersion() {
                return HydrationRun.this.bugs.contains(Bug.HYDRATE_IGNORE_PIN);
            }

            @Override
            public boolean trustSidecar() {
                return HydrationRun.this.bugs.contains(Bug.HYDRATE_TRUST_SIDECAR);
            }
        };
        this.options = EngineOptions.builder().writeEnabled(false).pollInterval(Duration.ofMillis(100))
                .clock(EngineClock.of(world.clock(), world.clock()::nanoTime, x -> { }))
                .cacheBytes(config.nextBoolean() ? 0 : 4L * pageSize).seed(1)
                .replicaIdentity("sim://" + PREFIX).background(Runnable::run)
                .hydration(HydrationOptions.hydrated(file)).hydrationFaults(faults).build();
        states.add(PageState.empty(pageSize));
        world.record("hydration", "page size " + pageSize + (checksums ? ", checksums" : ", no checksums")
                + (bugs.isEmpty() ? "" : ", bugs " + bugs));
    }

    void execute(List<HydrationScenario.Action> actions) throws Exception {
        try {
            append(maxPages, 1);
            for (HydrationScenario.Action a : actions) {
                world.clock().advance(Duration.ofMillis(10));
                world.record("run", a.toString());
                apply(a);
            }
            // Faults stop: the copy must complete and equal the restore at the head.
            store.setFaultsEnabled(false);
            for (int i = 0; i < 4; i++) {
                step();
            }
            HydrationStatus s = db == null ? null : db.hydrationStatus();
            if (s == null || !"ready".equals(s.state()) || s.txid() != head()) {
                throw new InvariantViolation("hydration-liveness", "without faults the hydrator did not reach the"
                        + " head " + head() + ": " + s);
            }
        } catch (IOException | RuntimeException e) {
            throw InvariantViolation.unexpected(e);
        } finally {
            stop();
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    private long head() {
        return states.size() - 1;
    }

    private void apply(HydrationScenario.Action a) throws IOException {
        if (a instanceof HydrationScenario.Append p) {
            append(p.pages(), p.fill());
        } else if (a instanceof HydrationScenario.Compact) {
            compact();
        } else if (a instanceof HydrationScenario.Step) {
            step();
        } else if (a instanceof HydrationScenario.Crash c) {
            crashAt = POINTS[c.point() % POINTS.length];
            step();
        } else if (a instanceof HydrationScenario.Restart r) {
            stop();
            for (int i = 0; i < r.appends(); i++) {
                append(1 + i % 3, Seeds.mix(r.fill() + i));
            }
            world.reached("hydration-restart", r.appends() + " appends while down");
        } else if (a instanceof HydrationScenario.DamageSidecar d) {
            stop();
            flip(HydrationSidecar.of(file), d.at(), "sidecar");
        } else if (a instanceof HydrationScenario.DamageFile d) {
            stop();
            flip(file, d.at(), "file");
        }
    }

    private void flip(Path p, int at, String what) throws IOException {
        if (!Files.exists(p) || Files.size(p) == 0) {
            return;
        }
        byte[] b = Files.readAllBytes(p);
        b[Math.floorMod(at, b.length)] ^= (byte) (1 << (at & 7));
        Files.write(p, b);
        world.reached("hydration-damaged-" + what, "at " + Math.floorMod(at, b.length));
    }

    private void stop() throws IOException {
        if (pinned != null) {
            pinned.close();
            pinned = null;
        }
        if (db != null) {
            db.close();
            db = null;
        }
    }

    // ------------------------------------------------------------------------------------------ the database

    private void step() throws IOException {
        Instant now = world.clock().instant();
        if (db == null) {
            try {
                db = Database.open(client, "db", options);
            } catch (IOException e) {
                world.reached("hydration-open-failed", e.getClass().getSimpleName());
                return;
            }
        }
        db.pollOnce(now);
        HydrationStatus s = db.hydrateOnce(now);
        if (crashed) {
            crashed = false;
            world.reached("hydration-crashed", s.state());
            stop(); // the process dies: nothing more is written to the file or the sidecar
            return;
        }
        world.reached("hydration-" + s.state(), s.lastError() == null ? "" : s.lastError().replaceAll("[0-9]", ""));
        if ("ready".equals(s.state())) {
            checkFile(s);
        }
        if (pinned != null) {
            checkRead(pinned, "hydrated-pinned-read");
            pinned.close();
            pinned = null;
        }
        try (ReadTransaction r = db.beginRead()) {
            checkRead(r, "hydrated-read");
        }
        pinned = db.beginRead();
    }

    private void checkFile(HydrationStatus s) throws IOException {
        byte[] want = image((int) s.txid());
        byte[] got = Files.readAllBytes(file);
        if (!Arrays.equals(got, want)) {
            throw new InvariantViolation("hydrated-equals-restore", "hydrated file at TXID " + Txid.format(s.txid())
                    + " differs from the restore at that TXID (" + got.length + " vs " + want.length + " bytes, first"
                    + " difference at " + Arrays.mismatch(got, want) + ")");
        }
        world.reached("hydrated-copy-checked", "");
    }

    private void checkRead(ReadTransaction r, String property) {
        long txid = r.version().txid();
        byte[] got = new byte[(int) r.sizeBytes()];
        try {
            r.read(0, got, 0, got.length);
        } catch (IOException e) {
            world.reached("hydration-read-failed", e.getClass().getSimpleName());
            return; // a replica fault, reported: never wrong data
        }
        byte[] want = image((int) txid);
        if (!Arrays.equals(got, want)) {
            throw new InvariantViolation(property, "a read pinned at TXID " + Txid.format(txid) + " differs from the"
                    + " model at byte " + Arrays.mismatch(got, want));
        }
    }

    /** The restore of the replica at {@code txid}: the model's pages, absent pages as zeros. */
    private byte[] image(int txid) {
        PageState s = states.get(txid);
        byte[] out = new byte[(int) (s.size * pageSize)];
        for (long p = 1; p <= s.size; p++) {
            byte[] page = s.page(p);
            if (page != null) {
                System.arraycopy(page, 0, out, (int) ((p - 1) * pageSize), pageSize);
            }
        }
        return out;
    }

    // ------------------------------------------------------------------------------------------ the publisher

    private void append(int pages, long fill) {
        long txid = head() + 1;
        PageState prev = states.get((int) txid - 1);
        TreeMap<Long, byte[]> writes = new TreeMap<>();
        for (int i = 0; i < pages; i++) {
            long p = txid == 1 ? i + 1 : 1 + Math.floorMod(Seeds.mix(fill + i), (long) maxPages);
            writes.put(p, EngineRun.page(Seeds.mix(fill) + p, pageSize));
        }
        long size = Math.max(prev.size, writes.lastKey());
        PageState next = prev.apply(writes, size);
        publish(0, txid, txid, size, txid == 1 ? null : writes, next, checksums && txid > 1 ? prev.digest : 0,
                txid == 1 ? next : null);
        states.add(next);
        world.stats().operations(pages);
    }

    /** A snapshot of the head at level 9, then the level-0 and older snapshot files it covers deleted. */
    private void compact() throws IOException {
        long head = head();
        for (SimObjectStore.StoredObject o : store.inspect(PREFIX, 9)) {
            if (o.maxTxid() == head) {
                return; // compacted already
            }
        }
        PageState s = states.get((int) head);
        publish(9, 1, head, s.size, null, s, 0, s);
        List<LtxFileInfo> doomed = new ArrayList<>();
        for (int level : new int[] {0, 9}) {
            for (SimObjectStore.StoredObject o : store.inspect(PREFIX, level)) {
                if (o.maxTxid() <= head && !(level == 9 && o.maxTxid() == head)) {
                    doomed.add(new LtxFileInfo(level, o.minTxid(), o.maxTxid(), o.data().length, Instant.EPOCH));
                }
            }
        }
        boolean faults = store.faultsEnabled();
        store.setFaultsEnabled(false);
        try {
            publisher.deleteFiles(doomed);
        } finally {
            store.setFaultsEnabled(faults);
        }
        world.reached("hydration-compacted", doomed.size() + " files");
    }

    private void publish(int level, long min, long max, long size, TreeMap<Long, byte[]> writes, PageState next,
            long pre, PageState all) {
        boolean snapshot = min == 1;
        LtxHeader h = LtxHeader.of(checksums ? 0 : Ltx.HEADER_FLAG_NO_CHECKSUM, pageSize, size, min, max,
                world.clock().millis(), pre).withNodeId(0x5eed);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            LtxEncoder enc = new LtxEncoder(out, h, h.range().filename());
            for (long p = 1; p <= size; p++) {
                if (snapshot || writes.containsKey(p)) {
                    enc.writePage(p, next.page(p), 0);
                }
            }
            enc.finish(checksums ? next.digest : 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        boolean faults = store.faultsEnabled();
        store.setFaultsEnabled(false);
        try {
            publisher.createFile(level, min, max, LtxBody.of(out.toByteArray()));
        } catch (ReplicaException e) {
            throw new IllegalStateException("the publisher's fault-free create failed: " + e, e);
        } finally {
            store.setFaultsEnabled(faults);
        }
    }
}
