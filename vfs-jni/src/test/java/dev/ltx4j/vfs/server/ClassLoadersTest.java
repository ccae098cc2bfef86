package dev.ltx4j.vfs.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ltx4j in an application server (field probes, round 9; docs/class-loaders.md): {@link ServerChild}, a JVM whose
 * own class path holds neither ltx4j nor sqlite-jdbc, deploys {@link WebApp} twice, each time in a new class loader
 * with its own copy of both (a WAR's {@code WEB-INF/lib}), as a redeploy does.
 */
class ClassLoadersTest {
    @TempDir
    Path dir;

    @Test
    void aWebApplicationWithItsOwnSqliteJdbcDeploysAndItsRedeployRecoversTheCommits() throws Exception {
        String out = server("redeploy");
        // Before: "1 deploy FAILED java.sql.SQLException: No suitable driver found for jdbc:sqlite::memory:"
        // (DriverManager offers a caller only the drivers its own class loader registered).
        assertThat(out).contains("1 deploy deployed\n1 write 3 ").contains("2 deploy deployed\n2 read 3 ")
                .contains("2 write 5 ").doesNotContain("FAILED").doesNotContain("\nthread ltx4j");
    }

    @Test
    void aRedeployWithAnInstalledLibraryLoadsAPrivateCopyOfIt() throws Exception {
        String out = server("redeploy", "-Dltx4j.vfs.library=" + System.getProperty("ltx4j.vfs.library"));
        // Before: "2 deploy FAILED java.lang.UnsatisfiedLinkError: Native Library ... already loaded in another
        // classloader".
        assertThat(out).contains("2 deploy deployed\n2 read 3 ").doesNotContain("FAILED");
    }

    @Test
    void aDeploymentThatLeakedItsConnectionsKeepsTheBufferAndIsNamed() throws Exception {
        String out = server("redeploy-leak");
        assertThat(out).contains("lock probe after 1 write refused")
                .contains("2 read FAILED").contains("loaded by class loader webapp-1@")
                .contains("an earlier deployment of this application whose connections were not closed");
        // Before: the refused open closed a descriptor of the lock file, which freed the leaked deployment's
        // POSIX lock: another process could take the buffer that deployment still writes.
        assertThat(out).contains("lock probe refused");
    }

    @Test
    void aSecondCopyOnASharedSqliteJdbcIsRefusedNamingBothLoaders() throws Exception {
        String out = server("shared"); // sqlite-jdbc in the server's lib, ltx4j in each deployment
        assertThat(out).contains("1 deploy deployed\n1 write 3 ");
        // Before: "2 deploy FAILED org.sqlite.SQLiteException: ... (error during initialization: )".
        assertThat(out).contains("2 deploy FAILED java.sql.SQLException: cannot register the litestream VFS: the"
                + " sqlite-jdbc loaded by class loader server-lib@").contains("another copy of ltx4j, loaded by class"
                + " loader webapp-1@").contains("both in the server's shared lib");
        // Before: the refused copy had already System.loaded its own extracted library (pinning its class loader).
        assertThat(out).contains("native copies 1\n");
    }

    @Test
    void aCopyWhoseLoadFailedDoesNotKeepTheSharedSqliteJdbc() throws Exception {
        String out = server("shared-retry");
        assertThat(out).contains("0 deploy FAILED java.sql.SQLException: cannot load the litestream VFS");
        // The failed load undid its claim: the next copy serves that sqlite-jdbc instead of being refused.
        assertThat(out).contains("1 deploy deployed\n1 write 3 ");
    }

    private String server(String mode, String... jvmOptions) throws Exception {
        Path testClasses = Path.of(ServerChild.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        List<String> webapp = new ArrayList<>(List.of(testClasses.toString(), System.getProperty("ltx4j.vfs.classes"),
                Files.readString(Path.of(System.getProperty("ltx4j.vfs.hostClasspath"))).strip()));
        for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (Path.of(e).getFileName().toString().startsWith("sqlite-jdbc")) webapp.add(e);
        }
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", testClasses.toString(), "--enable-native-access=ALL-UNNAMED", "-Xshare:auto",
                "-XX:TieredStopAtLevel=1", "-Djava.io.tmpdir=" + dir,
                "-Dwebapp.classpath=" + String.join(File.pathSeparator, webapp)));
        cmd.addAll(List.of(jvmOptions));
        Files.createDirectories(dir.resolve("r"));
        cmd.addAll(List.of(ServerChild.class.getName(), mode, dir.resolve("r").toUri().toString(),
                dir.resolve("buf").toString(), dir.resolve("db.db").toString()));
        // Output to a file, not a pipe read to its end: a hung child then fails the bound instead of the build.
        Path log = dir.resolve(mode + ".out");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("LITESTREAM_") || k.startsWith("LTX4J_"));
        Process p = pb.start();
        boolean exited = p.waitFor(120, TimeUnit.SECONDS);
        if (!exited) p.destroyForcibly().waitFor();
        String out = Files.readString(log, StandardCharsets.UTF_8);
        assertThat(exited).as("server child exited within 120 s: " + out).isTrue();
        assertThat(out).as(out).contains("\nend\n");
        return out;
    }
}
