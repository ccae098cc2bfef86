package dev.ltx4j.vfs;

import dev.ltx4j.replica.ReplicaEnvironment;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.ltx4j.vfs.HostFixture.PYTHON3;
import static dev.ltx4j.vfs.HostFixture.SQLITE3;
import static dev.ltx4j.vfs.HostFixture.cmd;
import static dev.ltx4j.vfs.HostFixture.run;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The user contract's sqlite3 session and Python example, run by the real hosts (Debian's sqlite3 CLI and
 * python3 loading {@code ./dist/litestream-vfs.so}) against a real object-storage protocol server. Afterwards the
 * bucket's raw keys must follow Litestream's layout for that store, a read-mode session must see the rows at the
 * replica's last TXID, and a restore of the replica must hold the same rows and pass an integrity check.
 */
abstract class SeedOverObjectStorage {
    /** Bucket or container name, as in the contract's {@code s3://mybucket/...}. */
    static final String BUCKET = "mybucket";

    @TempDir
    Path root;

    /** The replica URL without any endpoint, e.g. {@code s3://mybucket/app.db}. */
    abstract String plainUrl(String path);

    /** Query string that points {@link #plainUrl} at the test server. */
    abstract String endpointQuery();

    /** The store's endpoint environment variable, the alternative to {@link #endpointQuery}. */
    abstract Map<String, String> endpointVariable();

    /** The credentials a user would export for this store. */
    abstract Map<String, String> credentials();

    /** Every object key under {@code prefix}, listed with the store's own SDK. */
    abstract List<String> rawKeys(String prefix) throws Exception;

    /** Litestream's key of a level-0 LTX file under {@code path}; groups 1 and 2 are the min and max TXIDs. */
    abstract Pattern levelZeroKey(String path);

    /** Keys of LTX files at any level 0-9 (the writer compacts in the background, so levels 1-3 and 9 may appear). */
    abstract Pattern anyLevelKey(String path);

    @BeforeEach
    void dist() throws Exception {
        assumeTrue(Files.isExecutable(SQLITE3) && Files.isExecutable(PYTHON3), "needs /usr/bin/sqlite3 and /usr/bin/python3");
        HostFixture.create(root, false);
        Files.move(root.resolve("dist-nojars"), root.resolve("dist"));
    }

    private Map<String, String> env(String url, Map<String, String> extra, boolean write) throws Exception {
        Map<String, String> env = HostFixture.baseEnvironment();
        env.keySet().removeIf(k -> k.startsWith("AWS_") || k.startsWith("AZURE_"));
        env.put("JAVA_HOME", System.getProperty("java.home"));
        env.put("LITESTREAM_CLASSPATH", Replicas.hostClassPath());
        env.put("LITESTREAM_REPLICA_URL", url);
        env.put("LITESTREAM_BUFFER_PATH", root.resolve("buffer-" + Math.abs(url.hashCode()) + ".db").toString());
        if (write) env.put("LITESTREAM_WRITE_ENABLED", "true");
        env.putAll(credentials());
        env.putAll(extra);
        return env;
    }

    @Test
    void sqlite3SessionCreatesTheDatabaseInTheBucket() throws Exception {
        String url = plainUrl("newdb") + endpointQuery();
        HostFixture.Result r = run(cmd(SQLITE3), env(url, Map.of(), true), SeedExamples.CLI_CREATE_SESSION, root);
        assertThat(r.err()).isEmpty();
        assertThat(r.out().lines()).containsExactly("Alice", "ok");

        long lastTxid = assertLitestreamLayout("newdb");
        HostFixture.Result back = run(cmd(SQLITE3), env(url, Map.of(), false), """
                .load ./dist/litestream-vfs sqlite3_litestreamvfs_init
                .open 'file:other.db?vfs=litestream'
                SELECT id, name, litestream_txid() FROM users;
                """, root);
        assertThat(back.err()).isEmpty();
        assertThat(back.out().strip()).isEqualTo("1|Alice|%016x".formatted(lastTxid));

        try (Connection c = restored(url, Map.of(), "newdb")) {
            assertThat(Sql.text(c, "select group_concat(id || ':' || name) from users")).isEqualTo("1:Alice");
            assertThat(Sql.text(c, "pragma integrity_check")).isEqualTo("ok");
        }
    }

    @Test
    void pythonExampleWritesWithTheContractsUrl() throws Exception {
        // The contract's URL verbatim; the endpoint comes from the store's environment variable.
        String url = plainUrl("app.db");
        Path app = root.resolve("app.py");
        Files.writeString(app, SeedExamples.PYTHON_APP);
        HostFixture.Result first = run(cmd(PYTHON3, app), env(url, endpointVariable(), true), "", root);
        assertThat(first.err()).isEmpty();
        assertThat(first.out().strip()).isEqualTo("(1, 'Application started')");
        // A second run starts from what the first left in the bucket.
        HostFixture.Result second = run(cmd(PYTHON3, app), env(url, endpointVariable(), true), "", root);
        assertThat(second.err()).isEmpty();
        assertThat(second.out().lines()).containsExactly("(1, 'Application started')", "(2, 'Application started')");

        assertLitestreamLayout("app.db");
        try (Connection c = restored(url, endpointVariable(), "app")) {
            assertThat(Sql.text(c, "select group_concat(id || ':' || msg, ',') from logs"))
                    .isEqualTo("1:Application started,2:Application started");
            assertThat(Sql.text(c, "pragma integrity_check")).isEqualTo("ok");
        }
    }

    /**
     * Asserts every key under {@code path/} is an LTX file in Litestream's layout and the level-0 files form one
     * gapless chain from TXID 1 (retention keeps them: its window is a day); returns the chain's end.
     */
    private long assertLitestreamLayout(String path) throws Exception {
        List<String> all = rawKeys(path + "/");
        assertThat(all).isNotEmpty().allMatch(k -> anyLevelKey(path).matcher(k).matches());
        List<String> keys = all.stream().filter(k -> levelZeroKey(path).matcher(k).matches()).toList();
        assertThat(keys).isNotEmpty();
        List<long[]> ranges = new ArrayList<>();
        for (String key : keys) {
            Matcher m = levelZeroKey(path).matcher(key);
            assertThat(m.matches()).isTrue();
            ranges.add(new long[] {Long.parseUnsignedLong(m.group(1), 16), Long.parseUnsignedLong(m.group(2), 16)});
        }
        ranges.sort((a, b) -> Long.compare(a[0], b[0]));
        long next = 1;
        for (long[] range : ranges) {
            assertThat(range[0]).as("min TXID of %s", keys).isEqualTo(next);
            assertThat(range[1]).isGreaterThanOrEqualTo(range[0]);
            next = range[1] + 1;
        }
        return next - 1;
    }

    private Connection restored(String url, Map<String, String> extra, String name) throws Exception {
        Map<String, String> env = new HashMap<>(credentials());
        env.putAll(extra);
        Path out = root.resolve(name + "-restored.db");
        Replicas.restore(url, ReplicaEnvironment.of(env), out);
        return Sql.plain(out);
    }
}
