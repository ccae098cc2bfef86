package dev.ltx4j.pagestore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The repointed-link record lives in a shared temporary directory (docs/write-buffer-recovery.md, "A buffer path that
 * leads elsewhere"): a record another user could have written or planted is ignored, and only a regular old target
 * with a valid header, the recorded writer ID and transactions refuses an open. Everything else opens (logged).
 * Each case starts from a real refusal situation: a commit through {@code link -> a}, then {@code link -> b}.
 */
class BufferPathRecordTrustTest {
    @TempDir
    Path dir;

    private String tmpdir;
    private Path a;
    private Path b;
    private Path configured;
    private long writer;
    private final WriteBufferOptions o = TestSupport.options(4096, Durability.LOCAL, 1);

    @BeforeEach
    void commitThroughALinkThenRepointIt() throws Exception {
        tmpdir = System.getProperty("java.io.tmpdir");
        System.setProperty("java.io.tmpdir", Files.createDirectories(dir.resolve("tmp")).toString());
        a = Files.createDirectories(dir.resolve("a"));
        b = Files.createDirectories(dir.resolve("b"));
        configured = link(a).resolve("app.buffer");
        try (WriteBuffer buf = WriteBuffer.open(configured, o)) {
            TestSupport.commit(buf, 1, new long[] {1}, 7);
            writer = buf.writerId();
        }
        link(b);
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

    private Path record() {
        return BufferPathRecord.recordFile(configured);
    }

    private void opensOnTheNewTarget() throws Exception {
        try (WriteBuffer buf = WriteBuffer.open(configured, o)) {
            assertThat(buf.transactions()).isEmpty();
        }
        assertThat(b.resolve("app.buffer")).exists();
    }

    @Test
    void theRefusalStillHappensAndTheRecordIsOwnerOnly() throws Exception {
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(record()))).isEqualTo("rw-------");
        try (var files = Files.list(record().getParent())) {
            assertThat(files).as("no temporary file left").containsExactly(record());
        }
        assertThatThrownBy(() -> WriteBuffer.open(configured, o)).isInstanceOf(BufferPathException.class)
                .hasMessageContaining("(writer ID " + Long.toHexString(writer) + "), which still holds 1 committed");
    }

    @Test
    void aRecordInADirectoryOthersCanWriteIsIgnored() throws Exception {
        Files.setPosixFilePermissions(record().getParent(), PosixFilePermissions.fromString("rwxrwxrwx"));
        opensOnTheNewTarget();
    }

    @Test
    void aRecordUnderAnLtx4jDirectoryOthersCanWriteIsIgnored() throws Exception {
        Files.setPosixFilePermissions(record().getParent().getParent(), PosixFilePermissions.fromString("rwxrwxrwx"));
        opensOnTheNewTarget();
    }

    @Test
    void aRecordOwnedByAnotherUserIsIgnored() throws Exception {
        UserPrincipal nobody;
        try {
            nobody = dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody");
            Files.setOwner(record(), nobody); // needs root: another user planted it
        } catch (Exception e) {
            assumeTrue(false, "cannot give a file to user nobody here: " + e);
            return;
        }
        opensOnTheNewTarget();
    }

    @Test
    void aRecordThatIsASymbolicLinkIsIgnored() throws Exception {
        Path elsewhere = Files.move(record(), dir.resolve("elsewhere.path"));
        Files.createSymbolicLink(record(), elsewhere);
        opensOnTheNewTarget();
    }

    @Test
    void aTruncatedRecordIsNotARefusal() throws Exception {
        Files.writeString(record(), "path=" + configured + "\nreal=" + a.toRealPath().resolve("app.buffer") + "\n",
                StandardCharsets.ISO_8859_1);
        opensOnTheNewTarget();
    }

    @Test
    void anOldTargetThatIsADirectoryIsNotARefusal() throws Exception {
        Files.delete(a.resolve("app.buffer"));
        Files.createDirectories(a.resolve("app.buffer"));
        Files.write(a.resolve("app.buffer").resolve("x"), new byte[8192]);
        opensOnTheNewTarget();
    }

    @Test
    void anOldTargetWhoseHeaderIsNotValidIsNotARefusal() throws Exception {
        // The same path as an unreadable one (EACCES, not reproducible as root): nothing to count, so logged only.
        Files.write(a.resolve("app.buffer"), new byte[8192]);
        opensOnTheNewTarget();
    }

    @Test
    void anOldTargetThatIsAFifoDoesNotBlockTheOpen() throws Exception {
        Files.delete(a.resolve("app.buffer"));
        Process mkfifo = new ProcessBuilder("mkfifo", a.resolve("app.buffer").toString()).inheritIO().start();
        assumeTrue(mkfifo.waitFor() == 0, "no mkfifo");
        // Before: FileChannel.open on the FIFO waited for a writer that never comes (a hang, not slowness).
        assertTimeoutPreemptively(Duration.ofSeconds(60), this::opensOnTheNewTarget);
    }

    @Test
    void anOldTargetHoldingAnotherWritersBufferIsNotARefusal() throws Exception {
        Path old = a.resolve("app.buffer");
        Files.move(old, dir.resolve("moved.buffer"));
        WriteBufferOptions otherSeed = TestSupport.options(4096, Durability.LOCAL, 2);
        try (WriteBuffer other = WriteBuffer.open(old, otherSeed)) { // a plain path: no record of its own
            TestSupport.commit(other, 1, new long[] {1}, 9);
            assertThat(other.writerId()).isNotEqualTo(writer);
        }
        opensOnTheNewTarget();
    }

    @Test
    void aCopyOfTheOldBufferOnTheNewTargetIsOpened() throws Exception {
        Files.copy(a.resolve("app.buffer"), b.resolve("app.buffer"), StandardCopyOption.COPY_ATTRIBUTES);
        try (WriteBuffer buf = WriteBuffer.open(configured, o)) {
            assertThat(buf.writerId()).isEqualTo(writer);
            assertThat(buf.transactions()).hasSize(1);
        }
    }

    @Test
    void aHardLinkOfTheOldBufferOnTheNewTargetIsOpened() throws Exception {
        Files.createLink(b.resolve("app.buffer"), a.resolve("app.buffer"));
        try (WriteBuffer buf = WriteBuffer.open(configured, o)) {
            assertThat(buf.transactions()).hasSize(1);
        }
        assertThat(Files.isRegularFile(a.resolve("app.buffer"), LinkOption.NOFOLLOW_LINKS)).isTrue();
    }
}
