package dev.ltx4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ltx4j.vfs.testing.ReferenceExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Interop with the real reference implementation (npm litestream-vfs-linux-amd64@0.5.17 loaded into the system
 * sqlite3 CLI): it reads replicas we write, and we restore replicas it writes.
 */
class ReferenceInteropTest {
    private static Path extension;

    @TempDir
    Path tmp;

    @BeforeAll
    static void installReference() throws Exception {
        extension = ReferenceExtension.install();
    }

    private static final String QUERIES = """
            SELECT count(*), sum(score), min(email), max(email) FROM users;
            SELECT kind, count(*), min(at), max(at) FROM events GROUP BY kind ORDER BY kind;
            SELECT * FROM users WHERE id IN (1, 777, 2999) ORDER BY id;
            SELECT count(*) FROM events WHERE user_id BETWEEN 100 AND 200;
            PRAGMA integrity_check;
            """;

    @Test
    void referenceReadsAReplicaWrittenByImport() throws Exception {
        Path db = tmp.resolve("source.db");
        DemoCommand.createDatabase(db, 3000);
        String url = tmp.resolve("replica").toUri().toString();
        CliRun imp = CliRun.of("import", db.toString(), url);
        assertThat(imp.exitCode()).as(imp.err()).isZero();

        String expected = Sqlite3Cli.run(tmp, Map.of(), ".open '" + db + "'\n" + QUERIES).requireSuccess().stdout();
        Sqlite3Cli.Result viaReference = Sqlite3Cli.run(tmp, Map.of("LITESTREAM_REPLICA_URL", url),
                ".load '" + extension + "' sqlite3_litestreamvfs_init\n.open 'file:source.db?vfs=litestream'\n" + QUERIES)
                .requireSuccess();

        assertThat(expected).contains("3000|").contains("ok");
        assertThat(viaReference.stdout()).isEqualTo(expected);
    }

    @Test
    void restoreRebuildsAReplicaWrittenByTheReferenceInWriteMode() throws Exception {
        Path replica = tmp.resolve("ref-replica");
        String url = replica.toUri().toString();
        Map<String, String> env = Map.of("LITESTREAM_REPLICA_URL", url, "LITESTREAM_WRITE_ENABLED", "true",
                "LITESTREAM_SYNC_INTERVAL", "100ms", "LITESTREAM_BUFFER_PATH", tmp.resolve("ref-buffer").toString());
        String load = ".load '" + extension + "' sqlite3_litestreamvfs_init\n.open 'file:ref.db?vfs=litestream'\n";
        String session1 = """
                CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL);
                CREATE TABLE tags (note_id INTEGER, tag TEXT);
                INSERT INTO notes (body) VALUES ('first'), ('second'), ('third');
                INSERT INTO tags VALUES (1, 'a'), (2, 'b'), (3, 'c');
                """;
        String session2 = """
                WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500)
                INSERT INTO notes (body) SELECT printf('bulk note %d %s', i, hex(randomblob(20))) FROM n;
                DELETE FROM tags WHERE note_id = 2;
                UPDATE notes SET body = 'first, edited' WHERE id = 1;
                """;
        Sqlite3Cli.run(tmp, env, load + session1).requireSuccess();
        Sqlite3Cli.run(tmp, env, load + session2).requireSuccess();

        List<Path> files;
        try (Stream<Path> s = Files.walk(replica)) {
            files = s.filter(p -> p.toString().endsWith(".ltx")).sorted().toList();
        }
        assertThat(files).as("the reference wrote one L0 file per session").hasSizeGreaterThanOrEqualTo(2);
        CliRun verify = CliRun.of(Stream.concat(Stream.of("ltx", "verify"), files.stream().map(Path::toString))
                .toArray(String[]::new));
        assertThat(verify.exitCode()).as(verify.err()).isZero();

        Path restored = tmp.resolve("restored.db");
        CliRun res = CliRun.of("restore", url, "-o", restored.toString());
        assertThat(res.exitCode()).as(res.err()).isZero();

        String check = "SELECT count(*), max(id) FROM notes;\nSELECT body FROM notes WHERE id IN (1, 2, 3);\n"
                + "SELECT group_concat(tag) FROM tags;\nPRAGMA integrity_check;\n";
        String fromRestore = Sqlite3Cli.run(tmp, Map.of(), ".open '" + restored + "'\n" + check).requireSuccess().stdout();
        String fromReference = Sqlite3Cli.run(tmp, Map.of("LITESTREAM_REPLICA_URL", url), load + check)
                .requireSuccess().stdout();
        assertThat(fromRestore).startsWith("503|503\nfirst, edited\nsecond\nthird\na,c\nok");
        assertThat(fromRestore).isEqualTo(fromReference);
    }
}
