package dev.ltx4j.compaction;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ltx4j.replica.LtxFileInfo;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** RetentionPlan as a pure function over listings (names and times only). */
class RetentionPlanTest {
    static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    /** TXID t was synced at T0 + 10 s * t. */
    static Instant time(long txid) {
        return T0.plusSeconds(10 * txid);
    }

    static LtxFileInfo f(int level, long min, long max) {
        return new LtxFileInfo(level, min, max, 1000 + max - min, time(max));
    }

    /** Litestream-like: L0 every TXID, L1 every 6, L2 every 30, a snapshot every 360, up to {@code n}. */
    static Map<Integer, List<LtxFileInfo>> history(long n) {
        Map<Integer, List<LtxFileInfo>> m = new HashMap<>();
        for (long t = 1; t <= n; t++) {
            add(m, f(0, t, t));
            if (t % 6 == 0) {
                add(m, f(1, t - 5, t));
            }
            if (t % 30 == 0) {
                add(m, f(2, t - 29, t));
            }
            if (t % 360 == 0) {
                add(m, f(9, 1, t));
            }
        }
        return m;
    }

    static void add(Map<Integer, List<LtxFileInfo>> m, LtxFileInfo f) {
        m.computeIfAbsent(f.level(), k -> new ArrayList<>()).add(f);
    }

    static Map<Integer, List<LtxFileInfo>> remaining(Map<Integer, List<LtxFileInfo>> all, List<LtxFileInfo> deleted) {
        Set<LtxFileInfo> gone = new HashSet<>(deleted);
        Map<Integer, List<LtxFileInfo>> out = new HashMap<>();
        all.forEach((level, files) -> out.put(level, files.stream().filter(f -> !gone.contains(f)).toList()));
        return out;
    }

    @Test
    void everyRestorePointStaysRestorableAndOldFilesGo() {
        Map<Integer, List<LtxFileInfo>> all = history(2000);
        Instant now = time(2000);
        Duration retention = Duration.ofMinutes(60); // 360 TXIDs
        RetentionPlan plan = RetentionPlan.of(all, now, retention, Duration.ofMinutes(5));
        assertThat(plan.refusal()).isNull();
        // Every TXID synced inside the window, the window's start and the latest are points.
        assertThat(plan.restorePoints()).contains(2000L, 1640L).containsAll(range(1640, 2000));
        Map<Integer, List<LtxFileInfo>> after = remaining(all, plan.delete());
        assertThat(RestorabilityCheck.problems(after, plan.restorePoints())).isEmpty();
        // Most of the history before the window is gone: old L0s, L1s, L2s, snapshots.
        int total = all.values().stream().mapToInt(List::size).sum();
        assertThat(plan.delete().size()).isGreaterThan(total / 2);
        assertThat(after.get(9)).extracting(LtxFileInfo::maxTxid).contains(1800L).doesNotContain(360L);
        assertThat(plan.keep().size() + plan.delete().size()).isEqualTo(total);
        // The newest file of every level stays.
        assertThat(after.get(0)).extracting(LtxFileInfo::maxTxid).contains(2000L);
        assertThat(after.get(2)).extracting(LtxFileInfo::maxTxid).contains(1980L);
        // A point just before the window is not promised and not kept by accident of the L0 chain.
        assertThat(after.get(0)).extracting(LtxFileInfo::maxTxid).doesNotContain(1000L);
    }

    @Test
    void theStateAtTheWindowStartStaysReadable() {
        Map<Integer, List<LtxFileInfo>> all = history(1000);
        // Window start falls between TXID 700 (at 7000 s) and 701: the state at that moment is TXID 700.
        Instant now = time(1000).plusSeconds(5);
        RetentionPlan plan = RetentionPlan.of(all, now, Duration.ofSeconds(10 * 300), Duration.ZERO);
        assertThat(plan.windowStart()).isEqualTo(time(700).plusSeconds(5));
        assertThat(plan.restorePoints()).contains(700L).doesNotContain(699L);
        assertThat(RestorabilityCheck.problems(remaining(all, plan.delete()), List.of(700L))).isEmpty();
    }

    @Test
    void graceKeepsAFileCoveredOnlyRecently() {
        // L0 1..100, all far older than the window; the only snapshot 1-100 was created a minute ago.
        Map<Integer, List<LtxFileInfo>> all = new HashMap<>();
        for (long t = 1; t <= 100; t++) {
            add(all, f(0, t, t));
        }
        Instant now = time(100).plus(Duration.ofDays(2));
        add(all, new LtxFileInfo(9, 1, 100, 5000, now.minusSeconds(60)));
        Duration retention = Duration.ofHours(24);
        RetentionPlan noGrace = RetentionPlan.of(all, now, retention, Duration.ZERO);
        assertThat(noGrace.delete()).hasSize(99); // every L0 but the newest (the newest of each level stays)
        RetentionPlan plan = RetentionPlan.of(all, now, retention, Duration.ofMinutes(15));
        // As of 15 minutes ago the snapshot did not exist: the L0 chain was the only path; it stays.
        assertThat(plan.delete()).isEmpty();
        RetentionPlan later = RetentionPlan.of(all, now.plus(Duration.ofMinutes(15)), retention,
                Duration.ofMinutes(15));
        assertThat(later.delete()).hasSize(99); // newest L0 kept: the newest file of every level stays
        assertThat(RestorabilityCheck.problems(remaining(all, later.delete()), later.restorePoints())).isEmpty();
    }

    @Test
    void theNewestL0StaysWhenAHigherLevelReachesFurther() {
        Map<Integer, List<LtxFileInfo>> all = new HashMap<>();
        for (long t = 1; t <= 12; t++) {
            add(all, f(0, t, t));
        }
        add(all, f(1, 1, 12));
        RetentionPlan plan = RetentionPlan.of(all, time(12).plus(Duration.ofDays(3)), Duration.ofHours(1),
                Duration.ZERO);
        assertThat(plan.keep()).contains(f(0, 12, 12), f(1, 1, 12));
        assertThat(plan.delete()).hasSize(11);
    }

    @Test
    void lowerLevelFilesNotYetCompactedStay() {
        // L1 reaches 12; L0 13..20 wait for the next L1 compaction, even where a snapshot already covers them.
        Map<Integer, List<LtxFileInfo>> all = new HashMap<>();
        for (long t = 1; t <= 20; t++) {
            add(all, f(0, t, t));
        }
        add(all, f(1, 1, 6));
        add(all, f(1, 7, 12));
        add(all, f(9, 1, 20));
        RetentionPlan plan = RetentionPlan.of(all, time(20).plus(Duration.ofDays(3)), Duration.ofHours(1),
                Duration.ZERO);
        for (long t = 13; t <= 20; t++) {
            assertThat(plan.keep()).contains(f(0, t, t));
        }
        assertThat(plan.delete()).contains(f(0, 1, 1), f(0, 12, 12), f(1, 1, 6));
    }

    @Test
    void aGapBeforeTheLatestRefusesToDelete() {
        Map<Integer, List<LtxFileInfo>> all = history(100);
        all.put(0, new ArrayList<>(all.get(0)));
        all.get(0).removeIf(f -> f.minTxid() == 99);
        RetentionPlan plan = RetentionPlan.of(all, time(100).plus(Duration.ofDays(3)), Duration.ofHours(1),
                Duration.ZERO);
        assertThat(plan.refusal()).contains("0000000000000064").contains("gap");
        assertThat(plan.delete()).isEmpty();
    }

    @Test
    void zeroRetentionDeletesNothing() {
        Map<Integer, List<LtxFileInfo>> all = history(400);
        RetentionPlan plan = RetentionPlan.of(all, time(400).plus(Duration.ofDays(30)), Duration.ZERO, Duration.ZERO);
        assertThat(plan.delete()).isEmpty();
        assertThat(plan.restorePoints()).hasSize(400);
    }

    @Test
    void theDeleteTooEarlyBugIsCaughtByTheChecker() {
        Map<Integer, List<LtxFileInfo>> all = history(1000);
        Instant now = time(1000);
        RetentionPlan bug = RetentionPlan.compute(all, now, Duration.ofMinutes(30), Duration.ofMinutes(5),
                f -> f.createdAt(), true);
        RetentionPlan right = RetentionPlan.of(all, now, Duration.ofMinutes(30), Duration.ofMinutes(5));
        assertThat(bug.restorePoints()).isEqualTo(right.restorePoints());
        assertThat(RestorabilityCheck.problems(remaining(all, right.delete()), right.restorePoints())).isEmpty();
        List<String> problems = RestorabilityCheck.problems(remaining(all, bug.delete()), bug.restorePoints());
        assertThat(problems).isNotEmpty();
    }

    @Test
    void randomReplicasKeepEveryPointRestorable() {
        // Random levels, overlaps, racing ranges, gaps (filled later) and timestamps; every plan must check out.
        for (long seed = 1; seed <= 60; seed++) {
            SplittableRandom r = new SplittableRandom(seed);
            Map<Integer, List<LtxFileInfo>> all = new HashMap<>();
            int n = 50 + r.nextInt(300);
            for (long t = 1; t <= n; t++) {
                if (r.nextInt(20) != 0 || t == n) {
                    add(all, f(0, t, t));
                }
            }
            for (int i = 0; i < n / 4; i++) {
                int level = 1 + r.nextInt(3);
                long min = 1 + r.nextInt(n);
                long max = Math.min(n, min + r.nextInt(40));
                LtxFileInfo file = f(level, min, max);
                if (!all.getOrDefault(level, List.of()).contains(file)) {
                    add(all, file);
                }
            }
            if (r.nextBoolean()) {
                add(all, f(9, 1, 1 + r.nextInt(n)));
            }
            Instant now = time(n).plusSeconds(r.nextInt(3000));
            Duration retention = Duration.ofSeconds(10L * r.nextInt(n));
            Duration grace = Duration.ofSeconds(10L * r.nextInt(40));
            RetentionPlan plan = RetentionPlan.of(all, now, retention.isZero() ? Duration.ofSeconds(1) : retention,
                    grace);
            if (plan.refusal() != null) {
                assertThat(plan.delete()).isEmpty();
                continue;
            }
            Map<Integer, List<LtxFileInfo>> after = remaining(all, plan.delete());
            assertThat(RestorabilityCheck.problems(after, plan.restorePoints())).as("seed %d", seed).isEmpty();
            // Any prefix of the deletions (a crash between batches) is as safe.
            List<LtxFileInfo> half = plan.delete().subList(0, plan.delete().size() / 2);
            assertThat(RestorabilityCheck.problems(remaining(all, half), plan.restorePoints())).isEmpty();
            // The plan as of now - grace, over the files that existed then, is honoured too.
            Instant then = now.minus(grace);
            Map<Integer, List<LtxFileInfo>> old = new HashMap<>();
            all.forEach((level, files) -> old.put(level, files.stream().filter(f -> !f.createdAt().isAfter(then))
                    .toList()));
            RetentionPlan past = RetentionPlan.of(old, then, retention.isZero() ? Duration.ofSeconds(1) : retention,
                    Duration.ZERO);
            if (past.refusal() == null) {
                assertThat(RestorabilityCheck.problems(after, past.restorePoints())).as("seed %d (grace)", seed)
                        .isEmpty();
            }
        }
    }

    static List<Long> range(long from, long to) {
        List<Long> out = new ArrayList<>();
        for (long t = from; t <= to; t++) {
            out.add(t);
        }
        return out;
    }

}
