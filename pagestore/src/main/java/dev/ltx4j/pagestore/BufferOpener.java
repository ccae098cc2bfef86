package dev.ltx4j.pagestore;

import dev.ltx4j.pagestore.internal.LogHeader;
import dev.ltx4j.pagestore.internal.LogScanner;
import dev.ltx4j.pagestore.storage.FileLogStorage;
import dev.ltx4j.pagestore.storage.LogFile;
import dev.ltx4j.pagestore.storage.LogStorage;
import dev.ltx4j.pagestore.storage.StorageLockedException;
import dev.ltx4j.pagestore.storage.UnsafePathException;
import dev.ltx4j.replica.internal.FileFailures;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Objects;
import java.util.random.RandomGenerator;

/** Opens a {@link WriteBuffer}: takes its lock, then creates its log file or recovers it. */
final class BufferOpener {
    private BufferOpener() {}

    static WriteBuffer open(Path path, WriteBufferOptions options) throws IOException {
        Path absolute = path.toAbsolutePath();
        Path dir = BufferPaths.checkParent(absolute);
        BufferPathRecord.check(absolute); // a link repointed since the last open (docs/write-buffer-recovery.md)
        try {
            WriteBuffer opened = open(new FileLogStorage(dir), absolute.getFileName().toString(), options);
            BufferPathRecord.remember(absolute, opened.writerId());
            return opened;
        } catch (AccessDeniedException | NoSuchFileException e) {
            throw BufferPaths.pathError(absolute, e);
        } catch (UnsafePathException e) {
            throw new BufferPathException(absolute.toString(), "Permission errors on buffer path " + absolute + ": "
                    + e.getMessage(), e);
        } catch (FileSystemException e) {
            throw unwritable(absolute, e);
        }
    }

    /**
     * A {@link BufferPathException} with the kept-transactions advice when an existing buffer cannot be written
     * because its disk is read-only (EROFS: the kernel remounts so after an I/O error) or it is immutable (EPERM):
     * neither has a typed exception of its own. The JDK gives only the C library's error text, translated under a
     * non-English locale, so the disk is asked instead ({@link #refusesWrites}). Anything else (EMFILE, ELOOP, a
     * failed copy aside) keeps its own message (with the reason in words where the JDK gave none): the read-only
     * advice would send its reader the wrong way.
     */
    static IOException unwritable(Path buffer, FileSystemException e) {
        if (!refusesWrites(buffer, e)) {
            if (e.getReason() != null) {
                return e;
            }
            // A typed exception (already exists, directory not empty) has only the path as its message: say what.
            FileSystemException said = new FileSystemException(e.getFile(), e.getOtherFile(), FileFailures.reason(e));
            said.initCause(e);
            return said;
        }
        return new BufferPathException(buffer.toString(), "write buffer " + buffer + " exists but cannot be"
                + " opened for writing (" + FileFailures.reason(e, buffer) + "); "
                + BufferPathException.keptTransactionsAdvice(buffer), e);
    }

    /**
     * Whether {@code buffer} exists and can be read but its disk refuses to write it: a read-only file store, a file
     * access(2) says is not writable (EROFS, EPERM for an immutable file, EACCES), or, where access(2) still says
     * yes (an ext4 that aborted its journal after an I/O error still reports "rw"), a write-open of the file that
     * fails with the same error as the open did (same errno, so the same text in any language) while a read-open
     * works (too many open files or a link loop fail both). No text is matched.
     */
    private static boolean refusesWrites(Path buffer, FileSystemException e) {
        if (e instanceof FileAlreadyExistsException || e instanceof DirectoryNotEmptyException
                || e instanceof NoSuchFileException || !Files.isRegularFile(buffer)) {
            return false; // a failed copy aside or a vanished file: nothing about the disk refusing writes
        }
        try (FileChannel read = FileChannel.open(buffer, StandardOpenOption.READ)) {
            if (readOnlyStore(buffer) || !Files.isWritable(buffer)) {
                return true;
            }
        } catch (IOException | RuntimeException notReadable) {
            return false;
        }
        try (FileChannel write = FileChannel.open(buffer, StandardOpenOption.WRITE)) {
            return false; // it opens for writing now: the failure was about something else
        } catch (FileSystemException probe) {
            return Objects.equals(probe.getReason(), e.getReason()) && probe.getClass() == e.getClass();
        } catch (IOException | RuntimeException other) {
            return false;
        }
    }

    private static boolean readOnlyStore(Path buffer) {
        try {
            return Files.getFileStore(buffer).isReadOnly();
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    static WriteBuffer open(LogStorage storage, String name, WriteBufferOptions options) throws IOException {
        String location = storage.describe(name);
        LogStorage.StorageLock lock;
        try {
            lock = storage.lock(name + WriteBuffer.LOCK_SUFFIX);
        } catch (StorageLockedException e) {
            throw new BufferLockedException(location,
                    "write buffer " + location + " is in use: " + e.getMessage(), e);
        }
        RandomGenerator random = options.random().get();
        LogFile file = null;
        try {
            // A leftover .next is an unfinished creation or rewrite; the named file is authoritative.
            storage.deleteIfExists(name + WriteBuffer.NEXT_SUFFIX);
            storage.deleteIfExists(name + WriteBuffer.SPARE_SUFFIX); // may even be the named file (a crash mid-rewrite)
            LogHeader header;
            LogScanner.Result scan;
            RecoveryReport report;
            if (!storage.exists(name)) {
                header = new LogHeader(options.pageSize(), nonZero(random), random.nextLong(),
                        options.initialBase().txid(), options.initialBase().postApplyChecksum(),
                        options.initialBase().commitSize(), 1, options.clock().millis(), 1);
                file = createDurably(storage, name, header, options);
                scan = LogScanner.scan(file, header);
                report = new RecoveryReport(RecoveryReport.TailStatus.NEW_FILE, 0, LogHeader.SIZE, LogHeader.SIZE,
                        LogHeader.SIZE, 0);
            } else {
                file = storage.open(name);
                header = readHeader(file, location);
                if (header.pageSize() != options.pageSize()) {
                    throw new WriteBufferException(location, "write buffer " + location + " has page size "
                            + header.pageSize() + " but page size " + options.pageSize() + " was requested");
                }
                scan = LogScanner.scan(file, header,
                        options.faults().zeroTailOnReusedFile() ? 0 : header.staleEnd());
                String damagedCopy = null;
                if (scan.damage() != null && !options.faults().silentDamageTruncation()) {
                    if (options.recovery() != BufferRecovery.TRUNCATE_DAMAGED) {
                        throw DamagedBuffers.refusal(location, scan); // before any write: the file stays as it is
                    }
                    damagedCopy = DamagedBuffers.copyAside(storage, name, file, options.clock());
                }
                if (scan.fileSize() > scan.validEnd()) {
                    file.truncate(scan.validEnd());
                }
                // What a killed process left may still be only in the OS cache; make it as durable as new commits.
                // That includes the directory entry: an earlier rename (markSynced) whose directory sync failed
                // would otherwise be undone by a power loss after we acknowledge new commits.
                file.force();
                storage.syncDirectory();
                if (!options.faults().skipDirectoryEntrySync()) {
                    storage.syncDirectoryEntry(); // a creating run may have crashed before it synced the entry
                }
                report = new RecoveryReport(damagedCopy != null ? RecoveryReport.TailStatus.DAMAGE_RECOVERED
                        : publicStatus(scan.stop()), scan.transactions().size(), scan.validEnd(), scan.fileSize(),
                        scan.stopOffset(), scan.uncommittedPages(), damagedCopy);
            }
            return new WriteBuffer(storage, name, options, random, lock, file, header, scan, report);
        } catch (IOException | RuntimeException | Error e) {
            WriteBuffer.closeQuietly(file, e);
            WriteBuffer.closeQuietly(lock, e);
            throw e;
        }
    }

    private static long nonZero(RandomGenerator random) {
        long id;
        do {
            id = random.nextLong();
        } while (id == 0);
        return id;
    }

    /** Writes a header-only file under the temporary name, forces it, then renames it in. */
    private static LogFile createDurably(LogStorage storage, String name, LogHeader header,
            WriteBufferOptions options) throws IOException {
        String next = name + WriteBuffer.NEXT_SUFFIX;
        try (LogFile fresh = storage.create(next)) {
            fresh.write(0, header.encode());
            fresh.force();
        }
        storage.replace(next, name);
        storage.syncDirectory();
        // The directory itself may be new too (ltx4j's default one, or one made just before): its own entry must
        // last as well, or a power cut takes the buffer with every commit (docs/write-buffer-recovery.md).
        if (!options.faults().skipDirectoryEntrySync()) {
            storage.syncDirectoryEntry();
        }
        return storage.open(name);
    }

    private static LogHeader readHeader(LogFile file, String location) throws IOException {
        byte[] bytes = new byte[LogHeader.SIZE];
        int n = file.read(0, ByteBuffer.wrap(bytes));
        String problem = LogHeader.problem(bytes, n);
        if (problem != null) {
            throw BufferProbe.unusableHeader(location, problem);
        }
        return LogHeader.decode(bytes);
    }

    private static RecoveryReport.TailStatus publicStatus(LogScanner.Stop stop) {
        return switch (stop) {
            case CLEAN_END -> RecoveryReport.TailStatus.CLEAN_END;
            case TORN_TAIL -> RecoveryReport.TailStatus.TORN_TAIL;
            case CHECKSUM_MISMATCH -> RecoveryReport.TailStatus.CHECKSUM_MISMATCH;
            case INVALID_RECORD -> RecoveryReport.TailStatus.INVALID_RECORD;
        };
    }
}
