package dev.ltx4j.syncer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Jimfs;
import dev.ltx4j.conformance.InMemoryReplicaClient;
import dev.ltx4j.ltx.LtxHeader;
import dev.ltx4j.pagestore.testkit.MemoryLogStorage;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.file.FileReplicaClient;
import java.nio.file.FileSystem;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Seeded random workloads against a byte-array model: after every step the engine's view equals the model, and
 * after every sync a restore of the replica by LtxRestorer (checksums verified) equals the view at that TXID.
 * Scale with -Dltx4j.model.steps.
 */
class ModelTest {
    @TempDir
    Path tmp;

    static final int STEPS = Integer.getInteger("ltx4j.model.steps", 120);

    @ParameterizedTest
    @ValueSource(strings = {"memory", "disk", "jimfs"})
    void restoreEqualsTheEngineViewAtEverySyncedTxid(String kind) throws Exception {
        FileSystem fs = kind.equals("jimfs") ? Jimfs.newFileSystem(Configuration.unix()) : null;
        Kit.ManualClock clock = new Kit.ManualClock(1_700_000_000_000L);
        ReplicaClient replica = switch (kind) {
            case "memory" -> new InMemoryReplicaClient();
            case "disk" -> new FileReplicaClient(tmp.resolve("replica"), clock);
            default -> new FileReplicaClient(fs.getPath("/replica"), clock);
        };
        int ps = 1024;
        SplittableRandom rnd = new SplittableRandom(kind.hashCode());
        Map<Long, byte[]> synced = new HashMap<>();
        byte[] model = new byte[0];
        try (Database db = Database.open(replica, "m.db",
                Kit.writer(new MemoryLogStorage(), tmp.resolve("c"), clock, 11).cacheBytes(8 * ps).build())) {
            for (int step = 0; step < STEPS; step++) {
                int op = rnd.nextInt(10);
                if (op < 6 || model.length == 0) {
                    try (WriteSession s = db.beginWrite()) {
                        int n = 1 + rnd.nextInt(6);
                        for (int i = 0; i < n; i++) {
                            int pages = model.length / ps;
                            long pgno = model.length == 0 ? 1 : 1 + rnd.nextInt(pages + 2);
                            byte[] p = pgno == 1 ? Kit.page1(ps, rnd.nextInt(256)) : Kit.page(ps, rnd.nextInt(256));
                            s.write((pgno - 1) * ps, p, 0, ps);
                            if (pgno * ps > model.length) {
                                model = Arrays.copyOf(model, (int) (pgno * ps));
                            }
                            System.arraycopy(p, 0, model, (int) ((pgno - 1) * ps), ps);
                        }
                        s.commit();
                    }
                } else if (op < 7 && model.length > ps) {
                    long pages = 1 + rnd.nextInt(model.length / ps);
                    try (WriteSession s = db.beginWrite()) {
                        s.truncate(pages * ps);
                        s.commit();
                    }
                    model = Arrays.copyOf(model, (int) (pages * ps));
                } else if (op < 9) {
                    SyncOutcome o = db.syncOnce(clock.instant());
                    assertThat(o.status()).isIn(SyncOutcome.Status.SYNCED, SyncOutcome.Status.NOTHING_TO_SYNC);
                    if (o.status() == SyncOutcome.Status.SYNCED) {
                        synced.put(o.txid(), model.clone());
                    }
                } else {
                    clock.advance(Duration.ofMillis(rnd.nextInt(1000)));
                }
                assertThat(Kit.readAll(db)).as("step %d", step).isEqualTo(model);
            }
            db.syncOnce(clock.instant());
            synced.put(db.current().txid(), model.clone());
            for (Map.Entry<Long, byte[]> e : synced.entrySet()) {
                assertThat(Kit.restore(replica, e.getKey(), tmp)).as("TXID %d", e.getKey()).isEqualTo(e.getValue());
            }
            // Every file we wrote tracks checksums (restore verified them) and carries our writer id.
            LtxHeader h = LtxHeader.parse(replica.readRange(0, 2, 2, 0, 100), "f");
            assertThat(h.noChecksum()).isFalse();
            assertThat(h.nodeId()).isEqualTo(db.bufferOrNull().writerId());
        } finally {
            if (fs != null) {
                fs.close();
            }
        }
    }

    @Test
    void continuesALitestreamNoChecksumChainInNoChecksumMode() throws Exception {
        Kit.ManualClock clock = new Kit.ManualClock(1_700_000_000_000L);
        InMemoryReplicaClient replica = new InMemoryReplicaClient();
        Rival.file(replica, 0, 1, 1, 4096, 3, new long[] {1, 2, 3}, 5);
        try (Database db = Database.open(replica, "app.db",
                Kit.writer(new MemoryLogStorage(), tmp.resolve("c"), clock, 2).build())) {
            Kit.commitPages(db, 4096, 2, 9);
            assertThat(db.syncOnce(clock.instant()).txid()).isEqualTo(2);
            LtxHeader h = LtxHeader.parse(replica.readRange(0, 2, 2, 0, 100), "f");
            assertThat(h.noChecksum()).isTrue();
            assertThat(h.preApplyChecksum()).isZero();
            assertThat(Kit.restore(replica, 0, tmp)).isEqualTo(Kit.readAll(db));
        }
    }

    @Test
    void settingsParseDurationsAndNameBadValues() {
        assertThat(Settings.parseDuration(Settings.SYNC_INTERVAL, "100ms")).isEqualTo(Duration.ofMillis(100));
        assertThat(Settings.parseDuration(Settings.SYNC_INTERVAL, "1s")).isEqualTo(Duration.ofSeconds(1));
        assertThat(Settings.parseDuration(Settings.SYNC_INTERVAL, "10s")).isEqualTo(Duration.ofSeconds(10));
        assertThat(Settings.parseDuration(Settings.SYNC_INTERVAL, "1m")).isEqualTo(Duration.ofMinutes(1));
        assertThat(Settings.parseDuration(Settings.SYNC_INTERVAL, "1m30s")).isEqualTo(Duration.ofSeconds(90));
        for (String bad : new String[] {"", "fast", "10", "1x", "0s", "-1s"}) {
            assertThatThrownBy(() -> Settings.parseDuration(Settings.SYNC_INTERVAL, bad))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("LITESTREAM_SYNC_INTERVAL")
                    .hasMessageContaining("\"" + bad + "\"");
        }
        assertThat(Settings.parseDurability("REMOTE")).isEqualTo(dev.ltx4j.pagestore.Durability.REMOTE);
        assertThat(Settings.parseDurability(null)).isEqualTo(dev.ltx4j.pagestore.Durability.LOCAL);
        assertThatThrownBy(() -> Settings.parseDurability("cloud")).hasMessageContaining("LITESTREAM_DURABILITY");
        EngineOptions o = EngineOptions.fromEnvironment(Map.of(Settings.WRITE_ENABLED, "true",
                Settings.SYNC_INTERVAL, "250ms", Settings.DURABILITY, "none")).build();
        assertThat(o.writeEnabled()).isTrue();
        assertThat(o.syncInterval()).isEqualTo(Duration.ofMillis(250));
        assertThat(o.durability()).isEqualTo(dev.ltx4j.pagestore.Durability.NONE);
        assertThatThrownBy(() -> EngineOptions.fromEnvironment(Map.of(Settings.WRITE_ENABLED, "maybe")))
                .hasMessageContaining("LITESTREAM_WRITE_ENABLED");
    }
}
