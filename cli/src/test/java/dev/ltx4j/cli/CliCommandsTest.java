package dev.ltx4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CliCommandsTest {
    @TempDir
    Path tmp;

    private Path sampleDb(int rows) throws Exception {
        Path db = tmp.resolve("src.db");
        DemoCommand.createDatabase(db, rows);
        return db;
    }

    private List<Path> ltxFiles(Path root) throws Exception {
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(p -> p.toString().endsWith(".ltx")).sorted().toList();
        }
    }

    @Test
    void importThenRestoreGivesTheSameDatabaseContent() throws Exception {
        Path db = sampleDb(3000);
        String url = tmp.resolve("replica").toUri().toString();

        CliRun imp = CliRun.of("import", db.toString(), url);
        assertThat(imp.exitCode()).as(imp.err()).isZero();
        assertThat(imp.out()).contains("L0/0000000000000001-0000000000000001.ltx");
        assertThat(tmp.resolve("replica/ltx/0/0000000000000001-0000000000000001.ltx")).isRegularFile();

        Path out = tmp.resolve("restored.db");
        CliRun res = CliRun.of("restore", url, "-o", out.toString());
        assertThat(res.exitCode()).as(res.err()).isZero();
        assertThat(res.out()).contains("verified");
        assertThat(Files.readAllBytes(out)).isEqualTo(Files.readAllBytes(db));
        assertThat(DemoCommand.integrityCheck(out)).isEqualTo("ok");
    }

    @Test
    void importRefusesANonEmptyReplica() throws Exception {
        Path db = sampleDb(10);
        String url = tmp.resolve("replica").toUri().toString();
        assertThat(CliRun.of("import", db.toString(), url).exitCode()).isZero();
        CliRun again = CliRun.of("import", db.toString(), url);
        assertThat(again.exitCode()).isEqualTo(1);
        assertThat(again.err()).contains("is not empty").contains("L0/0000000000000001-0000000000000001.ltx");
    }

    @Test
    void importRejectsFilesThatAreNotSqliteDatabases() throws Exception {
        Path junk = Files.writeString(tmp.resolve("junk.db"), "definitely not sqlite, but long enough to have a header "
                + "x".repeat(200));
        CliRun run = CliRun.of("import", junk.toString(), tmp.resolve("r").toUri().toString());
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).contains("junk.db").contains("not a SQLite database");
    }

    @Test
    void verifyExitsNonZeroAndNamesEachBadFile() throws Exception {
        Path db = sampleDb(100);
        Path replica = tmp.resolve("replica");
        assertThat(CliRun.of("import", db.toString(), replica.toUri().toString()).exitCode()).isZero();
        Path good = ltxFiles(replica).get(0);
        byte[] bytes = Files.readAllBytes(good);
        bytes[bytes.length / 2] ^= 0x10;
        Path flipped = Files.write(tmp.resolve("flipped.ltx"), bytes);
        Path truncated = Files.write(tmp.resolve("truncated.ltx"), java.util.Arrays.copyOf(bytes, 50));

        CliRun ok = CliRun.of("ltx", "verify", good.toString());
        assertThat(ok.exitCode()).isZero();
        assertThat(ok.out()).startsWith("ok");

        CliRun bad = CliRun.of("ltx", "verify", good.toString(), flipped.toString(), truncated.toString());
        assertThat(bad.exitCode()).isEqualTo(1);
        assertThat(bad.err()).contains("flipped.ltx").contains("truncated.ltx").contains("2 of 3 files");
    }

    @Test
    void dumpJsonDescribesHeaderPagesAndTrailer() throws Exception {
        Path db = sampleDb(50);
        Path replica = tmp.resolve("replica");
        assertThat(CliRun.of("import", db.toString(), replica.toUri().toString()).exitCode()).isZero();
        Path file = ltxFiles(replica).get(0);
        CliRun dump = CliRun.of("ltx", "dump", file.toString(), "--json");
        assertThat(dump.exitCode()).as(dump.err()).isZero();
        long pages = Files.size(db) / 4096;
        assertThat(dump.out()).contains("\"minTxid\":\"0000000000000001\"").contains("\"commit\":" + pages)
                .contains("\"pgno\":" + pages).contains("\"fileChecksum\"");
    }

    /** Round 8 (a new user): the header's timestamp was printed as raw milliseconds only. */
    @Test
    void dumpPrintsTheTimestampAsAUtcTimeAndKeepsTheMilliseconds() throws Exception {
        Path db = sampleDb(5);
        Path replica = tmp.resolve("replica");
        assertThat(CliRun.of("import", db.toString(), replica.toUri().toString()).exitCode()).isZero();
        Path file = ltxFiles(replica).get(0);
        long ms = dev.ltx4j.ltx.LtxHeader.parse(Files.readAllBytes(file), file.toString()).timestamp();
        String time = java.time.Instant.ofEpochMilli(ms).toString();
        CliRun text = CliRun.of("ltx", "dump", file.toString());
        assertThat(text.exitCode()).as(text.err()).isZero();
        assertThat(text.out()).containsPattern("timestamp +" + java.util.regex.Pattern.quote(time + " (" + ms + " ms)"));
        assertThat(time).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d+)?Z");
        CliRun json = CliRun.of("ltx", "dump", file.toString(), "--json");
        assertThat(json.out()).contains("\"timestamp\":" + ms).contains("\"time\":\"" + time + "\"");
    }

    @Test
    void lsListsEveryLevelAndRejectsBadLevels() throws Exception {
        Path db = sampleDb(10);
        String url = tmp.resolve("replica").toUri().toString();
        assertThat(CliRun.of("import", db.toString(), url).exitCode()).isZero();
        CliRun ls = CliRun.of("ltx", "ls", url, "--json");
        assertThat(ls.exitCode()).isZero();
        assertThat(ls.out()).contains("\"level\":0").contains("\"maxTxid\":\"0000000000000001\"");
        CliRun bad = CliRun.of("ltx", "ls", url, "--level", "12");
        assertThat(bad.exitCode()).isEqualTo(1);
        assertThat(bad.err()).contains("--level");
    }

    @Test
    void badUrlsAndTargetsGetClearErrors() throws Exception {
        CliRun noScheme = CliRun.of("ltx", "ls", "/just/a/path");
        assertThat(noScheme.exitCode()).isEqualTo(1);
        assertThat(noScheme.err()).contains("scheme");
        CliRun unknown = CliRun.of("ltx", "ls", "ftp://host/x");
        assertThat(unknown.err()).contains("ftp");
        CliRun badTxid = CliRun.of("restore", tmp.toUri().toString(), "-o", tmp.resolve("o.db").toString(), "--txid", "12");
        assertThat(badTxid.exitCode()).isEqualTo(1);
        assertThat(badTxid.err()).contains("16 hex digits");
    }

    @Test
    void restoreOfAnEmptyReplicaFailsClearly() throws Exception {
        CliRun run = CliRun.of("restore", tmp.resolve("empty").toUri().toString(), "-o", tmp.resolve("o.db").toString());
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).isNotBlank();
        assertThat(tmp.resolve("o.db")).doesNotExist();
    }

    /** What an operator typing a restore by hand gets wrong: each message names the thing and the way out. */
    @Test
    void restoreMistakesAreNamed() throws Exception {
        String empty = tmp.resolve("empty").toUri().toString();
        CliRun noFiles = CliRun.of("restore", empty, "-o", tmp.resolve("o.db").toString());
        assertThat(noFiles.exitCode()).isEqualTo(1);
        assertThat(noFiles.err()).contains("cannot restore from " + empty, "holds no files"); // before: no replica

        CliRun zero = CliRun.of("restore", empty, "-o", tmp.resolve("o.db").toString(), "--txid", "0000000000000000");
        assertThat(zero.exitCode()).isEqualTo(1);
        assertThat(zero.err()).contains("TXIDs start at 0000000000000001", "leave out --txid")
                .doesNotContain("latest()"); // before: the Java API's advice

        Path replica = Files.createDirectories(tmp.resolve("rep"));
        Path source = tmp.resolve("src.db");
        try (var c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + source); var st = c.createStatement()) {
            st.execute("create table t(x)");
        }
        assertThat(CliRun.of("import", source.toString(), replica.toUri().toString()).exitCode()).isZero();
        Path out = tmp.resolve("no-such-dir").resolve("o.db");
        CliRun noDir = CliRun.of("restore", replica.toUri().toString(), "-o", out.toString());
        assertThat(noDir.exitCode()).isEqualTo(1);
        assertThat(noDir.err()).contains("no such file or directory: " + out.getParent()); // before: a bare temp path
    }

    @Test
    void demoRunsEndToEnd() throws Exception {
        CliRun demo = CliRun.of("demo", "--dir", tmp.resolve("demo").toString(), "--rows", "500");
        assertThat(demo.exitCode()).as(demo.out() + demo.err()).isZero();
        assertThat(demo.out()).contains("(identical)").contains("integrity_check: ok");
    }
}
