package dev.ltx4j.syncer;

import static dev.ltx4j.syncer.Kit.commitPages;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ltx4j.conformance.InMemoryReplicaClient;
import dev.ltx4j.pagestore.testkit.MemoryLogStorage;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaException;
import dev.ltx4j.replica.ReplicaTransientException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a read-mode follower logs through SLF4J: poll failure streaks and replica divergence. */
class FollowerEventsTest {
    static final int PS = 4096;

    @TempDir
    Path tmp;

    final Kit.ManualClock clock = new Kit.ManualClock(1_700_000_000_000L);
    final InMemoryReplicaClient replica = new InMemoryReplicaClient();
    final AtomicBoolean down = new AtomicBoolean();
    final ForwardingClient flaky = new ForwardingClient(replica) {
        @Override
        public List<LtxFileInfo> listFiles(int level, long seek, boolean meta) throws ReplicaException {
            if (down.get()) {
                throw new ReplicaTransientException("connection refused");
            }
            return super.listFiles(level, seek, meta);
        }
    };

    @BeforeEach
    void forget() {
        CapturedLogs.clear();
    }

    static List<String> ours() {
        return CapturedLogs.lines().stream().filter(l -> l.contains("follower of database \"app.db\"")).toList();
    }

    void write(long seed, int fill) throws Exception {
        try (Database w = Database.open(replica, "app.db",
                Kit.writer(new MemoryLogStorage(), tmp.resolve("c" + seed), clock, seed).build())) {
            commitPages(w, PS, 1, fill, 2, fill);
            w.syncOnce(clock.instant());
        }
    }

    @Test
    void aPollFailureStreakWarnsOnceAndSaysWhenItEnds() throws Exception {
        write(1, 1);
        try (Database f = Database.open(flaky, "app.db", Kit.reader(clock).build())) {
            down.set(true);
            for (int i = 0; i < 3; i++) {
                assertThat(f.pollOnce(clock.instant()).ok()).isFalse();
            }
            down.set(false);
            assertThat(f.pollOnce(clock.instant()).ok()).isTrue();
            List<String> lines = ours();
            assertThat(lines).filteredOn(l -> l.startsWith("WARN ")).singleElement().asString()
                    .contains("poll failed", "connection refused");
            assertThat(lines).filteredOn(l -> l.startsWith("DEBUG ")).hasSize(2);
            assertThat(lines).filteredOn(l -> l.startsWith("INFO ")).singleElement().asString()
                    .contains("after 3 failed poll(s)");
        }
    }

    @Test
    void aReplacedReplicaIsWarnedAboutThroughSlf4j() throws Exception {
        write(1, 1);
        try (Database f = Database.open(replica, "app.db", Kit.reader(clock).build())) {
            for (int level = 0; level <= 9; level++) {
                replica.deleteFiles(replica.listFiles(level, 0, false));
            }
            write(2, 9);
            write(3, 8); // a different history at TXIDs 1..2
            f.pollOnce(clock.instant());
            assertThat(ours()).filteredOn(l -> l.startsWith("WARN ")).hasSize(2)
                    .anySatisfy(l -> assertThat(l).contains("no longer contains its state"))
                    .anySatisfy(l -> assertThat(l).contains("switched to the replica's new state"));
        }
    }
}
