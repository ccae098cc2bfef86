package dev.ltx4j.vfs;

import dev.ltx4j.ltx.LtxRestorer;
import dev.ltx4j.ltx.LtxSource;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaClients;
import dev.ltx4j.replica.ReplicaEnvironment;
import dev.ltx4j.replica.RestorePlanner;
import dev.ltx4j.replica.RestoreTarget;

import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** Restore (what {@code ltx4j restore} does), content digests, and child JVMs for the engine tests. */
final class Replicas {
    private Replicas() {
    }

    /** Restores the latest state of the replica at {@code url} into the plain file {@code out}. */
    static LtxRestorer.Result restore(String url, Path out) throws Exception {
        return restore(url, ReplicaEnvironment.system(), out);
    }

    /** As {@link #restore(String, Path)}, with credentials and endpoints taken from {@code env}. */
    static LtxRestorer.Result restore(String url, ReplicaEnvironment env, Path out) throws Exception {
        try (ReplicaClient client = ReplicaClients.open(url, env)) {
            List<LtxFileInfo> plan = new RestorePlanner(client).plan(RestoreTarget.latest());
            List<LtxSource> chain = new ArrayList<>();
            for (LtxFileInfo f : plan) {
                chain.add(LtxSource.of(f.toString(), () -> new BufferedInputStream(
                        client.openFile(f.level(), f.minTxid(), f.maxTxid(), 0, 0), 1 << 16)));
            }
            return LtxRestorer.restore(chain, out);
        }
    }

    /** SHA-256 (16 hex digits) over every row of {@code table} in rowid order. */
    static String digest(Connection c, String table) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("select * from " + table + " order by rowid")) {
            int cols = rs.getMetaData().getColumnCount();
            while (rs.next()) {
                for (int i = 1; i <= cols; i++) {
                    md.update(String.valueOf(rs.getString(i)).getBytes(StandardCharsets.UTF_8));
                    md.update((byte) 0);
                }
            }
        }
        return HexFormat.of().formatHex(md.digest()).substring(0, 16);
    }

    /**
     * The test class path without sqlite-jdbc: what a CLI/python host's JVM needs (LITESTREAM_CLASSPATH). Without
     * logback (S3Proxy's, for the tests): dist/lib has slf4j-nop as its only SLF4J provider, and a second one makes
     * SLF4J warn on the host's stderr.
     */
    /**
     * A builder for a rival writer inside this process, standing for another process: its own client under its own
     * declared identity. One replica opens one writer per process (a second writer with another buffer is refused),
     * so a test that stages a rival in-process declares it this way.
     */
    static LitestreamVfsBuilder rival(String url, String who) throws Exception {
        return LitestreamVfs.builder().replica(ReplicaClients.open(url), "rival " + who + " of " + url);
    }

    static String engineClassPath() {
        return Stream.of(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(e -> !e.contains("sqlite-jdbc") && !e.contains("junit") && !e.contains("assertj")
                        && !e.contains("opentest4j") && !e.contains("apiguardian")
                        && !e.contains("logback")) // dist/lib has one SLF4J provider (nop); two make SLF4J warn on stderr
                .collect(Collectors.joining(File.pathSeparator));
    }

    /**
     * What {@code dist/lib} will hold (this module's classes plus its runtime dependencies, no test jars), as a
     * LITESTREAM_CLASSPATH value; the build writes the dependency part before the tests run.
     */
    static String hostClassPath() throws IOException {
        String deps = java.nio.file.Files.readString(Path.of(System.getProperty("ltx4j.vfs.hostClasspath"))).strip();
        return System.getProperty("ltx4j.vfs.classes") + File.pathSeparator + deps;
    }

    /** Starts {@link VfsChild} in a new JVM with this test's class path; stderr goes to {@code err}. */
    static Process child(Path err, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "--enable-native-access=ALL-UNNAMED",
                "-Dltx4j.vfs.library=" + System.getProperty("ltx4j.vfs.library"), "-Xshare:auto", "-XX:TieredStopAtLevel=1",
                VfsChild.class.getName()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(err.toFile());
        Map<String, String> env = pb.environment();
        env.keySet().removeIf(k -> k.startsWith("LITESTREAM_"));
        return pb.start();
    }

    static BufferedReader lines(Process p) {
        return new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    }
}
