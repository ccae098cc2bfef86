package dev.ltx4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ltx4j.compaction.CompactionSettings;
import dev.ltx4j.vfs.LitestreamVfs;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Field probe (docs/field-probes.md, round 5): an LTX file in the middle of a replica's chain cut short (a partial
 * copy, an interrupted upload). A write-mode open, a read-mode open and {@code ltx4j restore} all refuse it; each
 * names the file, its real size, that it was cut short, and the way forward with the TXID before it. Before, the
 * opens said "pageIndex.size: index size 13551181516696724114 outside 1..1370" and restore "page[5].data:
 * truncated: file ends before the 3038-byte field at offset 299".
 */
class TruncatedReplicaFileTest {
    @TempDir
    Path dir;

    private static final String NAME = "0000000000000003-0000000000000003.ltx";

    /** Writes TXIDs 1..4 as four L0 files (no compaction) and returns the replica directory. */
    private Path fourFiles(String tag) throws Exception {
        Path replicaDir = dir.resolve("replica");
        LitestreamVfs.Registration writer = LitestreamVfs.builder().replica(replicaDir.toUri().toString())
                .writeEnabled(true).syncInterval(Duration.ofHours(1)).compaction(CompactionSettings.off())
                .register("damaged-writer-" + tag);
        try (Connection c = writer.connect(dir.resolve("app.db")); Statement s = c.createStatement()) {
            s.execute("create table t(v)");
            s.executeQuery("select litestream_sync()").close();
            for (int i = 0; i < 3; i++) {
                s.execute("insert into t values (randomblob(3000))");
                s.executeQuery("select litestream_sync()").close();
            }
        } finally {
            writer.unregister();
        }
        assertThat(replicaDir.resolve("ltx/0/0000000000000004-0000000000000004.ltx")).isRegularFile();
        return replicaDir;
    }

    @Test
    void aBitFlipInAFileAtRestIsNamedWithWhatToDoWhenAReaderMeetsIt() throws Exception {
        Path replicaDir = fourFiles("flip");
        Path middle = replicaDir.resolve("ltx/0/" + NAME);
        byte[] b = Files.readAllBytes(middle);
        b[400] ^= 0x04; // inside the page data
        Files.write(middle, b);
        LitestreamVfs.Registration reader = LitestreamVfs.builder().replica(replicaDir.toUri().toString())
                .register("damaged-reader");
        try (Connection c = reader.connect(dir.resolve("reader.db")); Statement s = c.createStatement()) {
            assertThatThrownBy(() -> s.executeQuery("select sum(length(v)) from t").close())
                    .isInstanceOf(SQLException.class);
            String last;
            try (var rs = s.executeQuery("pragma litestream_last_error")) {
                last = rs.getString(1);
            }
            System.out.println("read: " + last);
            assertThat(last).contains("L0/" + NAME, "corrupt", "ltx4j restore --txid 0000000000000002");
        } finally {
            reader.unregister();
        }
    }

    @Test
    void aFileCutShortInTheMiddleOfTheChainIsNamedWithItsSizeAndWhatToDo() throws Exception {
        Path replicaDir = fourFiles("cut");
        String replica = replicaDir.toUri().toString();
        Path db = dir.resolve("app.db");
        String name = NAME;
        Path middle = replicaDir.resolve("ltx/0/" + name);
        long cut = Files.size(middle) / 2;
        try (FileChannel ch = FileChannel.open(middle, StandardOpenOption.WRITE)) {
            ch.truncate(cut);
        }
        String[] expected = {"L0/" + name, "the file is " + cut + " bytes", "cut short",
                "ltx4j restore --txid 0000000000000002"};
        for (boolean write : new boolean[] {true, false}) {
            LitestreamVfs.Registration vfs = LitestreamVfs.builder().replica(replica).writeEnabled(write)
                    .syncInterval(Duration.ofHours(1)).register("truncated-" + write);
            try {
                assertThatThrownBy(() -> vfs.connect(db).close()).isInstanceOf(SQLException.class)
                        .satisfies(e -> System.out.println("open (write=" + write + "): " + e.getMessage()))
                        .message().contains(expected);
            } finally {
                vfs.unregister();
            }
        }
        CliRun restore = CliRun.of("restore", replica, "-o", dir.resolve("out.db").toString());
        System.out.println("restore: " + restore.err());
        assertThat(restore.exitCode()).isEqualTo(1);
        assertThat(restore.err()).contains("L0/" + name, "the file ends at byte " + cut, "cut short",
                "ltx4j restore --txid 0000000000000002 -o <new.db> " + replica.replaceAll("/$", ""));
        assertThat(dir.resolve("out.db")).doesNotExist();
        CliRun before = CliRun.of("restore", replica, "-o", dir.resolve("before.db").toString(), "--txid",
                "0000000000000002");
        assertThat(before.exitCode()).as(before.err()).isZero();
    }
}
