package dev.ltx4j.pagestore;

import static dev.ltx4j.pagestore.TestSupport.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ltx4j.pagestore.storage.SecureFiles;
import dev.ltx4j.pagestore.storage.UnsafePathException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Another local user must not be able to plant or replace a buffer: directories ltx4j creates are owner-only,
 * existing ones and existing buffer and lock files are used only when they are this user's and not writable by
 * others, and links are not followed. Modes are checked by inspection (root ignores them); another user's file is
 * simulated with {@code chown nobody}, which needs root.
 */
class OwnerOnlyPathsTest {
    @TempDir
    Path dir;

    @BeforeEach
    void posixOnly() {
        assumeTrue(FileSystems.getDefault().supportedFileAttributeViews().contains("posix"), "POSIX permissions");
    }

    private static String mode(Path p) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }

    private static void chmod(Path p, String mode) throws IOException {
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(mode));
    }

    /** {@code nobody}, when this process may hand files to it (root); the test is skipped otherwise. */
    private static UserPrincipal nobody(Path probe) throws IOException {
        UserPrincipal nobody;
        try {
            nobody = probe.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody");
        } catch (IOException e) {
            nobody = null;
        }
        assumeTrue(nobody != null && !nobody.equals(Files.getOwner(probe)), "a user named nobody");
        try {
            Files.setOwner(probe, nobody);
        } catch (IOException e) {
            assumeTrue(false, "chown needs root: " + e);
        }
        return nobody;
    }

    private WriteBuffer openDefaultUnder(Path tmp) throws IOException {
        String previous = System.getProperty("java.io.tmpdir");
        System.setProperty("java.io.tmpdir", tmp.toString());
        try {
            return WriteBuffer.openDefault("file:///replica", "db", options(512, Durability.LOCAL, 1));
        } finally {
            System.setProperty("java.io.tmpdir", previous);
        }
    }

    @Test
    void theDefaultDirectoryIsCreatedOwnerOnlyAndItsFilesToo() throws Exception {
        try (WriteBuffer buffer = openDefaultUnder(dir)) {
            Path file = Path.of(buffer.location());
            assertThat(mode(file.getParent())).isEqualTo("rwx------");
            assertThat(mode(file)).isEqualTo("rw-------");
            assertThat(mode(Path.of(file + ".lock"))).isEqualTo("rw-------");
        }
    }

    @Test
    void aDefaultDirectoryPreCreatedWorldWritableIsRefusedNamingIt() throws Exception {
        Path planted = BufferPaths.defaultPath(dir, System.getProperty("user.name"), "file:///replica", "db")
                .getParent();
        Files.createDirectory(planted);
        chmod(planted, "rwxrwxrwx");
        assertThatThrownBy(() -> openDefaultUnder(dir)).isInstanceOf(BufferPathException.class)
                .hasMessageContaining(planted.toString()).hasMessageContaining("writable by group or others");
        try (var files = Files.list(planted)) {
            assertThat(files).isEmpty(); // nothing was created in it
        }
    }

    @Test
    void aDefaultDirectoryOfAnotherUserIsRefused() throws Exception {
        Path planted = BufferPaths.defaultPath(dir, System.getProperty("user.name"), "file:///replica", "db")
                .getParent();
        Files.createDirectory(planted);
        chmod(planted, "rwx------");
        nobody(planted);
        assertThatThrownBy(() -> openDefaultUnder(dir)).isInstanceOf(BufferPathException.class)
                .hasMessageContaining(planted.toString()).hasMessageContaining("owned by nobody");
    }

    @Test
    void aDefaultDirectoryThatIsALinkIsRefused() throws Exception {
        Path target = Files.createDirectory(dir.resolve("elsewhere"));
        Path link = BufferPaths.defaultPath(dir, System.getProperty("user.name"), "file:///replica", "db")
                .getParent();
        Files.createSymbolicLink(link, target);
        assertThatThrownBy(() -> openDefaultUnder(dir)).isInstanceOf(BufferPathException.class)
                .hasMessageContaining(link.toString()).hasMessageContaining("symbolic link");
    }

    @Test
    void anOwnReadableDefaultDirectoryFromAnOlderVersionIsTightened() throws Exception {
        Path old = BufferPaths.defaultPath(dir, System.getProperty("user.name"), "file:///replica", "db")
                .getParent();
        Files.createDirectory(old);
        chmod(old, "rwxr-xr-x");
        try (WriteBuffer buffer = openDefaultUnder(dir)) {
            assertThat(mode(old)).isEqualTo("rwx------");
        }
    }

    @Test
    void anExistingBufferFileOfAnotherUserIsRefused() throws Exception {
        Path path = dir.resolve("buffer.db");
        try (WriteBuffer buffer = WriteBuffer.open(path, options(512, Durability.LOCAL, 2))) {
            TestSupport.commit(buffer, 1, new long[] {1}, 1);
        }
        byte[] before = Files.readAllBytes(path);
        nobody(path);
        assertThatThrownBy(() -> WriteBuffer.open(path, options(512, Durability.LOCAL, 3)))
                .isInstanceOf(BufferPathException.class).hasMessageContaining(path.toString())
                .hasMessageContaining("owned by nobody");
        assertThat(Files.readAllBytes(path)).isEqualTo(before);
    }

    @Test
    void aBufferFileWritableByOthersOrALinkIsRefused() throws Exception {
        Path path = dir.resolve("buffer.db");
        try (WriteBuffer buffer = WriteBuffer.open(path, options(512, Durability.LOCAL, 4))) {
            TestSupport.commit(buffer, 1, new long[] {1}, 1);
        }
        chmod(path, "rw-rw-rw-");
        assertThatThrownBy(() -> WriteBuffer.open(path, options(512, Durability.LOCAL, 5)))
                .isInstanceOf(BufferPathException.class).hasMessageContaining("writable by group or others");
        chmod(path, "rw-------");
        Path link = dir.resolve("link.db");
        Files.createSymbolicLink(link, path);
        assertThatThrownBy(() -> WriteBuffer.open(link, options(512, Durability.LOCAL, 6)))
                .isInstanceOf(BufferPathException.class).hasMessageContaining("symbolic link");
        Path lockLink = dir.resolve("other.db.lock");
        Files.createSymbolicLink(lockLink, path);
        assertThatThrownBy(() -> WriteBuffer.open(dir.resolve("other.db"), options(512, Durability.LOCAL, 7)))
                .isInstanceOf(BufferPathException.class).hasMessageContaining(lockLink.toString());
    }

    @Test
    void helperCreatesOwnerOnlyFilesAndDirectories() throws Exception {
        Path nested = SecureFiles.privateDirectory(dir.resolve("a").resolve("b"), false);
        assertThat(mode(nested)).isEqualTo("rwx------");
        assertThat(mode(nested.getParent())).isEqualTo("rwx------");
        Path f = nested.resolve("f");
        try (OutputStream out = SecureFiles.newPrivateFile(f)) {
            out.write(1);
        }
        assertThat(mode(f)).isEqualTo("rw-------");
        assertThatThrownBy(() -> SecureFiles.newPrivateFile(f)).isInstanceOf(IOException.class);
        assertThat(mode(SecureFiles.createPrivateTempFile(nested, "x-", ".tmp"))).isEqualTo("rw-------");
        Path open = Files.createDirectory(dir.resolve("open"));
        chmod(open, "rwxrwxrwx");
        assertThatThrownBy(() -> SecureFiles.privateDirectory(open, false)).isInstanceOf(UnsafePathException.class)
                .hasMessageContaining(open.toString());
    }
}
