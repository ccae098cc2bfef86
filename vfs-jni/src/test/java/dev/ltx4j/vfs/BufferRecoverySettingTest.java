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
        String home = System.getProperty("java.io.tmpdir");
        java.nio.file.Path h = java.nio.file.Path.of(home);
        assertThat(settings(Map.of(), Map.of("HOME", home, "LITESTREAM_BUFFER_PATH", "~/app.buffer")).bufferPath())
                .contains(h.resolve("app.buffer").toAbsolutePath());
        assertThat(settings(Map.of("buffer_path", " ~/x.buffer "), Map.of("HOME", home)).bufferPath())
                .contains(h.resolve("x.buffer").toAbsolutePath());
        assertThat(settings(Map.of("buffer_path", "/tmp/~x"), Map.of()).bufferPath())
                .contains(java.nio.file.Path.of("/tmp/~x")); // only a leading ~ is the home directory
    }

    /**
     * Review of round 6: HOME wins over user.home, as in Go's os.UserHomeDir (Litestream) and the shell; user.home
     * only when HOME is unset or empty; neither usable is refused.
     */
    @Test
    void aTildeIsHomeFromTheOpensEnvironmentThenUserHomeAndWithoutEitherIsRefused() throws Exception {
        String tmp = System.getProperty("java.io.tmpdir");
        assertThat(settings(Map.of(), Map.of("HOME", tmp, "LITESTREAM_BUFFER_PATH", "~/app.buffer")).bufferPath())
                .contains(java.nio.file.Path.of(tmp, "app.buffer"));
        assertThat(EngineSettings.homeExpanded("~/b", "/home/env", "/home/passwd", "x")).isEqualTo("/home/env/b");
        assertThat(EngineSettings.homeExpanded("~/b", null, "/home/passwd", "x")).isEqualTo("/home/passwd/b");
        assertThat(EngineSettings.homeExpanded("~/b", "", "/home/passwd", "x")).isEqualTo("/home/passwd/b");
        assertThat(EngineSettings.homeExpanded("~", "/home/env", "?", "x")).isEqualTo("/home/env");
        assertThat(EngineSettings.homeExpanded("/srv/~/b", null, "?", "x")).isEqualTo("/srv/~/b");
        // A container's numeric uid without a passwd entry: Java 17's user.home is "?", and no HOME.
        assertThatThrownBy(() -> EngineSettings.homeExpanded("~/app.buffer", null, "?", "LITESTREAM_BUFFER_PATH"))
                .isInstanceOf(VfsConfigurationException.class)
                .hasMessageContaining("LITESTREAM_BUFFER_PATH '~/app.buffer' starts with ~, but HOME is unset or not"
                        + " absolute").hasMessageContaining("user.home is '?'")
                .hasMessageContaining("give an absolute path");
        assertThatThrownBy(() -> EngineSettings.homeExpanded("~/b", "relative", "/home/passwd", "x"))
                .isInstanceOf(VfsConfigurationException.class).hasMessageContaining("HOME is unset or not absolute")
                .hasMessageContaining("'relative'");
    }
}
