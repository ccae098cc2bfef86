package dev.ltx4j.replica;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The planner lists levels top-down from seek positions (issue 10): a long level-0 tail behind compacted levels
 * costs a handful of short listings, and the plan reaches the same state as Litestream's plan over complete
 * listings (checked against a reference implementation of that algorithm on random compacted replicas).
 */
class RestorePlannerListingTest {
    private static final Instant T0 = Instant.parse("2024-01-01T00:00:00Z");

    /** Counts listed entries too (each S3 listing request returns at most 1,000). */
    static final class Listed extends ForwardingReplicaClient {
        long entries;

        Listed(ReplicaClient delegate) {
            super(delegate);
        }

        @Override
        public List<LtxFileInfo> listFiles(int level, long seekTxid, boolean useMetadata) throws ReplicaException {
            List<LtxFileInfo> l = super.listFiles(level, seekTxid, useMetadata);
            entries += l.size();
            return l;
        }
    }

    @Test
    void aHundredThousandL0FilesBehindL3AndASnapshotCostTenShortListings() throws Exception {
        MapReplicaClient map = new MapReplicaClient();
        int n = 100_000;
        for (long t = 1; t <= n; t++) {
            map.put(0, t, t, T0.plusSeconds(t));
        }
        compactLevel(map, 1, 30, 99_990);
        compactLevel(map, 2, 300, 99_900);
        compactLevel(map, 3, 3_600, 97_200);
        map.put(9, 1, 98_000, T0.plusSeconds(98_000));
        CountingReplicaClient counting = new CountingReplicaClient(map);
        Listed listed = new Listed(counting);
        RestorePlanner.Plan plan = new RestorePlanner(listed).planWithPositions(RestoreTarget.latest());
        assertThat(plan.files()).isEqualTo(reference(map, RestoreTarget.latest()));
        assertThat(plan.files().get(plan.files().size() - 1).maxTxid()).isEqualTo(n);
        assertThat(counting.snapshot().lists()).isEqualTo(10); // one per level
        assertThat(listed.entries).isLessThan(500); // of 100,000 + 3,333 + 333 + 27 + 1
        assertThat(plan.positions()[0]).isEqualTo(n); // a poller continues level 0 at the tail
        assertThat(plan.files()).hasSizeLessThan(25);

        // A TXID in the past is planned as the reference plans it, from short listings as well.
        counting.reset();
        listed.entries = 0;
        assertThat(new RestorePlanner(listed).plan(RestoreTarget.txid(99_950)))
                .isEqualTo(reference(map, RestoreTarget.txid(99_950)));
        assertThat(counting.snapshot().lists()).isEqualTo(10);
        assertThat(listed.entries).isLessThan(500);
    }

    @Test
    void aLevelWhoseBoundariesDoNotLineUpFallsBackToCompleteListings() throws Exception {
        MapReplicaClient map = new MapReplicaClient();
        map.put(9, 1, 10, T0);
        map.put(2, 11, 20, T0);
        map.put(1, 5, 30, T0); // starts before the L2 file the seek comes from, and is the only way past 20
        CountingReplicaClient counting = new CountingReplicaClient(map);
        List<LtxFileInfo> plan = new RestorePlanner(counting).plan(RestoreTarget.txid(30));
        assertThat(plan).isEqualTo(reference(map, RestoreTarget.txid(30)));
        assertThat(counting.snapshot().lists()).isEqualTo(19); // 10 seeked, then levels 8..0 in full
    }

    @Test
    void randomCompactedReplicasPlanTheSameStateAsCompleteListings() throws Exception {
        Random random = new Random(42);
        for (int round = 0; round < 300; round++) {
            MapReplicaClient map = new MapReplicaClient();
            int n = 20 + random.nextInt(400);
            for (long t = 1; t <= n; t++) {
                map.put(0, t, t, T0.plusSeconds(t));
            }
            int[] sizes = {0, 2 + random.nextInt(4), 0, 0};
            sizes[2] = sizes[1] * (2 + random.nextInt(3));
            sizes[3] = sizes[2] * (2 + random.nextInt(3));
            long upTo = n;
            for (int level = 1; level <= 3; level++) {
                upTo = Math.max(0, upTo - random.nextInt(sizes[level] * 2 + 1));
                compactLevel(map, level, sizes[level], upTo);
            }
            if (random.nextBoolean()) {
                long s = 1 + random.nextInt(n);
                map.put(9, 1, s, T0.plusSeconds(s));
            }
            // Retention-like deletions: lower-level files covered by a higher level, a random prefix of them.
            for (int level = 0; level <= 2; level++) {
                long covered = 0;
                for (int up = level + 1; up <= 9; up++) {
                    for (LtxFileInfo f : map.listFiles(up, 0, false)) {
                        covered = Math.max(covered, f.maxTxid());
                    }
                }
                long cut = covered == 0 ? 0 : random.nextInt((int) covered + 1);
                for (LtxFileInfo f : map.listFiles(level, 0, false)) {
                    if (f.maxTxid() <= cut && random.nextInt(4) != 0) {
                        map.files.remove(MapReplicaClient.key(level, f.minTxid(), f.maxTxid()));
                    }
                }
            }
            for (RestoreTarget target : List.of(RestoreTarget.latest(), RestoreTarget.txid(1 + random.nextInt(n)))) {
                Object expected = outcome(() -> reference(map, target));
                Object got = outcome(() -> new RestorePlanner(map).plan(target));
                assertThat(reached(got)).as("round %d, %s", round, target).isEqualTo(reached(expected));
            }
        }
    }

    /** Files of {@code level - 1} merged in chunks of {@code size} (by TXID) up to {@code upTo}, like a compactor. */
    private static void compactLevel(MapReplicaClient map, int level, int size, long upTo) throws Exception {
        List<LtxFileInfo> below = map.listFiles(level - 1, 0, false);
        long start = 1;
        while (start + size - 1 <= upTo) {
            long end = start + size - 1;
            long s = start;
            boolean boundaries = below.stream().anyMatch(f -> f.minTxid() == s)
                    && below.stream().anyMatch(f -> f.maxTxid() == end);
            if (boundaries) {
                map.put(level, start, end, T0.plusSeconds(end));
            }
            start = end + 1;
        }
    }

    @FunctionalInterface
    interface Planning {
        List<LtxFileInfo> plan() throws Exception;
    }

    private static Object outcome(Planning p) {
        try {
            return p.plan();
        } catch (Exception e) {
            return e.getClass();
        }
    }

    /** The TXID a plan reaches, after checking it is one contiguous chain from TXID 1; or the error's class. */
    private static Object reached(Object outcome) {
        if (!(outcome instanceof List<?> plan)) {
            return outcome;
        }
        long reached = 0;
        for (Object o : plan) {
            LtxFileInfo f = (LtxFileInfo) o;
            assertThat(f.minTxid()).isLessThanOrEqualTo(reached + 1);
            assertThat(f.maxTxid()).isGreaterThan(reached);
            reached = f.maxTxid();
        }
        return reached;
    }

    /** Litestream's CalcRestorePlan over complete listings (no timestamps), written out plainly. */
    static List<LtxFileInfo> reference(ReplicaClient client, RestoreTarget target) throws Exception {
        long txid = target.txid();
        List<LtxFileInfo> plan = new ArrayList<>();
        long reached = 0;
        for (LtxFileInfo f : client.listFiles(9, 0, false)) {
            if (txid == 0 || f.maxTxid() <= txid) {
                if (plan.isEmpty()) {
                    plan.add(f);
                } else {
                    plan.set(0, f);
                }
            }
        }
        if (!plan.isEmpty()) {
            reached = plan.get(0).maxTxid();
            if (txid != 0 && reached >= txid) {
                return plan;
            }
        }
        List<LtxFileInfo> all = new ArrayList<>();
        for (int level = 8; level >= 0; level--) {
            all.addAll(client.listFiles(level, 0, false));
        }
        while (txid == 0 || reached < txid) {
            LtxFileInfo best = null;
            for (LtxFileInfo f : all) {
                if (f.minTxid() <= reached + 1 && f.maxTxid() > reached && (txid == 0 || f.maxTxid() <= txid)
                        && (best == null || RestorePlanner.better(best, f))) {
                    best = f;
                }
            }
            if (best == null) {
                break;
            }
            plan.add(best);
            reached = best.maxTxid();
        }
        if (plan.isEmpty() || (txid != 0 && reached < txid)) {
            throw new RestorePlanException.TransactionNotAvailable("reference", reached, plan.isEmpty());
        }
        if (txid == 0) {
            for (LtxFileInfo f : all) {
                if (f.minTxid() > reached + 1) {
                    throw new RestorePlanException.NonContiguous(reached, f.level(), f.minTxid());
                }
            }
        }
        return plan;
    }
}
