package dev.ltx4j.vfs;

import dev.ltx4j.vfs.internal.OpenerRegistry;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class OpenOptionsTest {
    private static final int RW_CREATE = OpenOptions.SQLITE_OPEN_READWRITE | OpenOptions.SQLITE_OPEN_CREATE;

    @Test
    void uriParametersWinOverTheEnvironment() throws Exception {
        OpenOptions o = new OpenOptions(RW_CREATE,
                Map.of("vfs", "litestream", "replica_url", "s3://uri/db", "sync_interval", "250ms"),
                Map.of("LITESTREAM_REPLICA_URL", "s3://env/db", "LITESTREAM_SYNC_INTERVAL", "5s",
                        "LITESTREAM_WRITE_ENABLED", "TRUE", "LITESTREAM_BUFFER_PATH", "/var/buf.db"));
        assertThat(o.replicaUrl()).hasValue("s3://uri/db");
        assertThat(o.syncInterval()).isEqualTo(Duration.ofMillis(250));
        assertThat(o.writeEnabled()).isTrue();
        assertThat(o.bufferPath()).hasValue(Path.of("/var/buf.db"));
        assertThat(o.readOnly()).isFalse();
        assertThat(o.create()).isTrue();
        assertThat(o.uriParameters()).containsEntry("vfs", "litestream");
    }

    @Test
    void defaultsWhenNothingIsSet() throws Exception {
        OpenOptions o = new OpenOptions(OpenOptions.SQLITE_OPEN_READONLY, Map.of(), Map.of());
        assertThat(o.replicaUrl()).isEmpty();
        assertThat(o.writeEnabled()).isFalse();
        assertThat(o.syncInterval()).isEqualTo(Duration.ofSeconds(1));
        assertThat(o.bufferPath()).isEmpty();
        assertThat(o.readOnly()).isTrue();
    }

    @Test
    void syncIntervalFollowsTheEngineDurationRules() throws Exception {
        // One parser, one rule set (GoDurations.setting): the engine's settings refuse below 1ms, so do the options.
        assertThat(new OpenOptions(RW_CREATE, Map.of("sync_interval", "1m30s"), Map.of()).syncInterval())
                .isEqualTo(Duration.ofSeconds(90));
        assertThat(new OpenOptions(RW_CREATE, Map.of("sync_interval", "1.5s"), Map.of()).syncInterval())
                .isEqualTo(Duration.ofMillis(1500));
        assertThatThrownBy(new OpenOptions(RW_CREATE, Map.of("sync_interval", "500us"), Map.of())::syncInterval)
                .isInstanceOf(VfsConfigurationException.class)
                .hasMessage("invalid URI parameter sync_interval \"500us\": must be at least 1ms");
        assertThatThrownBy(new OpenOptions(RW_CREATE, Map.of("sync_interval", "1"), Map.of())::syncInterval)
                .hasMessageContaining("URI parameter sync_interval");
    }

    /** W13 (zero sync interval refused, not taken as one second or "off"). */
    @Test
    void badValuesNameTheirSource() {
        OpenOptions env = new OpenOptions(RW_CREATE, Map.of(),
                Map.of("LITESTREAM_SYNC_INTERVAL", "fast", "LITESTREAM_WRITE_ENABLED", "maybe"));
        assertThatThrownBy(env::syncInterval).isInstanceOf(VfsConfigurationException.class)
                .hasMessage("invalid environment variable LITESTREAM_SYNC_INTERVAL \"fast\": expected a duration such as"
                        + " 100ms, 1s, 10s or 1m");
        assertThatThrownBy(env::writeEnabled)
                .hasMessage("environment variable LITESTREAM_WRITE_ENABLED must be true or false, not 'maybe'");
        OpenOptions uri = new OpenOptions(RW_CREATE, Map.of("write_enabled", "2"), Map.of());
        assertThatThrownBy(uri::writeEnabled).hasMessageStartingWith("URI parameter write_enabled");
        // Zero or negative used to mean "no periodic sync", silently.
        for (String off : new String[] {"0", "-1s", "0s"}) {
            assertThatThrownBy(new OpenOptions(RW_CREATE, Map.of(), Map.of("LITESTREAM_SYNC_INTERVAL", off))::syncInterval)
                    .hasMessageStartingWith("invalid environment variable LITESTREAM_SYNC_INTERVAL \"" + off
                            + "\": must be positive");
        }
    }

    @Test
    void openerResolution() throws Exception {
        OpenOptions none = new OpenOptions(RW_CREATE, Map.of(), Map.of());
        // The engine is this module's DatabaseOpener service; it names the missing replica URL at open.
        DatabaseOpener engine = OpenerRegistry.resolve("litestream", none, Map.of());
        assertThat(engine).isInstanceOf(EngineDatabaseOpener.class);
        assertThatThrownBy(() -> engine.open("/tmp/x.db", none))
                .hasMessage("LITESTREAM_REPLICA_URL is not set (nor the replica_url URI parameter)");
        assertThat(OpenerRegistry.resolve("litestream", none, Map.of("LITESTREAM_VFS_TEST_BACKEND", "local"))).isNotNull();
        assertThatThrownBy(() -> OpenerRegistry.resolve("litestream", none, Map.of("LITESTREAM_VFS_TEST_BACKEND", "s3")))
                .hasMessageContaining("the only test backend is 'local'");
        assertThatThrownBy(() -> OpenerRegistry.resolve("other", none, Map.of()))
                .hasMessageContaining("no DatabaseOpener is registered for the VFS 'other'");
    }

    @Test
    void jdbcUrlsAreFileUrisWithEncodedParts() {
        assertThat(LitestreamVfs.jdbcUrl(Path.of("/d/a b?.db"), "litestream", Map.of("replica_url", "s3://b/x?y=1&z")))
                .isEqualTo("jdbc:sqlite:file:/d/a%20b%3F.db?vfs=litestream&replica_url=s3://b/x?y%3D1%26z");
    }
}
