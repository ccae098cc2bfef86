package dev.ltx4j.pagestore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A buffer path through a symbolic link repointed between runs (field probes, round 7 then round 8): the open is
 * refused, naming the file the path led to before, while that file still holds transactions; a clean one, or a path
 * without a link, is opened as before. Real links, real files.
 */
class RepointedBufferLinkTest {
    @TempDir
    Path dir;

    private Path configured;
    private String tmpdir;

    /** Records go to a temporary directory of this test's, not the host's /tmp/ltx4j-<user>. */
    @BeforeEach
    void ownRecordPlace() throws Exception {
        tmpdir = System.getProperty("java.io.tmpdir");
        System.setProperty("java.io.tmpdir", Files.createDirectories(dir.resolve("tmp")).toString());
    }

    @AfterEach
    void restoreTmpdir() {
        System.setProperty("java.io.tmpdir", tmpdir);
    }

    private Path link(Path target) throws Exception {
        Path link = dir.resolve("link");
        Files.deleteIfExists(link);
        return Files.createSymbolicLink(link, target);
    }

    @Test
    void aRepointedLinkIsRefusedWhileTheOldTargetHoldsTransactions() throws Exception {
        Path a = Files.createDirectories(dir.resolve("a"));
        Path b = Files.createDirectories(dir.resolve("b"));
        configured = link(a).resolve("app.buffer");
        WriteBufferOptions o = TestSupport.options(4096, Durability.LOCAL, 1);
        long writer;
        try (WriteBuffer buf = WriteBuffer.open(configured, o)) {
            TestSupport.commit(buf, 1, new long[] {1}, 7);
            writer = buf.writerId();
        }
        link(b);
        assertThatThrownBy(() -> WriteBuffer.open(configured, o))
                .isInstanceOf(BufferPathException.class)
                .hasMessageContaining("buffer path " + configured + " now leads to " + b.toRealPath().resolve("app.buffer"))
                .hasMessageContaining("through symbolic link " + dir.resolve("link") + ", now to " + b)
                .hasMessageContaining("used write buffer " + a.toRealPath().resolve("app.buffer")
                        + " (writer ID " + Long.toHexString(writer) + ")")
                .hasMessageContaining("which still holds 1 committed transaction(s)")
                .hasMessageContaining("Point the link back");
        assertThat(b.resolve("app.buffer")).as("nothing created on the new target").doesNotExist();
        link(a);
        try (WriteBuffer buf = WriteBuffer.open(configured, o)) {
            assertThat(buf.transactions()).as("the held transaction is found again").hasSize(1);
            assertThat(buf.writerId()).isEqualTo(writer);
        }
    }

    @Test
    void aCleanOldTargetOrAPathWithoutALinkIsOpenedAsBefore() throws Exception {
        Path a = Files.createDirectories(dir.resolve("a"));
        Path b = Files.createDirectories(dir.resolve("b"));
        configured = link(a).resolve("app.buffer");
        WriteBufferOptions o = TestSupport.options(4096, Durability.LOCAL, 1);
        try (WriteBuffer buf = WriteBuffer.open(configured, o)) {
            assertThat(buf.transactions()).isEmpty(); // header only: nothing to hide
        }
        link(b);
        // Another seed: a buffer of another writer (a seeded test random would repeat a's writer ID).
        try (WriteBuffer buf = WriteBuffer.open(configured, TestSupport.options(4096, Durability.LOCAL, 2))) {
            TestSupport.commit(buf, 1, new long[] {1}, 7);
        }
        // The record follows the last open: b now holds a commit, so going back to a is refused in turn.
        link(a);
        assertThatThrownBy(() -> WriteBuffer.open(configured, o)).hasMessageContaining("now leads to");
        Path plain = dir.resolve("plain.buffer");
        try (WriteBuffer buf = WriteBuffer.open(plain, o)) {
            TestSupport.commit(buf, 1, new long[] {1}, 7);
        }
        assertThat(BufferPathRecord.recordFile(plain)).as("no link: no record").doesNotExist();
    }
}
