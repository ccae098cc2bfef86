package dev.ltx4j.pagestore;

import dev.ltx4j.pagestore.internal.LogHeader;
import dev.ltx4j.pagestore.internal.LogScanner;
import dev.ltx4j.pagestore.storage.LogFile;
import dev.ltx4j.pagestore.storage.SecureFiles;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Properties;

/**
 * What a buffer path led to the last time a write buffer was opened through it on this host, so that a path whose
 * symbolic link was repointed between runs is not silently opened on another file while the one it led to still
 * holds transactions (docs/write-buffer-recovery.md, "A buffer path that leads elsewhere"). Kept for paths that
 * pass through a symbolic link, one small file per path in {@code <java.io.tmpdir>/ltx4j-<user>/buffer-paths/};
 * best effort: a record that cannot be read or written changes nothing (the check then stays silent, as before).
 * The record's place is in a shared temporary directory, so a record is trusted only when it and its two directories
 * are this user's alone, and an open is refused only on evidence read from the old target itself: a valid buffer
 * header with the recorded writer ID and transactions past it (the invariants are in that section of the doc).
 */
final class BufferPathRecord {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(BufferPathRecord.class);
    /** A record is a few hundred bytes; anything longer is not one of ours. */
    private static final int MAX_RECORD = 16 * 1024;

    private BufferPathRecord() {}

    /** What the last open through a path used: the buffer file it led to and that buffer's writer ID. */
    private record Last(Path real, long writer) {}

    /** What a buffer file's header says, or why it could not be read (then {@code header} is null). */
    private record Held(LogHeader header, int transactions, String problem) {}

    /**
     * Refuses to open {@code configured} (absolute) when the last open through it on this host used another file that
     * still holds transactions beyond its header: its commits would be hidden for this run and come back as a
     * conflict when that file is opened again.
     */
    static void check(Path configured) throws BufferPathException {
        Path record = recordFile(configured);
        if (record == null || !Files.exists(record, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        Last last = read(configured, record);
        Path now = realTarget(configured);
        if (last == null || now == null || last.real().equals(now)) {
            return;
        }
        Path previous = last.real();
        if (!Files.exists(previous, LinkOption.NOFOLLOW_LINKS)) {
            LOG.info("buffer path {} now leads to {}; the last open through it on this host used {}, which is not"
                    + " there now (deleted, or on a volume not mounted)", configured, now, previous);
            return;
        }
        if (!Files.isRegularFile(previous, LinkOption.NOFOLLOW_LINKS)) {
            LOG.info("buffer path {} now leads to {}; the last open through it on this host used {}, which is no"
                    + " longer a regular file: not a write buffer, nothing to keep", configured, now, previous);
            return;
        }
        if (sameFile(previous, now)) {
            return; // a hard link, or a mount seen by two paths: the same buffer
        }
        Held held = held(previous);
        if (held.header() == null) {
            LOG.info("buffer path {} now leads to {}; the last open through it on this host used {}, which cannot"
                    + " be checked for held transactions ({}); opening {}", configured, now, previous,
                    held.problem(), now);
            return;
        }
        if (held.header().writerId() != last.writer()) {
            LOG.info("buffer path {} now leads to {}; {}, used by the last open through it on this host, now holds"
                    + " another write buffer (writer ID {}, recorded {}); opening {}", configured, now, previous,
                    Long.toHexString(held.header().writerId()), Long.toHexString(last.writer()), now);
            return;
        }
        if (held.transactions() == 0) {
            return; // synced and closed: nothing is hidden by using the new target
        }
        if (Files.isRegularFile(now, LinkOption.NOFOLLOW_LINKS)) {
            Held target = held(now);
            if (target.header() != null && target.header().writerId() == last.writer()) {
                LOG.info("buffer path {} now leads to {}, a copy of {} (same writer ID {}); opening it", configured,
                        now, previous, Long.toHexString(last.writer()));
                return;
            }
        }
        throw new BufferPathException(configured.toString(), "buffer path " + configured + " now leads to " + now
                + linkNote(configured) + ", but the last write-mode open through it on this host used write buffer "
                + previous + " (writer ID " + Long.toHexString(last.writer()) + "), which still holds "
                + held.transactions() + " committed transaction(s) that may not be on the replica yet; opening "
                + now + " would hide them for this run (they come back as a conflict when " + previous + " is opened"
                + " again). Point the link back so that " + configured + " leads to " + previous + " and open again"
                + " (its commits sync), or open once with buffer_path (LITESTREAM_BUFFER_PATH) " + previous + "; if"
                + " its transactions are not wanted, delete " + previous + " first", null);
    }

    /** Records what {@code configured} leads to now, if it passes through a symbolic link or was recorded before. */
    static void remember(Path configured, long writerId) {
        Path record = recordFile(configured);
        Path now = realTarget(configured);
        if (record == null || now == null) {
            return;
        }
        boolean recorded = Files.exists(record, LinkOption.NOFOLLOW_LINKS);
        if (!recorded && now.equals(configured.normalize())) {
            return; // no link on the way: the path cannot lead elsewhere by a link's change
        }
        Last last = recorded ? read(configured, record) : null;
        if (last != null && now.equals(last.real()) && last.writer() == writerId) {
            return;
        }
        Properties p = new Properties();
        p.setProperty("path", configured.toString());
        p.setProperty("real", now.toString());
        p.setProperty("writer", Long.toHexString(writerId));
        Path tmp = null;
        try {
            Path dir = record.getParent();
            SecureFiles.privateDirectory(dir.getParent(), false); // ltx4j-<user>: ours alone, or no record
            SecureFiles.privateDirectory(dir, true);
            tmp = SecureFiles.createPrivateTempFile(dir, record.getFileName().toString(), ".tmp");
            try (OutputStream out = Files.newOutputStream(tmp, LinkOption.NOFOLLOW_LINKS)) {
                p.store(out, "ltx4j: the write buffer this path led to at its last open");
            }
            Files.move(tmp, record, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            tmp = null;
        } catch (IOException | RuntimeException e) {
            LOG.debug("cannot record what buffer path {} leads to in {}: {}", configured, record, e.toString());
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException e) {
                    // best effort, as the record itself
                }
            }
        }
    }

    /** The record of {@code configured}, or null when there is no place for records. */
    static Path recordFile(Path configured) {
        try {
            String user = System.getProperty("user.name");
            user = user == null || user.isBlank() ? "user" : user.replaceAll("[^A-Za-z0-9._-]", "_");
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest(configured.normalize().toString().getBytes(StandardCharsets.UTF_8));
            return Path.of(System.getProperty("java.io.tmpdir")).resolve("ltx4j-" + user).resolve("buffer-paths")
                    .resolve(HexFormat.of().formatHex(digest, 0, 16) + ".path");
        } catch (NoSuchAlgorithmException | RuntimeException e) {
            return null;
        }
    }

    /**
     * The record, if it can be trusted: {@code ltx4j-<user>}, {@code buffer-paths} and the record are this user's
     * alone (not links, not writable by others), the record names an absolute path and a writer ID. Another local
     * user can create {@code ltx4j-<user>} in a shared temporary directory first: anything they could have written
     * is ignored. Null (logged) otherwise.
     */
    private static Last read(Path configured, Path record) {
        Properties p = new Properties();
        try {
            SecureFiles.checkOwnedExisting(record.getParent().getParent(), true);
            SecureFiles.checkOwnedExisting(record.getParent(), true);
            SecureFiles.checkOwnedExisting(record, false);
            try (InputStream in = Files.newInputStream(record, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
                byte[] bytes = in.readNBytes(MAX_RECORD + 1);
                if (bytes.length > MAX_RECORD) {
                    throw new IOException("longer than " + MAX_RECORD + " bytes");
                }
                p.load(new java.io.StringReader(new String(bytes, StandardCharsets.UTF_8)));
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("buffer path {}: record {} ignored: {}", configured, record, e.getMessage());
            return null;
        }
        String real = p.getProperty("real");
        String writer = p.getProperty("writer");
        try {
            if (real == null || writer == null || real.chars().anyMatch(Character::isISOControl)) {
                throw new IllegalArgumentException("no real path or no writer ID");
            }
            Path path = Path.of(real);
            if (!path.isAbsolute()) {
                throw new IllegalArgumentException("real path is not absolute");
            }
            return new Last(path.normalize(), Long.parseUnsignedLong(writer, 16));
        } catch (RuntimeException e) {
            LOG.info("buffer path {}: record {} is damaged ({}); not checked for a repointed link this time",
                    configured, record, e.getMessage());
            return null;
        }
    }

    /** The buffer file {@code configured} leads to now: its directory with every link resolved, and its name. */
    private static Path realTarget(Path configured) {
        try {
            return configured.getParent().toRealPath().resolve(configured.getFileName());
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static boolean sameFile(Path a, Path b) {
        try {
            return Files.exists(b, LinkOption.NOFOLLOW_LINKS) && Files.isSameFile(a, b);
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** " (through symbolic link L, now to T)" for the first link on the way, or "". */
    private static String linkNote(Path configured) {
        Path p = configured.getRoot();
        for (Path part : configured.normalize()) {
            p = p == null ? part : p.resolve(part);
            if (Files.isSymbolicLink(p)) {
                try {
                    return " (through symbolic link " + p + ", now to " + Files.readSymbolicLink(p) + ")";
                } catch (IOException | RuntimeException e) {
                    return " (through symbolic link " + p + ")";
                }
            }
        }
        return "";
    }

    /**
     * The header of buffer {@code file} (a regular file, checked by the caller) and the committed transactions past
     * it (a read-only scan, no lock), or why they could not be read.
     */
    private static Held held(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            if (!Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).isRegularFile()) {
                return new Held(null, 0, "not a regular file");
            }
            byte[] bytes = new byte[LogHeader.SIZE];
            ByteBuffer b = ByteBuffer.wrap(bytes);
            while (b.hasRemaining() && ch.read(b, b.position()) > 0) {
                // reads the header whole
            }
            String problem = LogHeader.problem(bytes, b.position());
            if (problem != null) {
                return new Held(null, 0, problem);
            }
            LogHeader header = LogHeader.decode(bytes);
            if (ch.size() <= LogHeader.SIZE) {
                return new Held(header, 0, null);
            }
            return new Held(header, LogScanner.scan(new ReadOnlyLogFile(ch), header).transactions().size(), null);
        } catch (IOException | RuntimeException e) {
            return new Held(null, 0, e.toString());
        }
    }

    /** A buffer file opened for reading: enough for {@link LogScanner}. */
    private record ReadOnlyLogFile(FileChannel ch) implements LogFile {
        @Override
        public int read(long position, ByteBuffer dst) throws IOException {
            int total = 0;
            while (dst.hasRemaining()) {
                int n = ch.read(dst, position + total);
                if (n < 0) {
                    break;
                }
                total += n;
            }
            return total;
        }

        @Override
        public void write(long position, ByteBuffer src) throws IOException {
            throw new IOException("read only");
        }

        @Override
        public long size() throws IOException {
            return ch.size();
        }

        @Override
        public void truncate(long size) throws IOException {
            throw new IOException("read only");
        }

        @Override
        public void force() throws IOException {
            throw new IOException("read only");
        }

        @Override
        public void close() {
            // the channel is the caller's
        }
    }
}
