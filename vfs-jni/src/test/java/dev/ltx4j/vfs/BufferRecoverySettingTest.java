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

    /**
     * Round 9 (leftovers): {@code ~user/...} was taken relative to the working directory ({@code <cwd>/~user/...}), in
     * the environment variable, the URI parameter and the Java option alike. Now that user's home from the passwd
     * file, as a shell expands it; a user not in it is refused naming the path.
     */
    @Test
    void aTildeUserPathIsThatUsersHomeFromThePasswdFile() throws Exception {
        java.nio.file.Path passwd = java.nio.file.Files.createTempFile("passwd", "");
        try {
            java.nio.file.Files.writeString(passwd, "root:x:0:0:root:/root:/bin/bash\n"
                    + "app-user:x:1000:1000:App,,,:/srv/app:/bin/sh\nodd:x:1001:1001::relative:/bin/sh\n");
            assertThat(EngineSettings.homeExpanded("~app-user/b.buffer", "/home/env", "?", "x", passwd))
                    .isEqualTo("/srv/app/b.buffer");
            assertThat(EngineSettings.homeExpanded("~app-user", null, "?", "x", passwd)).isEqualTo("/srv/app");
            assertThat(EngineSettings.homeExpanded("~root/", null, "?", "x", passwd)).isEqualTo("/root/");
            assertThatThrownBy(() -> EngineSettings.homeExpanded("~nosuch/b", "/h", "/h", "LITESTREAM_BUFFER_PATH",
                    passwd)).isInstanceOf(VfsConfigurationException.class)
                    .hasMessageContaining("LITESTREAM_BUFFER_PATH '~nosuch/b' starts with ~nosuch, but there is no"
                            + " user 'nosuch' in " + passwd).hasMessageContaining("give an absolute path");
            assertThatThrownBy(() -> EngineSettings.homeExpanded("~odd/b", null, "?", "x", passwd))
                    .isInstanceOf(VfsConfigurationException.class).hasMessageContaining("('relative')");
        } finally {
            java.nio.file.Files.delete(passwd);
        }
        // The real passwd file, through each way of setting the path (the Java option's value is the VFS setting).
        java.nio.file.Path root = java.nio.file.Path.of(EngineSettings.homeExpanded("~root", null, "?", "x"));
        assertThat(root).isAbsolute();
        assertThat(settings(Map.of(), Map.of("LITESTREAM_BUFFER_PATH", "~root/app.buffer")).bufferPath())
                .contains(root.resolve("app.buffer"));
        assertThat(settings(Map.of("buffer_path", "~root/app.buffer"), Map.of()).bufferPath())
                .contains(root.resolve("app.buffer"));
        assertThat(new EngineSettings(new OpenOptions(OpenOptions.SQLITE_OPEN_READWRITE, Map.of(), Map.of()),
                Map.of("buffer_path", "~root/app.buffer")).bufferPath()).contains(root.resolve("app.buffer"));
        assertThatThrownBy(() -> settings(Map.of("buffer_path", "~no-such-user-ltx4j/app.buffer"), Map.of())
                .bufferPath()).isInstanceOf(VfsConfigurationException.class)
                .hasMessageContaining("URI parameter buffer_path '~no-such-user-ltx4j/app.buffer'")
                .hasMessageContaining("no user 'no-such-user-ltx4j' in /etc/passwd");
    }

    /** The Java option kept {@code ~user} for the expansion (it made the path absolute under the working directory). */
    @Test
    void theJavaOptionKeepsATildePathForTheExpansion(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        java.nio.file.Path real = dir.toRealPath();
        String user = System.getProperty("user.name");
        String home;
        try {
            home = EngineSettings.homeExpanded("~" + user, null, "?", "x");
        } catch (VfsConfigurationException e) {
            org.junit.jupiter.api.Assumptions.abort("no passwd entry for " + user);
            return;
        }
        org.junit.jupiter.api.Assumptions.assumeTrue(java.nio.file.Files.isWritable(java.nio.file.Path.of(home)),
                "home directory " + home + " not writable");
        String name = "ltx4j-tilde-test-" + ProcessHandle.current().pid() + ".buffer";
        LitestreamVfs.Registration vfs = LitestreamVfs.builder().replica(real.resolve("r").toUri().toString())
                .writeEnabled(true).bufferPath(java.nio.file.Path.of("~" + user + "/" + name))
                .register("tilde-user-option");
        try (java.sql.Connection c = vfs.connect(real.resolve("app.db"))) {
            Sql.exec(c, "create table t(v)", "insert into t values (1)");
            assertThat(java.nio.file.Path.of(home, name)).exists();
            assertThat(java.nio.file.Path.of("~" + user)).doesNotExist();
        } finally {
            vfs.unregister();
            try (var left = java.nio.file.Files.list(java.nio.file.Path.of(home))) {
                for (java.nio.file.Path p : left.filter(p -> p.getFileName().toString().startsWith(name)).toList()) {
                    if (java.nio.file.Files.isDirectory(p)) {
                        try (var in = java.nio.file.Files.walk(p)) {
                            in.sorted(java.util.Comparator.reverseOrder()).forEach(q -> q.toFile().delete());
                        }
                    } else {
                        java.nio.file.Files.deleteIfExists(p);
                    }
                }
            }
        }
    }

    /** The mends-lo review: a Latin-1 comment field (not UTF-8) refused every ~user path, the reason dropped. */
    @Test
    void aLatin1PasswdCommentFieldDoesNotRefuseTildeUserPaths() throws Exception {
        java.nio.file.Path passwd = java.nio.file.Files.createTempFile("passwd", "");
        try {
            java.nio.file.Files.write(passwd, ("jose:x:1001:1001:Jos\u00e9 M\u00fcller:/home/jose:/bin/sh\n"
                    + "app:x:1002:1002::/srv/app:/bin/sh\n").getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
            assertThat(EngineSettings.homeExpanded("~app/b.buffer", null, "?", "x", passwd)).isEqualTo("/srv/app/b.buffer");
            assertThat(EngineSettings.homeExpanded("~jose", null, "?", "x", passwd)).isEqualTo("/home/jose");
        } finally {
            java.nio.file.Files.delete(passwd);
        }
        java.nio.file.Path missing = java.nio.file.Path.of("/nonexistent-ltx4j/passwd");
        assertThatThrownBy(() -> EngineSettings.homeExpanded("~app/b", null, "?", "x", missing))
                .isInstanceOf(VfsConfigurationException.class)
                .hasMessageContaining("no such file or directory: " + missing);
    }
}
