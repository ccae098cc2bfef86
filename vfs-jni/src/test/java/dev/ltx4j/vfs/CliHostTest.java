package dev.ltx4j.vfs;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

import static dev.ltx4j.vfs.HostFixture.SQLITE3;
import static dev.ltx4j.vfs.HostFixture.cmd;
import static dev.ltx4j.vfs.HostFixture.run;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Debian's sqlite3 CLI (its own SQLite 3.40) loads litestream-vfs.so, which boots a JVM inside it. */
class CliHostTest {
    @TempDir
    static Path root;
    static HostFixture dist;

    @BeforeAll
    static void layout() throws Exception {
        assumeTrue(Files.isExecutable(SQLITE3), "no /usr/bin/sqlite3");
        dist = HostFixture.create(root, true);
    }

    private String load() {
        return ".load " + dist.dist.resolve("litestream-vfs") + " " + LitestreamVfs.ENTRY_POINT + "\n";
    }

    private static String open(Path db) {
        return ".open file:" + db + "?vfs=litestream\n";
    }

    @Test
    void writesLandInTheFileAndReadsComeBack() throws Exception {
        Path db = root.resolve("cli.db");
        HostFixture.Result r = run(cmd(SQLITE3, "-batch"), HostFixture.testEnvironment(), load() + open(db)
                + "create table t(id integer primary key, v text);\n"
                + "insert into t(v) values ('a'), ('b'), ('c');\n"
                + "begin; insert into t(v) values ('d'); commit;\n"
                + "select count(*) from t;\n"
                + "select litestream_txid();\n"
                + "select litestream_lag();\n"
                + "select json_extract(litestream_status(), '$.mode') || ' commits=' || json_extract(litestream_status(), '$.commits');\n"
                + "pragma litestream_txid;\n"
                + "pragma integrity_check;\n", root);
        assertThat(r.err()).isEmpty();
        assertThat(r.out().lines()).containsExactly("4", "0000000000000000", "-1", "local-test commits=3",
                "0000000000000000", "ok");
        try (Connection plain = Sql.plain(db)) {
            assertThat(Sql.text(plain, "select group_concat(v, '') from t")).isEqualTo("abcd");
        }
        HostFixture.Result again = run(cmd(SQLITE3, "-batch"), HostFixture.testEnvironment(),
                load() + open(db) + "select group_concat(v, '') from t;\n", root);
        assertThat(again.out().strip()).isEqualTo("abcd");
    }

    /**
     * W11: the reference's auto-extension could break later {@code sqlite3_open} calls in the process and registered
     * its SQL functions for the main database only. Here, after the load, plain files open, write and read as
     * usual, and the functions answer for a litestream database ATTACHed to a plain connection.
     */
    @Test
    void W11_laterOpensOfPlainFilesWorkAndFunctionsServeAttachedDatabases() throws Exception {
        Path ls = root.resolve("w11-litestream.db");
        Path before = root.resolve("w11-plain-before.db");
        Path after = root.resolve("w11-plain-after.db");
        HostFixture.Result r = run(cmd(SQLITE3, "-batch"), HostFixture.testEnvironment(), load()
                + ".open " + before + "\n"
                + "create table p(x); insert into p values (1);\n"
                + open(ls)
                + "create table t(v text); insert into t values ('ls');\n"
                + ".open " + after + "\n"
                + "create table p(x); insert into p values (2), (3);\n"
                + "select sum(x) from p;\n"
                + "attach 'file:" + ls + "?vfs=litestream' as aux;\n"
                + "select v from aux.t;\n"
                + "select litestream_txid('aux');\n"
                + "select json_extract(litestream_status('aux'), '$.mode');\n"
                + "select litestream_txid();\n", root);
        // The last call addresses the plain main database: a clear error, not a crash or a wrong answer.
        assertThat(r.err()).contains("database 'main' is not opened with the litestream VFS");
        assertThat(r.out().lines()).containsExactly("5", "ls", "0000000000000000", "local-test");
        for (Path plain : List.of(before, after)) {
            try (Connection c = Sql.plain(plain)) {
                assertThat(Sql.text(c, "pragma integrity_check")).isEqualTo("ok");
                assertThat(Sql.number(c, "select count(*) from p")).isPositive();
            }
        }
    }

    /** W11: the reference lost the message of a failed PRAGMA; the sqlite3 CLI shows ours verbatim. */
    @Test
    void W11_pragmaErrorsKeepTheirMessage() throws Exception {
        Path db = root.resolve("w11-pragma.db");
        HostFixture.Result r = run(cmd(SQLITE3, "-batch"), HostFixture.testEnvironment(), load() + open(db)
                + "create table t(x);\n"
                + "pragma litestream_nope;\n"
                + "pragma litestream_txid = 5;\n"
                + "pragma litestream_txid;\n", root);
        assertThat(r.err()).contains("unknown pragma litestream_nope").contains("read-only");
        assertThat(r.out().strip()).isEqualTo("0000000000000000");
    }

    /**
     * W13: the reference's extension could not set the poll interval or the cache size (until its #1157). Both are
     * URI parameters of the extension here: good values open and read, a bad value fails the open naming it.
     */
    @Test
    void W13_pollIntervalAndCacheSizeAreUriParametersOfTheExtension() throws Exception {
        Path replica = root.resolve("w13-replica");
        Map<String, String> env = withJavaOnly();
        env.put("LITESTREAM_CLASSPATH", Replicas.hostClassPath()); // the engine and its backends
        String url = "&replica_url=" + replica.toUri();
        HostFixture.Result w = run(cmd(SQLITE3, "-batch"), env, load()
                + ".open file:" + root.resolve("w13-writer.db") + "?vfs=litestream&write_enabled=true"
                + "&buffer_path=" + root.resolve("w13-buffer") + url + "\n"
                + "create table t(x); insert into t values (1), (2), (3);\n"
                + "select litestream_sync();\n", root);
        assertThat(w.err()).isEmpty();
        Path reader = root.resolve("w13-reader.db");
        HostFixture.Result r = run(cmd(SQLITE3, "-batch"), env, load()
                + ".open file:" + reader + "?vfs=litestream&poll_interval=250ms&cache_size=64kb" + url + "\n"
                + "select sum(x) from t;\n"
                + ".open file:" + reader + "?vfs=litestream&poll_interval=soon" + url + "\n"
                + ".open file:" + reader + "?vfs=litestream&cache_size=lots" + url + "\n", root);
        assertThat(r.out().strip()).isEqualTo("6");
        assertThat(r.err()).contains("URI parameter poll_interval").contains("URI parameter cache_size is not a size");
    }

    @Test
    void walIsRefusedClearly() throws Exception {
        Path db = root.resolve("wal.db");
        HostFixture.Result r = run(cmd(SQLITE3, "-batch"), HostFixture.testEnvironment(),
                load() + open(db) + "create table t(x);\npragma journal_mode=wal;\npragma journal_mode;\n", root);
        assertThat(r.err()).contains("journal_mode=WAL is not supported");
        assertThat(r.out().strip()).isEqualTo("delete");
    }

    @Test
    void withoutAReplicaUrlTheOpenFailsNamingIt() throws Exception {
        Path db = root.resolve("noconfig.db");
        HostFixture.Result r = run(cmd(SQLITE3, "-batch"), withJavaOnly(),
                load() + open(db) + "select count(*) from sqlite_schema;\n", root);
        // The CLI reports the failed .open and carries on with an in-memory database.
        assertThat(r.err()).contains("litestream: cannot open \"" + db + "\": LITESTREAM_REPLICA_URL is not set")
                .contains("unable to open database");
    }

    /**
     * Also W13 in the extension: a read-only open of an empty replica fails at once ("holds no LTX files") instead
     * of blocking, and a sync interval of 0 is refused by name instead of meaning one second.
     */
    @Test
    void eachRefusedOpenPrintsItsReasonOnceOnStderr() throws Exception {
        Path db = root.resolve("refused.db");
        String replica = root.resolve("empty-replica").toUri().toString();
        Map<String, String> uriCauses = new java.util.LinkedHashMap<>();
        uriCauses.put("replica_url=gs://bucket/app.db", "unsupported replica URL scheme: \"gs\"");
        uriCauses.put("replica_url=s4://bucket/app.db", "unsupported replica URL scheme: \"s4\"");
        uriCauses.put("replica_url=" + replica + "&write_enabled=true&buffer_path=" + root.resolve("nodir/buffer"),
                "does not exist");
        uriCauses.put("replica_url=" + replica, "holds no LTX files");
        uriCauses.put("replica_url=s3://bucket/app.db", "no credentials");
        StringBuilder script = new StringBuilder(load());
        for (String params : uriCauses.keySet()) script.append(".open file:").append(db).append("?vfs=litestream&").append(params).append('\n');
        Map<String, String> env = withJavaOnly();
        env.keySet().removeIf(k -> k.startsWith("AWS_"));
        env.put("LITESTREAM_CLASSPATH", Replicas.hostClassPath()); // the engine and its backends
        HostFixture.Result r = run(cmd(SQLITE3, "-batch"), env, script.toString(), root);
        String prefix = "litestream: cannot open \"" + db + "\": ";
        assertThat(r.err().lines().filter(l -> l.startsWith(prefix)).count()).as(r.err()).isEqualTo(uriCauses.size());
        for (String reason : uriCauses.values()) assertThat(r.err()).contains(reason);

        // Environment variables are named as such.
        env.put("LITESTREAM_REPLICA_URL", replica);
        env.put("LITESTREAM_WRITE_ENABLED", "true");
        env.put("LITESTREAM_SYNC_INTERVAL", "0");
        env.put("LITESTREAM_BUFFER_PATH", root.toString());
        HostFixture.Result e = run(cmd(SQLITE3, "-batch"), env, load()
                + ".open file:" + db + "?vfs=litestream&buffer_path=" + root.resolve("ok-buffer") + "\n"
                + ".open file:" + db + "?vfs=litestream&sync_interval=1s\n", root);
        assertThat(e.err()).contains(prefix + "invalid environment variable LITESTREAM_SYNC_INTERVAL \"0\": must be positive")
                .contains(prefix + "environment variable LITESTREAM_BUFFER_PATH " + root + " is a directory");
    }

    @Test
    void aCorruptReplicaFileIsNamedOnStderrNotJustMalformed() throws Exception {
        Path replica = root.resolve("corrupt-replica");
        Map<String, String> env = withJavaOnly();
        env.put("LITESTREAM_CLASSPATH", Replicas.hostClassPath()); // the engine and its backends
        String url = "&replica_url=" + replica.toUri();
        HostFixture.Result w = run(cmd(SQLITE3, "-batch"), env, load()
                + ".open file:" + root.resolve("writer.db") + "?vfs=litestream&write_enabled=true"
                + "&buffer_path=" + root.resolve("corrupt-buffer") + url + "\n"
                + "create table t(id integer primary key, v text);\n"
                + "with recursive c(i) as (select 1 union all select i + 1 from c where i < 2000)"
                + " insert into t select i, hex(randomblob(40)) from c;\n"
                + "select litestream_sync();\n", root);
        assertThat(w.err()).isEmpty();
        Path file;
        try (var files = Files.list(replica.resolve("ltx/0"))) {
            file = files.filter(f -> f.toString().endsWith(".ltx")).findFirst().orElseThrow();
        }
        byte[] bytes = Files.readAllBytes(file);
        bytes[bytes.length / 2] ^= 0x10; // inside a page frame: a ranged read alone would decode another row
        Files.write(file, bytes);
        HostFixture.Result r = run(cmd(SQLITE3, "-batch"), env, load()
                + ".open file:" + root.resolve("reader.db") + "?vfs=litestream" + url + "\n"
                + "select count(*) from t;\n", root);
        assertThat(r.out()).doesNotContain("2000");
        assertThat(r.err()).contains("malformed")
                .contains("litestream: ").contains(file.getFileName().toString()).contains("is corrupt");
    }

    @Test
    void withoutAJvmTheLoadFailsClearly() throws Exception {
        Map<String, String> env = HostFixture.baseEnvironment();
        env.put("PATH", Files.createDirectories(root.resolve("empty-bin")).toString());
        HostFixture.Result r = run(cmd(SQLITE3, "-batch"), env, load() + "select 1;\n", root);
        assertThat(r.err()).contains("litestream: no Java runtime found (set JAVA_HOME");
    }

    /**
     * A JVM that refuses to start (an option it does not know: what a JDK 11 JAVA_HOME does with the extension's
     * --enable-native-access) is named, with the JDK ltx4j needs, not only the user's LITESTREAM_JVM_OPTS.
     */
    @Test
    void aJvmThatRefusesToStartIsNamed() throws Exception {
        Map<String, String> env = withJavaOnly();
        env.put("LITESTREAM_JVM_OPTS", "-XX:+LtxNoSuchOption");
        HostFixture.Result r = run(cmd(SQLITE3, "-batch"), env, load() + "select 1;\n", root);
        assertThat(r.err()).contains("JNI_CreateJavaVM failed with -6 for the JVM " + System.getProperty("java.home"))
                .contains("libjvm.so (ltx4j needs JDK 17+; check JAVA_HOME, LITESTREAM_JVM_LIB and LITESTREAM_JVM_OPTS)");
    }

    /**
     * Round 8 (a new user): two copies of the extension under two paths (dist/ and an installed copy). The second
     * cannot share the JVM the first started (its natives and state are the first copy's): it is refused, naming both
     * paths and the fix, and the first copy keeps working.
     */
    @Test
    void aSecondCopyOfTheExtensionNamesTheFirstAndTheFix() throws Exception {
        Path other = Files.createDirectories(root.resolve("installed"));
        HostFixture copy = HostFixture.create(other, true);
        Path db = root.resolve("two-copies.db");
        HostFixture.Result r = run(cmd(SQLITE3, "-batch"), HostFixture.testEnvironment(), load()
                + ".load " + copy.dist.resolve("litestream-vfs") + " " + LitestreamVfs.ENTRY_POINT + "\n"
                + open(db) + "create table t(v); insert into t values (1); select count(*) from t;\n", root);
        assertThat(r.err()).contains("another copy of this extension (" + dist.so + ") already started the JVM")
                .contains("this copy (" + copy.so + ")").contains("load the extension from one path only")
                .doesNotContain("this thread is not attached");
        assertThat(r.out().strip()).isEqualTo("1");
    }

    @Test
    void withoutJarsTheLoadFailsClearly() throws Exception {
        HostFixture bare = HostFixture.create(root, false);
        HostFixture.Result r = run(cmd(SQLITE3, "-batch"), withJavaOnly(),
                ".load " + bare.dist.resolve("litestream-vfs") + " " + LitestreamVfs.ENTRY_POINT + "\n", root);
        assertThat(r.err()).contains("no jars found in " + bare.dist.toRealPath().resolve("lib"));
    }

    @Test
    void loadTimeIsMeasured() throws Exception {
        List<Long> plain = new ArrayList<>();
        List<Long> loaded = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            HostFixture.Result a = run(cmd(SQLITE3, ":memory:", "select 1"), withJavaOnly(), "", root);
            HostFixture.Result b = run(cmd(SQLITE3, ":memory:", load().strip(), "select 1"), withJavaOnly(), "", root);
            assertThat(a.out().strip()).isEqualTo("1");
            assertThat(b.out().strip()).isEqualTo("1");
            assertThat(b.err()).isEmpty();
            plain.add(a.millis());
            loaded.add(b.millis());
        }
        Collections.sort(plain);
        Collections.sort(loaded);
        System.out.printf("MEASURE cli process 'select 1': plain median %d ms, with .load median %d ms (JVM %s)%n",
                plain.get(2), loaded.get(2), System.getProperty("java.version"));
    }

    private static Map<String, String> withJavaOnly() {
        Map<String, String> env = HostFixture.baseEnvironment();
        env.put("JAVA_HOME", System.getProperty("java.home"));
        return env;
    }
}
