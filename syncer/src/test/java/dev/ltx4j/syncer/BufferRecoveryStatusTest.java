package dev.ltx4j.syncer;

import static dev.ltx4j.syncer.Kit.commitPages;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ltx4j.conformance.InMemoryReplicaClient;
import dev.ltx4j.pagestore.BufferDamagedException;
import dev.ltx4j.pagestore.BufferRecovery;
import dev.ltx4j.pagestore.testkit.MemoryLogStorage;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What opening the buffer dropped or found reaches litestream_status(); a damaged buffer stops the open. */
class BufferRecoveryStatusTest {
    static final int PS = 4096;

    @TempDir
    Path tmp;

    final Kit.ManualClock clock = new Kit.ManualClock(1_700_000_000_000L);
    final MemoryLogStorage storage = new MemoryLogStorage();
    final InMemoryReplicaClient replica = new InMemoryReplicaClient();

    EngineOptions.Builder opts() {
        return Kit.writer(storage, tmp.resolve("conflicts"), clock, 42);
    }

    /** Ten acknowledged, unsynced commits left behind by a process that died. */
    private byte[] crashedWithTenCommits() throws Exception {
        Database db = Database.open(replica, "app.db", opts().build());
        for (int i = 1; i <= 10; i++) {
            commitPages(db, PS, 1, i, 2 + i, i);
        }
        storage.crash(MemoryLogStorage.CrashPolicy.keepAll());
        return storage.contents("db.buffer");
    }

    @Test
    void aCleanReopenReportsNothing() throws Exception {
        crashedWithTenCommits();
        try (Database db = Database.open(replica, "app.db", opts().build())) {
            assertThat(db.status().pendingCommits()).isEqualTo(10);
            assertThat(db.status().bufferRecovery()).isNull();
            assertThat(db.status().toJson()).contains("\"buffer_recovery\":null");
        }
    }

    @Test
    void aTornTailIsRecoveredAndShownInTheStatus() throws Exception {
        byte[] log = crashedWithTenCommits();
        storage.putDurable("db.buffer", Arrays.copyOf(log, log.length - 5));
        try (Database db = Database.open(replica, "app.db", opts().build())) {
            assertThat(db.status().pendingCommits()).isEqualTo(9);
            assertThat(db.status().bufferRecovery()).contains("memory:db.buffer").contains("torn tail");
            assertThat(db.status().toJson()).contains("\"buffer_recovery\":\"write buffer memory:db.buffer");
        }
    }

    @Test
    void damageRefusesTheOpenUntilRecoveryIsAskedForExplicitly() throws Exception {
        byte[] log = crashedWithTenCommits();
        byte[] damaged = log.clone();
        damaged[log.length / 2] ^= 0x40;
        storage.putDurable("db.buffer", damaged);
        assertThatThrownBy(() -> Database.open(replica, "app.db", opts().build()))
                .isInstanceOf(BufferDamagedException.class).hasMessageContaining("memory:db.buffer")
                .hasMessageContaining("is damaged at offset").hasMessageContaining("LITESTREAM_BUFFER_RECOVERY");
        assertThat(storage.contents("db.buffer")).isEqualTo(damaged);

        EngineOptions recover = opts().bufferRecovery(BufferRecovery.TRUNCATE_DAMAGED).build();
        try (Database db = Database.open(replica, "app.db", recover)) {
            long kept = db.status().pendingCommits();
            assertThat(kept).isBetween(1L, 9L);
            assertThat(db.status().bufferRecovery()).contains("damaged at offset")
                    .contains("memory:db.buffer.damaged-2023");
            assertThat(db.status().toJson()).contains("\"buffer_recovery\":\"write buffer memory:db.buffer was damaged");
        }
        assertThat(storage.names()).anyMatch(n -> n.startsWith("db.buffer.damaged-"));
    }

    @Test
    void theEnvironmentChoosesTheRecovery() {
        assertThat(EngineOptions.fromEnvironment(Map.of("LITESTREAM_BUFFER_RECOVERY", "truncate-damaged")).build()
                .bufferRecovery).isEqualTo(BufferRecovery.TRUNCATE_DAMAGED);
        assertThat(EngineOptions.fromEnvironment(Map.of()).build().bufferRecovery).isEqualTo(BufferRecovery.REFUSE);
        assertThatThrownBy(() -> EngineOptions.fromEnvironment(Map.of("LITESTREAM_BUFFER_RECOVERY", "yes")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("LITESTREAM_BUFFER_RECOVERY")
                .hasMessageContaining("\"yes\"");
    }
}
