package dev.ltx4j.replica.file;

import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * The modes the file replica creates its directories and files with: never writable by group or others, whatever
 * the process's umask (under {@code umask 000} they were 777 and 666, so any local user could plant or replace an
 * LTX file that restores and followers take for data). Readability still follows the umask (the create call masks
 * these modes with it): followers and backups running as other users keep reading a replica as before, and
 * {@code umask 077} makes it owner-only. See docs/field-probes.md, round 5.
 */
final class ReplicaModes {
    private static final FileAttribute<?>[] NONE = new FileAttribute<?>[0];

    private ReplicaModes() {
    }

    /** Whether {@code at}'s file system takes POSIX modes (an in-memory or Windows one may not). */
    private static boolean posix(Path at) {
        return at.getFileSystem().supportedFileAttributeViews().contains("posix");
    }

    /** For a new LTX, temp, probe or lock file: at most {@code rw-r--r--}. */
    static FileAttribute<?>[] file(Path at) {
        return posix(at) ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rw-r--r--"))} : NONE;
    }

    /** For a new directory of the replica: at most {@code rwxr-xr-x}. */
    static FileAttribute<?>[] directory(Path at) {
        return posix(at) ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwxr-xr-x"))} : NONE;
    }
}
