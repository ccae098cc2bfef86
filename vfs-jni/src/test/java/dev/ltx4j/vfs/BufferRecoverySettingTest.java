package dev.ltx4j.vfs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ltx4j.pagestore.BufferRecovery;
import dev.ltx4j.vfs.engine.EngineSettings;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** buffer_recovery / LITESTREAM_BUFFER_RECOVERY reach the engine; a bad value names its source. */
class BufferRecoverySettingTest {
    private static EngineSettings settings(Map<String, String> uri, Map<String, String> env) {
        return new EngineSettings(new OpenOptions(OpenOptions.SQLITE_OPEN_READWRITE, uri, env), Map.of());
    }

    @Test
    void defaultRefusesAndTheUriOrEnvironmentChooses() throws Exception {
        assertThat(settings(Map.of(), Map.of()).engineOptions("r").bufferRecovery()).isEqualTo(BufferRecovery.REFUSE);
        assertThat(settings(Map.of(), Map.of("LITESTREAM_BUFFER_RECOVERY", "truncate-damaged")).engineOptions("r")
                .bufferRecovery()).isEqualTo(BufferRecovery.TRUNCATE_DAMAGED);
        assertThat(settings(Map.of("buffer_recovery", "refuse"),
                Map.of("LITESTREAM_BUFFER_RECOVERY", "truncate-damaged")).bufferRecovery())
                .isEqualTo(BufferRecovery.REFUSE);
        assertThatThrownBy(() -> settings(Map.of("buffer_recovery", "fix"), Map.of()).engineOptions("r"))
                .isInstanceOf(VfsConfigurationException.class).hasMessageContaining("URI parameter buffer_recovery")
                .hasMessageContaining("'fix'");
    }

    @Test
    void aBufferPathStartingWithTildeIsUnderTheHomeDirectory() throws Exception {
        // Field probe: LITESTREAM_BUFFER_PATH=~/app.buffer from an env file was taken as <cwd>/~/app.buffer and refused
        // ("directory <cwd>/~ does not exist"); Litestream's configuration expands ~ to the home directory.
        java.nio.file.Path home = java.nio.file.Path.of(System.getProperty("user.home"));
        assertThat(settings(Map.of(), Map.of("LITESTREAM_BUFFER_PATH", "~/app.buffer")).bufferPath())
                .contains(home.resolve("app.buffer").toAbsolutePath());
        assertThat(settings(Map.of("buffer_path", " ~/x.buffer "), Map.of()).bufferPath())
                .contains(home.resolve("x.buffer").toAbsolutePath());
        assertThat(settings(Map.of("buffer_path", "/tmp/~x"), Map.of()).bufferPath())
                .contains(java.nio.file.Path.of("/tmp/~x")); // only a leading ~ is the home directory
    }

    @Test
    void aTildeWithoutAPasswdEntryUsesHomeAndWithoutEitherIsRefused() throws Exception {
        // Field probe round 6: a container's numeric uid has no passwd entry, so Java 17's user.home is "?", and
        // LITESTREAM_BUFFER_PATH=~/app.buffer became <cwd>/?/app.buffer ("directory <cwd>/? does not exist").
        String home = System.getenv("HOME");
        org.junit.jupiter.api.Assumptions.assumeTrue(home != null && home.startsWith("/"), "needs HOME");
        String saved = System.getProperty("user.home");
        System.setProperty("user.home", "?");
        try {
            assertThat(settings(Map.of(), Map.of("LITESTREAM_BUFFER_PATH", "~/app.buffer")).bufferPath())
                    .contains(java.nio.file.Path.of(home, "app.buffer"));
        } finally {
            System.setProperty("user.home", saved);
        }
        assertThatThrownBy(() -> EngineSettings.homeExpanded("~/app.buffer", "?", null, "LITESTREAM_BUFFER_PATH"))
                .isInstanceOf(VfsConfigurationException.class)
                .hasMessageContaining("LITESTREAM_BUFFER_PATH '~/app.buffer' starts with ~, but this process has no home")
                .hasMessageContaining("give an absolute path");
        assertThat(EngineSettings.homeExpanded("~/b", "/home/app", null, "x")).isEqualTo("/home/app/b");
        assertThat(EngineSettings.homeExpanded("/srv/~/b", "?", null, "x")).isEqualTo("/srv/~/b");
    }
}
