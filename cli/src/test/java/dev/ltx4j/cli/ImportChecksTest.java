package dev.ltx4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 8 item 6: import refuses a database cut at a page boundary and says where the replica root is. */
class ImportChecksTest {
    @TempDir
    Path tmp;

    private Path sampleDb() throws Exception {
        Path db = tmp.resolve("src.db");
        DemoCommand.createDatabase(db, 3000);
        return db;
    }

    private static long headerPages(Path db) throws Exception {
        try (FileChannel ch = FileChannel.open(db)) {
            ByteBuffer b = ByteBuffer.allocate(4);
            ch.read(b, 28);
            return Integer.toUnsignedLong(b.getInt(0));
        }
    }

    @Test
    void refusesADatabaseCutAtAPageBoundary() throws Exception {
        Path db = sampleDb();
        long pages = headerPages(db);
        int pageSize = (int) (Files.size(db) / pages);
        assertThat(Files.size(db)).isEqualTo(pages * pageSize);
        assertThat(pages).isGreaterThan(4);
        long kept = pages / 2;
        try (FileChannel ch = FileChannel.open(db, StandardOpenOption.WRITE)) {
            ch.truncate(kept * pageSize);
        }
        Path replica = tmp.resolve("replica");
        CliRun run = CliRun.of("import", db.toString(), replica.toUri().toString());
        System.out.println("import of a truncated database: " + run.err().strip());
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).contains(db.toString()).contains(pages + " pages").contains("holds " + kept)
                .contains("truncated");
        assertThat(replica.resolve("ltx")).doesNotExist();
    }

    @Test
    void refusesAFileWhoseSizeIsNotAMultipleOfThePageSize() throws Exception {
        Path db = sampleDb();
        try (FileChannel ch = FileChannel.open(db, StandardOpenOption.WRITE)) {
            ch.truncate(Files.size(db) - 100);
        }
        CliRun run = CliRun.of("import", db.toString(), tmp.resolve("replica").toUri().toString());
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).contains(db.toString()).contains("not a multiple of the page size");
    }

    @Test
    void refusesTrailingPagesBeyondTheHeaderCount() throws Exception {
        Path db = sampleDb();
        long pages = headerPages(db);
        try (FileChannel ch = FileChannel.open(db, StandardOpenOption.WRITE)) {
            int pageSize = (int) (Files.size(db) / pages);
            ch.write(ByteBuffer.allocate(pageSize), pages * pageSize);
        }
        CliRun run = CliRun.of("import", db.toString(), tmp.resolve("replica").toUri().toString());
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).contains(pages + " pages").contains("holds " + (pages + 1)).contains("trailing");
    }

    @Test
    void printsTheResolvedReplicaRoot() throws Exception {
        Path db = sampleDb();
        Path root = tmp.resolve("a/b/../replica");
        CliRun run = CliRun.of("import", db.toString(), "file://localhost" + root);
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).contains("replica root: " + tmp.resolve("a/replica"));
        assertThat(tmp.resolve("a/replica/ltx/0")).isDirectory();
        CliRun json = CliRun.of("import", "--json", db.toString(), "file://" + tmp.resolve("j"));
        assertThat(json.exitCode()).as(json.err()).isZero();
        assertThat(json.out()).startsWith("{").contains("\"replica\":\"" + tmp.resolve("j") + "\"");
    }

    @Test
    void refusesFileUrlsWithAHostOrUserInfo() throws Exception {
        Path db = sampleDb();
        CliRun run = CliRun.of("import", db.toString(), "file://relative/sub");
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).contains("host must be empty or localhost").contains("file://relative/sub");
        CliRun user = CliRun.of("import", db.toString(), "file://alice:hunter2@/srv/x");
        assertThat(user.exitCode()).isEqualTo(1);
        assertThat(user.err() + user.out()).contains("user info").doesNotContain("hunter2").doesNotContain("alice");
    }
}
