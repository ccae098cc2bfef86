package dev.ltx4j.syncer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ltx4j.compaction.CompactionFaults;
import dev.ltx4j.compaction.CompactionResult;
import dev.ltx4j.compaction.CompactionSettings;
import dev.ltx4j.compaction.Compactor;
import dev.ltx4j.conformance.InMemoryReplicaClient;
import dev.ltx4j.pagestore.replica.HydrationStatus;
import dev.ltx4j.pagestore.testkit.MemoryLogStorage;
import dev.ltx4j.replica.CountingReplicaClient;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.file.FileReplicaClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The request table of docs/request-costs.md: a replica that lived for simulated hours or days with the default compaction
 * and retention, then every operation a user meets, each counted on a fresh counting client (LIST calls and the S3
 * pages they cost, GETs, PUTs, DELETE batches). Prints one {@code COST} line per operation; the bounds asserted are
 * the ones docs/request-costs.md derives as minimal for the layout (plus the engine's stated checks).
 */
class LongLivedCostsTest {
    @TempDir
    Path tmp;

    private final List<String> rows = new ArrayList<>();

    private record Cost(long lists, long pages, long gets, long puts, long deletes, long bytesRead) {}

    private Cost measure(String op, OldReplica.Pages pages, CountingReplicaClient c, IoAction action) throws Exception {
        pages.reset();
        c.reset();
        action.run();
        CountingReplicaClient.Counts n = c.snapshot();
        Cost cost = new Cost(n.lists(), pages.pages, n.opens(), n.creates(), n.deletes(), n.bytesRead());
        String row = String.format("COST | %-36s | %6d | %6d | %6d | %5d | %6d | %11d |", op, cost.lists, cost.pages,
                cost.gets, cost.puts, cost.deletes, cost.bytesRead);
        rows.add(row);
        System.out.println(row);
        return cost;
    }

    @FunctionalInterface
    private interface IoAction {
        void run() throws Exception;
    }

    @Test
    @Tag("slow")
    void costsOfAReplicaThatLivedLong() throws Exception {
        Path root = Files.createDirectories(tmp.resolve("replica"));
        ReplicaClient store = new FileReplicaClient(root);
        OldReplica old = new OldReplica(1_700_000_000_000L);
        // Small by default (a quick suite); docs/request-costs.md runs -Dcosts.commits=9000 (25 hours, retention ran).
        int commits = Integer.getInteger("costs.commits", 1500);
        OldReplica.Pages life = new OldReplica.Pages(store);
        CountingReplicaClient lifeCounts = new CountingReplicaClient(life, false);
        old.live(lifeCounts, tmp.resolve("w"), commits, Duration.ofSeconds(10), 7);
        System.out.println("COST shape after " + commits + " commits: " + OldReplica.shape(store));
        System.out.println("COST the writer's life: " + lifeCounts.snapshot() + ", LIST pages " + life.pages
                + ", GETs by level " + life.getsByLevel());
        costs(store, old);
    }

    /** A replica written with compaction off (or by an old tool): open it, then {@code ltx4j compact} it. */
    @Test
    @Tag("slow")
    void costsOfAnUncompactedReplica() throws Exception {
        ReplicaClient store = new FileReplicaClient(Files.createDirectories(tmp.resolve("flat")));
        OldReplica old = new OldReplica(1_700_000_000_000L);
        int commits = Integer.getInteger("costs.flat", 1000);
        old.live(store, tmp.resolve("w"), commits, Duration.ofSeconds(10), 5, CompactionSettings.off());
        OldReplica.Pages pages = new OldReplica.Pages(store);
        CountingReplicaClient c = new CountingReplicaClient(pages);
        Kit.ManualClock clock = old.clock;
        System.out.println("COST uncompacted: " + OldReplica.shape(store));
        measure("open read mode (cold), uncompacted", pages, c, () -> Database.open(c, "app.db",
                Kit.reader(clock).build()).close());
        measure("ltx4j compact, uncompacted", pages, c, () -> {
            Compactor cli = new Compactor(c, CompactionSettings.defaults(), CompactionFaults.NONE);
            cli.reuseUploads(new dev.ltx4j.compaction.RecentUploads(64L << 20), false); // as CompactCommand
            for (int level = 1; level <= 3; level++) {
                CompactionResult r;
                do {
                    r = cli.compactLevel(level, clock.instant());
                } while (r.more() && r.outcome() != CompactionResult.Outcome.NOTHING_TO_DO);
            }
            cli.snapshot(clock.instant());
        });
        System.out.println("COST GETs by level " + pages.getsByLevel());
    }

    void costs(ReplicaClient store, OldReplica old) throws Exception {
        OldReplica.Pages pages = new OldReplica.Pages(store);
        CountingReplicaClient c = new CountingReplicaClient(pages);
        Kit.ManualClock clock = old.clock;
        System.out.println("COST | operation | LIST calls | LIST pages (S3) | GET | PUT | DELETE | bytes read |");
        byte[] page = new byte[OldReplica.PS];
        Database[] reader = new Database[1];
        measure("open read mode (cold)", pages, c, () -> reader[0] = Database.open(c, "app.db",
                Kit.reader(clock).build()));
        measure("read one page (cold)", pages, c, () -> {
            try (ReadTransaction r = reader[0].beginRead()) {
                r.read(500L * OldReplica.PS, page, 0, page.length);
            }
        });
        Instant target = clock.instant().minus(Duration.ofHours(18));
        target = target.isBefore(old.start) ? old.start.plusSeconds(5) : target;
        Instant when = target;
        measure("time travel to now-18h + read page", pages, c, () -> {
            PointInTime p = reader[0].timeTravel().resolve(when, clock.instant());
            try (ReadTransaction r = reader[0].timeTravel().beginRead(p)) {
                r.read(500L * OldReplica.PS, page, 0, page.length);
            }
        });
        reader[0].close();
        measure("open write mode (cold)", pages, c, () -> {
            try (Database w = Database.open(c, "app.db", Kit.writer(new MemoryLogStorage(), tmp.resolve("c2"), clock, 9)
                    .compaction(CompactionSettings.off()).build())) {
                assertThat(w.isWriteMode()).isTrue();
            }
        });
        // New level-0 files of the next 30 minutes, written with compaction off, then a compactor as a restarted
        // writer's (its first call per level after a restart) and one more round in the steady state.
        old.live(store, tmp.resolve("w2"), 180, Duration.ofSeconds(10), 8, CompactionSettings.off());
        Compactor compactor = new Compactor(c, CompactionSettings.defaults(), CompactionFaults.NONE);
        for (int level = 1; level <= 3; level++) {
            int l = level;
            measure("compact into L" + l + " (after restart)", pages, c, () -> compactor.compactLevel(l, clock.instant()));
        }
        old.live(store, tmp.resolve("w3"), 6, Duration.ofSeconds(10), 9, CompactionSettings.off());
        for (int level = 1; level <= 3; level++) {
            int l = level;
            measure("compact into L" + l + " (steady)", pages, c, () -> compactor.compactLevel(l, clock.instant()));
        }
        measure("snapshot (L9)", pages, c, () -> compactor.snapshot(clock.instant()));
        measure("retention pass", pages, c, () -> compactor.retain(clock.instant(), true));
        measure("ltx4j compact (all levels + L9)", pages, c, () -> {
            Compactor cli = new Compactor(c, CompactionSettings.defaults(), CompactionFaults.NONE);
            cli.reuseUploads(new dev.ltx4j.compaction.RecentUploads(64L << 20), false); // as CompactCommand
            for (int level = 1; level <= 3; level++) {
                CompactionResult r;
                do {
                    r = cli.compactLevel(level, clock.instant());
                } while (r.more() && r.outcome() != CompactionResult.Outcome.NOTHING_TO_DO);
            }
            cli.snapshot(clock.instant());
        });
        Path hydrated = tmp.resolve("h").resolve("app.hydrated");
        measure("hydrate whole database", pages, c, () -> {
            try (Database h = Database.open(c, "app.db", Kit.reader(clock).cacheBytes(0)
                    .hydration(HydrationOptions.hydrated(hydrated)).build())) {
                HydrationStatus s;
                int steps = 0;
                do {
                    s = h.hydrateOnce(clock.instant());
                } while (!s.state().equals("ready") && ++steps < 100);
                assertThat(s.state()).isEqualTo("ready");
            }
        });
    }
}
