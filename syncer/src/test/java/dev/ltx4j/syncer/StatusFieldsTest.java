package dev.ltx4j.syncer;

import static dev.ltx4j.syncer.Kit.commitPages;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ltx4j.conformance.InMemoryReplicaClient;
import dev.ltx4j.pagestore.testkit.MemoryLogStorage;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What {@code litestream_status()} calls lag in write mode, and field names that say what they hold. */
class StatusFieldsTest {
    static final int PS = 4096;

    @TempDir
    Path tmp;

    final Kit.ManualClock clock = new Kit.ManualClock(1_700_000_000_000L);
    final MemoryLogStorage storage = new MemoryLogStorage();
    final InMemoryReplicaClient replica = new InMemoryReplicaClient();

    Database open() throws Exception {
        return Database.open(replica, "app.db", Kit.writer(storage, tmp.resolve("conflicts"), clock, 42).build());
    }

    @Test
    void writeLagIsTheAgeOfTheOldestUnsyncedCommitAndDoesNotGrowWhileIdle() throws Exception {
        try (Database db = open()) {
            assertThat(db.status().lagMillis()).isZero();
            commitPages(db, PS, 1, 1, 2, 2);
            db.syncOnce(clock.instant());
            clock.advance(Duration.ofMinutes(10)); // idle: everything is in the replica
            assertThat(db.status().lagMillis()).isZero();

            commitPages(db, PS, 2, 3);
            clock.advance(Duration.ofSeconds(3));
            commitPages(db, PS, 2, 4);
            clock.advance(Duration.ofSeconds(2));
            DatabaseStatus st = db.status();
            assertThat(st.pendingCommits()).isEqualTo(2);
            assertThat(st.lagMillis()).isEqualTo(5_000); // the older of the two pending commits

            db.syncOnce(clock.instant());
            clock.advance(Duration.ofMinutes(1));
            assertThat(db.status().lagMillis()).isZero();
        }
    }

    @Test
    void jsonNamesSayWhatTheyHold() throws Exception {
        try (Database db = open()) {
            commitPages(db, PS, 1, 1, 2, 2, 3, 3);
            db.syncOnce(clock.instant());
            String json = db.status().toJson();
            assertThat(json).contains("\"page_count\":3", "\"page_size\":4096", "\"lag_ms\":0",
                    "\"last_sync_epoch_ms\":" + clock.millis());
            assertThat(json).doesNotContain("\"commit\":", "\"last_sync_ms\":");
        }
    }
}
