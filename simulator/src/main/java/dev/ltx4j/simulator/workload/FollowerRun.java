package dev.ltx4j.simulator.workload;

import dev.ltx4j.ltx.Ltx;
import dev.ltx4j.ltx.LtxEncoder;
import dev.ltx4j.ltx.LtxHeader;
import dev.ltx4j.pagestore.replica.ReplicaFileCorruptException;
import dev.ltx4j.pagestore.replica.ReplicaIndex;
import dev.ltx4j.pagestore.replica.TxidUnavailableException;
import dev.ltx4j.replica.LtxBody;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaException;
import dev.ltx4j.simulator.InvariantViolation;
import dev.ltx4j.simulator.Seeds;
import dev.ltx4j.simulator.SimRandom;
import dev.ltx4j.simulator.World;
import dev.ltx4j.simulator.store.SimObjectStore;
import dev.ltx4j.simulator.store.SimReplicaClient;
import dev.ltx4j.syncer.DatabaseStatus;
import dev.ltx4j.syncer.EngineOptions;
import dev.ltx4j.syncer.EngineFaults;
import dev.ltx4j.syncer.FollowerStatus;
import dev.ltx4j.syncer.ReadTransaction;
import dev.ltx4j.syncer.ReplicaDivergedException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * One run of the {@link FollowerScenario}. The model is every history the replica has had (the states at each
 * TXID); properties (the {@link InvariantViolation#property()} names):
 * <ul>
 *   <li>{@code follower-no-mix}: after each successful poll a follower shows exactly the state some single history
 *       had at the follower's TXID;</li>
 *   <li>{@code follower-report}: a follower that moves to another history (or refuses reads) has reported a
 *       divergence in its status;</li>
 *   <li>{@code follower-monotonic}: without a reported reload its TXID never goes back;</li>
 *   <li>{@code liveness}: once faults stop, every follower reaches the current history's head within a bounded
 *       number of polls.</li>
 * </ul>
 */
final class FollowerRun {
    static final String PREFIX = "db";
    private static final int LIVENESS_POLLS = 12;

    /** One history of the replica: its writer's node id and the state at each TXID (index 0: empty). */
    private static final class History {
        final int id;
        final long node;
        final List<PageState> states;

        History(int id, long node, List<PageState> prefix) {
            this.id = id;
            this.node = node;
            this.states = new ArrayList<>(prefix);
        }

        long head() {
            return states.size() - 1;
        }

        @Override
        public String toString() {
            return "history " + id;
        }
    }

    private final World world;
    private final Set<Bug> bugs;
    private final SimObjectStore store;
    private final SimReplicaClient publisher;
    private final int pageSize;
    private final int maxPages;
    private final boolean checksums;
    private final Duration pollInterval;
    private final List<History> histories = new ArrayList<>();
    private final List<Follower> followers = new ArrayList<>();
    private History current;
    private boolean faultsStopped;

    FollowerRun(World world, Set<Bug> bugs) {
        this.world = world;
        this.bugs = bugs.isEmpty() ? EnumSet.noneOf(Bug.class) : EnumSet.copyOf(bugs);
        this.store = new SimObjectStore(world);
        store.setCorruptibleFrom(Integer.MAX_VALUE); // damage at rest is the uploader scenario's subject
        this.publisher = store.client(PREFIX);
        SimRandom config = world.random("follower/config");
        this.pageSize = config.nextInt(3) == 0 ? 4096 : 512;
        this.maxPages = pageSize == 512 ? 32 : 12;
        this.checksums = config.nextBoolean();
        this.pollInterval = Duration.ofMillis(100 + config.nextInt(900));
        long cache = switch (config.nextInt(3)) {
            case 0 -> 0;
            case 1 -> 4L * pageSize;
            default -> 10L << 20;
        };
        int n = 1 + config.nextInt(2);
        for (int i = 0; i < n; i++) {
            Clock c = Clock.offset(world.clock(), Duration.ofMillis(config.nextInt(4001) - 2000));
            followers.add(new Follower("follower" + i, store.client(PREFIX),
                    SimFollower.options(PREFIX, c, world, pollInterval, cache, i, EngineFaults.builder()
                            .skipFollowerContinuity(bugs.contains(Bug.SKIP_FOLLOWER_CONTINUITY)).build())));
        }
        world.record("follower", "page size " + pageSize + (checksums ? ", checksums" : ", no checksums") + ", poll"
                + " every " + pollInterval.toMillis() + " ms, cache " + cache + ", " + n + " followers"
                + (bugs.isEmpty() ? "" : ", bugs " + bugs));
    }

    void execute(List<FollowerScenario.Action> actions) throws Exception {
        try {
            newHistory(List.of(PageState.empty(pageSize)));
            append(1 + world.random("follower/first").nextInt(maxPages), 1);
            world.scheduler().play(Duration.ofMillis(10), "publisher", actions, this::apply);
            for (Follower f : followers) {
                world.scheduler().every(pollInterval, f.name, "poll", now -> f.poll());
            }
            world.scheduler().run(Long.MAX_VALUE, Long.MAX_VALUE);
            liveness();
        } catch (IOException | RuntimeException e) {
            throw InvariantViolation.unexpected(e);
        } finally {
            for (Follower f : followers) {
                if (f.db != null) {
                    try {
                        f.db.close();
                    } catch (IOException ignored) {
                        // read mode holds nothing to lose
                    }
                }
            }
        }
    }

    // ------------------------------------------------------------------------------------------ publisher

    private void apply(FollowerScenario.Action a) {
        if (a instanceof FollowerScenario.Append p) {
            append(p.pages(), p.fill());
        } else if (a instanceof FollowerScenario.Replace r) {
            deleteWhere(info -> true);
            newHistory(List.of(PageState.empty(pageSize)));
            append(maxPages, r.fill()); // the new snapshot: every page
            for (int i = 1; i < r.txids(); i++) {
                append(1 + (i % 3), Seeds.mix(r.fill() + i));
            }
            world.reached("replica-replaced", "head " + current.head());
        } else if (a instanceof FollowerScenario.Rewind w) {
            long head = current.head();
            if (head < 2) {
                return;
            }
            long to = 1 + Math.floorMod(w.at(), head - 1);
            deleteWhere(info -> info.maxTxid() > to);
            newHistory(current.states.subList(0, (int) to + 1));
            for (int i = 0; i < w.txids(); i++) {
                append(1 + (i % 3), Seeds.mix(w.fill() + i));
            }
            world.reached("replica-rewound", "to " + to + ", head " + current.head());
        } else if (a instanceof FollowerScenario.Idle i) {
            world.clock().advance(Duration.ofMillis(i.millis()));
        }
    }

    private void newHistory(List<PageState> prefix) {
        // Each history's writer has its own node id, so its files never repeat another history's headers.
        current = new History(histories.size(), 0x5eed_0000_0000_0000L + histories.size(), prefix);
        histories.add(current);
    }

    /** Appends one L0 file to the current history (the snapshot when it is empty). */
    private void append(int pages, long fill) {
        long txid = current.head() + 1;
        PageState prev = current.states.get((int) txid - 1);
        TreeMap<Long, byte[]> writes = new TreeMap<>();
        for (int i = 0; i < pages; i++) {
            long p = txid == 1 ? i + 1 : 1 + Math.floorMod(Seeds.mix(fill + i), (long) maxPages);
            writes.put(p, EngineRun.page(Seeds.mix(fill ^ current.node) + p, pageSize));
        }
        long size = Math.max(prev.size, writes.lastKey());
        PageState next = prev.apply(writes, size);
        LtxHeader h = LtxHeader.of(checksums ? 0 : Ltx.HEADER_FLAG_NO_CHECKSUM, pageSize, size, txid, txid,
                world.clock().millis(), checksums && txid > 1 ? prev.digest : 0).withNodeId(current.node);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            LtxEncoder enc = new LtxEncoder(out, h, h.range().filename());
            for (long p = 1; p <= size; p++) {
                if (txid == 1 || writes.containsKey(p)) {
                    enc.writePage(p, next.page(p), 0);
                }
            }
            enc.finish(checksums ? next.digest : 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        store.setFaultsEnabled(false);
        store.setListingLagOnly(!faultsStopped);
        try {
            publisher.createFile(0, txid, txid, LtxBody.of(out.toByteArray()));
        } catch (ReplicaException e) {
            throw new IllegalStateException("the publisher's fault-free create failed: " + e, e);
        } finally {
            store.setListingLagOnly(false);
            store.setFaultsEnabled(!faultsStopped);
        }
        current.states.add(next);
        world.stats().operations(pages);
    }

    private void deleteWhere(Predicate<LtxFileInfo> which) {
        List<LtxFileInfo> doomed = new ArrayList<>();
        for (int level = ReplicaClient.MIN_LEVEL; level <= ReplicaClient.MAX_LEVEL; level++) {
            for (SimObjectStore.StoredObject o : store.inspect(PREFIX, level)) {
                LtxFileInfo info = new LtxFileInfo(level, o.minTxid(), o.maxTxid(), o.data().length, Instant.EPOCH);
                if (which.test(info)) {
                    doomed.add(info);
                }
            }
        }
        store.setFaultsEnabled(false);
        store.setListingLagOnly(!faultsStopped);
        try {
            publisher.deleteFiles(doomed);
        } catch (ReplicaException e) {
            throw new IllegalStateException("the publisher's fault-free delete failed: " + e, e);
        } finally {
            store.setListingLagOnly(false);
            store.setFaultsEnabled(!faultsStopped);
        }
    }

    // ------------------------------------------------------------------------------------------ followers

    private final class Follower extends SimFollower {
        /** The last state observed: its digest (with {@link #seenTxid}). */
        long seenDigest;
        long seenReloads;

        Follower(String name, SimReplicaClient client, EngineOptions options) {
            super(FollowerRun.this.world, name, client, options);
        }

        @Override
        boolean checkAfterFailedPoll() {
            checkRefusal();
            return false;
        }

        /** After a failed poll: only reads refused with a reported divergence may fail. */
        private void checkRefusal() {
            FollowerStatus.Divergence d = db.status().follower().divergence();
            if (d != null && d.readsRefused()) {
                world.reached("follower-reads-refused", name + " held " + d.heldTxid());
            }
        }

        @Override
        void check() throws IOException {
            long txid;
            PageState got;
            store.setFaultsEnabled(false);
            try (ReadTransaction rt = db.beginRead()) {
                txid = rt.txid();
                long pages = rt.sizeBytes() / rt.pageSize();
                TreeMap<Long, byte[]> all = new TreeMap<>();
                for (long p = 1; p <= pages; p++) {
                    byte[] buf = new byte[rt.pageSize()];
                    rt.read((p - 1) * rt.pageSize(), buf, 0, buf.length);
                    all.put(p, buf);
                }
                world.stats().operations(pages);
                got = PageState.empty(pageSize).apply(all, pages);
            } catch (ReplicaDivergedException e) {
                FollowerStatus.Divergence d = db.status().follower().divergence();
                if (d == null || !d.readsRefused()) {
                    throw new InvariantViolation("follower-report", name + " refuses reads (" + e.getMessage()
                            + ") without reporting a divergence in its status");
                }
                world.reached("follower-reads-refused", name);
                return;
            } catch (IOException e) {
                if (lastPollQuick && (e instanceof ReplicaFileCorruptException || e instanceof TxidUnavailableException
                        || ReplicaIndex.isNotFound(e))) {
                    // A quick poll did not re-check the held files (docs/request-economy-follower.md): one replaced
                    // or deleted under the follower fails to read (typed, never mixed) until the next complete check.
                    world.reached("follower-stale-read-after-quick-poll", name + ": " + e.getClass().getSimpleName());
                    return;
                }
                // Store faults are off: after a successful poll the follower's own pages must read back.
                throw new InvariantViolation("follower-no-mix", name + " cannot read its own state after a"
                        + " successful poll: " + e);
            } finally {
                store.setFaultsEnabled(!faultsStopped);
            }
            List<History> matches = new ArrayList<>();
            for (History h : histories) {
                if (h.head() >= txid && h.states.get((int) txid).digest == got.digest) {
                    matches.add(h);
                }
            }
            if (matches.isEmpty()) {
                throw new InvariantViolation("follower-no-mix", name + " at TXID " + txid + " shows " + got
                        + ", a state no history of the replica had (" + histories.size() + " histories; the current "
                        + "one has " + (current.head() >= txid ? current.states.get((int) txid) : "no such TXID") + ")");
            }
            DatabaseStatus s = db.status();
            long reloads = s.follower().reloads();
            boolean reported = reloads > seenReloads;
            if (seenTxid >= 0 && !continues(txid, got.digest) && !reported) {
                throw new InvariantViolation(txid < seenTxid ? "follower-monotonic" : "follower-report", name
                        + " moved from TXID " + seenTxid + " to TXID " + txid + " (" + matches + "), which no single"
                        + " history of the replica passes through in that order, without reporting a divergence");
            }
            if (reported) {
                if (s.lastError() == null || !s.lastError().contains("replica_diverged")) {
                    throw new InvariantViolation("follower-report", name + " reloaded but its last error says "
                            + s.lastError());
                }
                world.reached("follower-switched", name + " to TXID " + txid);
            }
            seenTxid = txid;
            seenDigest = got.digest;
            seenReloads = reloads;
        }

        /** Whether one history holds the last state seen and then {@code digest} at {@code txid}. */
        private boolean continues(long txid, long digest) {
            for (History h : histories) {
                if (txid >= seenTxid && h.head() >= txid && h.states.get((int) seenTxid).digest == seenDigest
                        && h.states.get((int) txid).digest == digest) {
                    return true;
                }
            }
            return false;
        }

        boolean atHead() {
            return seenTxid == current.head() && current.states.get((int) seenTxid).digest == seenDigest;
        }
    }

    // ------------------------------------------------------------------------------------------ liveness

    private void liveness() throws IOException {
        faultsStopped = true;
        store.setFaultsEnabled(false);
        world.reached("faults-stopped", "");
        world.clock().advance(Duration.ofSeconds(1)); // listing-lag windows close
        for (Follower f : followers) {
            for (int k = 0; k < LIVENESS_POLLS && !f.atHead(); k++) {
                world.clock().advance(pollInterval);
                f.poll();
            }
            if (!f.atHead()) {
                throw new InvariantViolation("liveness", f.name + " stuck at TXID " + f.seenTxid
                        + "; the replica is " + current + " at TXID " + current.head()
                        + (f.db == null ? "" : "; status " + f.db.status().toJson()));
            }
        }
        world.reached("liveness", current + " head " + current.head() + ", " + histories.size() + " histories");
    }
}
