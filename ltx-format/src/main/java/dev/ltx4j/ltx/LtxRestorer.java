package dev.ltx4j.ltx;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds SQLite database files from LTX files.
 *
 * <p>Database checksums are verified whenever the files track them (no NoChecksum flag): a snapshot's
 * post-apply value, and for each following file its pre-apply value (when its range directly follows the
 * previous one) and post-apply value. Litestream's files never track them; their file checksums are still
 * verified.
 */
public final class LtxRestorer {
    private LtxRestorer() {}

    /**
     * The state of a database after a restore or apply.
     *
     * @param pageSize page size in bytes
     * @param commit   database size in pages
     * @param minTxid  first TXID applied
     * @param maxTxid  TXID the database now reflects
     * @param checksum database checksum after the last file when every file tracked checksums, else 0
     */
    public record Result(int pageSize, long commit, long minTxid, long maxTxid, long checksum) {}

    /**
     * What a caller learns of, and adds to, the output's replacement: the temporary file as soon as it exists (to
     * delete it when the process is stopped), and a last step before the rename (after every file was applied and
     * verified and the data fsynced), e.g. removing the old database's {@code -wal}. Both default to nothing.
     */
    public interface Output {
        default void tempCreated(Path temp) {
        }

        default void beforeReplace(Path temp) throws IOException {
        }

        /**
         * Whether the restored database may replace a file at the output. False: the output did not exist when the
         * caller checked it, so it is created without replacing anything (a hard link, atomic), and a file that
         * appeared meanwhile (another restore's, an application's) is refused instead of overwritten.
         */
        default boolean replaces() {
            return true;
        }
    }

    /**
     * Rebuilds a database from a chain: a snapshot (MinTXID 1) followed by files whose TXID ranges extend it
     * (overlap allowed, gaps not). Pages 1..Commit are written, the lock page reads as zeros, and the file is
     * truncated to {@code Commit * PageSize}. The database is written to a temporary file in {@code out}'s
     * directory, fsynced and atomically renamed over {@code out}; on any error {@code out} is untouched.
     *
     * <p>A verified file that grows the database without some of its new pages leaves them as zeros, as read mode
     * serves them (SQLite never writes freelist leaves it allocated and freed again; the reference encodes only the
     * pages SQLite wrote): docs/time-travel.md, "Sparse growth files".
     *
     * @throws LtxFormatException if a file is malformed, the chain does not start with a snapshot, page sizes
     *                            differ, ranges leave a gap, a page no file wrote is not a freelist leaf of the
     *                            restored SQLite database (or the database is not a SQLite one), or a tracked
     *                            checksum does not match
     */
    public static Result restore(List<? extends LtxSource> chain, Path out) throws IOException {
        return restore(chain, out, new Output() { });
    }

    /**
     * As {@link #restore(List, Path)}. The temporary file is {@code <out>.ltx4j-restore-<digits>.tmp} (see
     * {@link #removeLeftovers}), created with the process's default permissions and locked until it is renamed; an
     * existing {@code out}'s POSIX permissions (and, where allowed, owner and group) are kept by the new file.
     */
    public static Result restore(List<? extends LtxSource> chain, Path out, Output output) throws IOException {
        if (chain.isEmpty()) {
            throw new IllegalArgumentException("restore needs at least a snapshot");
        }
        // Locked from its creation until after the rename or delete: another restore's cleanup never takes it.
        RestoreTemps.Temp temp = RestoreTemps.create(out);
        Path tmp = temp.path();
        FileChannel ch = temp.channel();
        output.tempCreated(tmp);
        boolean done = false;
        try {
            Result result;
            try {
                DatabaseWriter w = null;
                LtxHeader prev = null;
                for (LtxSource src : chain) {
                    try (InputStream in = src.open()) {
                        LtxDecoder d = new LtxDecoder(in, src.name());
                        LtxHeader h = d.header();
                        if (prev == null) {
                            if (!h.isSnapshot()) {
                                throw new LtxFormatException(src.name(), "header.minTxid",
                                        "a restore chain must start with a snapshot (MinTXID 1)");
                            }
                            RestoreTemps.checkSpace(tmp, out, h, src.name());
                            w = new DatabaseWriter(ch, h.pageSize(), 0, !h.noChecksum(), Ltx.CHECKSUM_FLAG);
                        } else {
                            if (h.pageSize() != prev.pageSize()) {
                                throw new LtxFormatException(src.name(), "header.pageSize", "page size "
                                        + h.pageSize() + " differs from the chain's " + prev.pageSize());
                            }
                            if (!LtxCompactor.isContiguous(prev.maxTxid(), h.minTxid(), h.maxTxid())) {
                                throw new LtxFormatException(src.name(), "header.minTxid", "TXIDs "
                                        + h.range() + " do not extend " + prev.range());
                            }
                        }
                        boolean follows = prev == null || h.minTxid() == prev.maxTxid() + 1;
                        w.apply(d, follows);
                        prev = h;
                    }
                }
                w.checkUnwritten();
                DatabaseWriter.force(ch);
                result = new Result(prev.pageSize(), w.commit, 1, prev.maxTxid(),
                        w.tracked ? w.sum.value() : 0);
            } catch (WriteFailure e) { // the disk, not the replica: say where, and that out is as it was
                throw new IOException("cannot write the restored database " + tmp + ": " + e.getMessage() + "; "
                        + out + " was not changed", e.getCause());
            }
            RestoreTemps.keepAttributes(out, tmp);
            output.beforeReplace(tmp);
            try {
                if (output.replaces()) {
                    moveAtomically(tmp, out);
                } else {
                    createAtomically(tmp, out);
                }
            } catch (FileAlreadyExistsException e) {
                throw new IOException("output " + out + " was created by another process during the restore (another"
                        + " restore, or an application): it was not replaced; restore again (with --force to replace"
                        + " it)", e);
            } catch (IOException e) { // the Output may have deleted out's old logs already: not "not changed"
                throw new IOException("cannot rename the restored database " + tmp + " over " + out + ": "
                        + e.getMessage() + "; " + out + " itself was not replaced", e);
            }
            done = true;
            return result;
        } finally {
            try {
                if (!done) {
                    try {
                        Files.deleteIfExists(tmp);
                    } catch (IOException e) {
                        // The error that stopped the restore is the one to report; the next restore removes tmp.
                    }
                }
            } finally {
                temp.close();
            }
        }
    }

    /**
     * Deletes the temporary files of earlier restores to {@code out} that no process is writing (the process was
     * killed, or stopped without removing its file): {@code <out>.ltx4j-restore-<digits>.tmp} beside {@code out}
     * that nobody holds locked. They are partial databases, never complete ones. Returns what it deleted.
     */
    public static List<Path> removeLeftovers(Path out) throws IOException {
        return RestoreTemps.removeLeftovers(out);
    }

    /**
     * The temporary files of restores to {@code out} being written now (locked by a live restore, in this process or
     * another).
     */
    public static List<Path> restoresInProgress(Path out) throws IOException {
        return RestoreTemps.inProgress(out);
    }

    /**
     * Applies one LTX file to an existing database file (created if missing). The file is verified completely
     * before the database is touched; a snapshot replaces the whole content. The database is truncated or
     * extended to {@code Commit * PageSize} and fsynced. Pages are written in place, so a crash while applying
     * can leave a mix of old and new pages; use {@link #restore} when that matters.
     *
     * @throws LtxFormatException if the file is malformed, the database size is not a multiple of the page
     *                            size, a page the file grew the database by without holding it is not a freelist
     *                            leaf of the result (as {@link #restore}; the pages are then written already), or a
     *                            tracked checksum does not match
     */
    public static Result apply(LtxSource file, Path db) throws IOException {
        try (InputStream in = file.open()) {
            LtxDecoder.verify(in, file.name());
        }
        try (FileChannel ch = FileChannel.open(db, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
                InputStream in = file.open()) {
            LtxDecoder d = new LtxDecoder(in, file.name());
            LtxHeader h = d.header();
            long size = ch.size();
            if (size % h.pageSize() != 0) {
                throw new LtxFormatException(file.name(), "header.pageSize", "database " + db + " has " + size
                        + " bytes, not a multiple of the page size " + h.pageSize());
            }
            long pages = size / h.pageSize();
            boolean tracked = !h.noChecksum();
            long start = Ltx.CHECKSUM_FLAG;
            if (h.isSnapshot()) {
                pages = 0;
            } else if (tracked) {
                start = DatabaseChecksum.of(ch, h.pageSize(), pages);
            }
            DatabaseWriter w = new DatabaseWriter(ch, h.pageSize(), pages, tracked, start);
            w.apply(d, true);
            w.checkUnwritten();
            ch.force(true);
            return new Result(h.pageSize(), w.commit, h.minTxid(), h.maxTxid(), tracked ? w.sum.value() : 0);
        }
    }

    /**
     * Gives {@code from}'s file the name {@code to} only if nothing has that name (a hard link, then {@code from}
     * removed); {@link FileAlreadyExistsException} otherwise. A file system without hard links falls back to a check
     * and a rename (not atomic).
     */
    private static void createAtomically(Path from, Path to) throws IOException {
        try {
            Files.createLink(to, from);
        } catch (FileAlreadyExistsException e) {
            throw e;
        } catch (UnsupportedOperationException | java.nio.file.FileSystemException e) {
            if (Files.exists(to, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                throw new FileAlreadyExistsException(to.toString());
            }
            moveAtomically(from, to);
            return;
        }
        syncDirectory(to);
        try {
            Files.delete(from);
        } catch (IOException e) {
            // The output is complete under its name: the temporary name left is removed by the next restore.
        }
    }

    private static void moveAtomically(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
        syncDirectory(to);
    }

    /** Persists a rename or link; directories cannot be opened for sync on every platform. */
    private static void syncDirectory(Path to) {
        try (FileChannel d = FileChannel.open(to.toAbsolutePath().getParent(), StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException e) {
            // Best effort only: the data itself is already synced.
        }
    }

    /** A write to the database file failed (a full disk, an I/O error): not the replica's fault. */
    private static final class WriteFailure extends IOException {
        WriteFailure(IOException cause) {
            super(cause.getMessage() != null ? cause.getMessage() : cause.toString(), cause);
        }
    }

    /** Writes decoded pages into a database file, keeping its size and (when tracked) its checksum current. */
    private static final class DatabaseWriter {
        final FileChannel ch;
        final int pageSize;
        final long lockPgno;
        boolean tracked;
        final DatabaseChecksum sum;
        final byte[] page;
        final byte[] old;
        final ByteBuffer pageBuf;
        final ByteBuffer oldBuf;
        final UnwrittenPages unwritten;
        long commit;

        DatabaseWriter(FileChannel ch, int pageSize, long commit, boolean tracked, long checksum) {
            this.ch = ch;
            this.pageSize = pageSize;
            this.lockPgno = Ltx.lockPgno(pageSize);
            this.commit = commit;
            this.tracked = tracked;
            this.sum = new DatabaseChecksum(pageSize).reset(checksum);
            this.page = new byte[pageSize];
            this.old = new byte[pageSize];
            this.pageBuf = ByteBuffer.wrap(page);
            this.oldBuf = ByteBuffer.wrap(old);
            this.unwritten = new UnwrittenPages(pageSize);
        }

        private void write(ByteBuffer b, long pos) throws WriteFailure {
            try {
                long start = pos - b.position();
                while (b.hasRemaining()) {
                    ch.write(b, start + b.position());
                }
            } catch (IOException e) {
                throw new WriteFailure(e);
            }
        }

        static void force(FileChannel ch) throws WriteFailure {
            try {
                ch.force(true);
            } catch (IOException e) {
                throw new WriteFailure(e);
            }
        }

        /**
         * @param follows the file's range directly follows the state on disk, so its pre-apply checksum can be
         *                checked against it
         */
        void apply(LtxDecoder d, boolean follows) throws IOException {
            LtxHeader h = d.header();
            String name = d.fileName();
            boolean track = tracked && !h.noChecksum();
            if (track && follows && !h.isSnapshot() && h.preApplyChecksum() != sum.value()) {
                throw new LtxFormatException(name, "header.preApplyChecksum", String.format(
                        "pre-apply checksum mismatch: database %016x, file %016x", sum.value(), h.preApplyChecksum()));
            }
            long newCommit = h.commitPages();
            long grown = 0;
            long nextNew = commit + 1; // the first new page not yet seen: pages ascend, so those skipped are absent
            List<long[]> absent = new ArrayList<>();
            long pgno;
            while ((pgno = d.readPage(page, 0)) != 0) {
                if (track && pgno <= commit) {
                    DatabaseChecksum.readPage(ch, oldBuf, (pgno - 1) * pageSize);
                    sum.toggle(pgno, old, 0);
                }
                if (track) {
                    sum.toggle(pgno, page, 0);
                }
                if (pgno > commit) {
                    grown++;
                    if (pgno > nextNew) {
                        absent.add(new long[] {nextNew, pgno - 1});
                    }
                    nextNew = pgno + 1;
                } else if (!unwritten.isEmpty()) {
                    unwritten.written(pgno);
                }
                pageBuf.clear();
                write(pageBuf, (pgno - 1) * pageSize);
            }
            // readPage returned 0: the whole file verified (its checksum matched) before any of this is decided.
            if (nextNew <= newCommit) {
                absent.add(new long[] {nextNew, newCommit});
            }
            long expected = newCommit - commit - (lockPgno > commit && lockPgno <= newCommit ? 1 : 0);
            UnwrittenPages.Growth sparse = null;
            if (newCommit > commit && grown != expected) {
                sparse = new UnwrittenPages.Growth(name, commit, newCommit, grown);
                sparse(name, sparse, absent, track);
            }
            if (track) {
                for (long p = newCommit + 1; p <= commit; p++) {
                    if (p != lockPgno) {
                        DatabaseChecksum.readPage(ch, oldBuf, (p - 1) * pageSize);
                        sum.toggle(p, old, 0);
                    }
                }
            }
            try {
                ch.truncate(newCommit * pageSize);
            } catch (IOException e) {
                throw new WriteFailure(e);
            }
            if (ch.size() < newCommit * pageSize) {
                // Extend over a trailing lock page or unwritten pages so the file has exactly Commit pages.
                write(ByteBuffer.wrap(new byte[1]), newCommit * pageSize - 1);
            }
            commit = newCommit;
            unwritten.truncate(newCommit);
            LtxSummary s = d.summary();
            if (track && s.postApplyChecksum() != sum.value()) {
                throw new LtxFormatException(name, "trailer.postApplyChecksum", String.format(
                        "post-apply checksum mismatch: database %016x, file %016x", sum.value(), s.postApplyChecksum())
                        + (sparse == null ? "" : " (" + sparse.text() + ": as zeros, the absent pages do not give"
                        + " the checksum its writer computed)"));
            }
            // Checksums cannot be followed through a file that does not track them.
            tracked = track;
        }

        /**
         * A verified file grew the database without some of its new pages: they stay zeros, as read mode serves them
         * (docs/time-travel.md, "Sparse growth files"), and count as zeros in a tracked checksum. Only a SQLite
         * database can vouch for them (its freelist, checked at the end); other content is refused here, as before.
         */
        private void sparse(String name, UnwrittenPages.Growth growth, List<long[]> absent, boolean track)
                throws IOException {
            if (!UnwrittenPages.isSqlite(ch)) {
                throw new LtxFormatException(name, "page", growth.text());
            }
            // Every absent page must end a free leaf, and page 1 (written by every growth) counts them: an inflated
            // Commit is refused here, before zeros are checksummed or the file extended over it.
            long count = 0;
            for (long[] r : absent) {
                count += r[1] - r[0] + 1 - (r[0] <= lockPgno && lockPgno <= r[1] ? 1 : 0);
            }
            long free = UnwrittenPages.freeCount(ch);
            if (count > free) {
                throw new LtxFormatException(name, "page", growth.text() + ", and its page 1 counts only " + free
                        + " free pages for the " + count + " absent ones: the file's Commit claims pages it lacks");
            }
            byte[] zeros = track ? new byte[pageSize] : null;
            for (long[] r : absent) {
                unwritten.add(r[0], r[1], growth);
                for (long p = r[0]; track && p <= r[1]; p++) {
                    sum.toggle(p, zeros, 0); // the lock page is ignored by toggle
                }
            }
        }

        /** Refuses the state on disk when a page no file wrote is not a free page of it (UnwrittenPages). */
        void checkUnwritten() throws IOException {
            unwritten.checkFreelist(ch, pageSize, commit);
        }
    }
}
