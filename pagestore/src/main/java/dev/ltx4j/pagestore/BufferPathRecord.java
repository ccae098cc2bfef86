package dev.ltx4j.pagestore;

import dev.ltx4j.pagestore.internal.LogHeader;
import dev.ltx4j.pagestore.internal.LogScanner;
import dev.ltx4j.pagestore.storage.LogFile;
import dev.ltx4j.pagestore.storage.SecureFiles;
import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
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
 */
final class BufferPathRecord {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(BufferPathRecord.class);

    private BufferPathRecord() {}

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
        Properties last = read(record);
        String lastReal = last == null ? null : last.getProperty("real");
        Path now = realTarget(configured);
        if (lastReal == null || now == null || Path.of(lastReal).equals(now)) {
            return;
        }
        Path previous = Path.of(lastReal);
        if (!Files.exists(previous)) {
            LOG.info("buffer path {} now leads to {}; the last open through it on this host used {}, which is not"
                    + " there now (deleted, or on a volume not mounted)", configured, now, previous);
            return;
        }
        int held = heldTransactions(previous);
        if (held == 0) {
            return; // synced and closed: nothing is hidden by using the new target
        }
        String what = held > 0 ? held + " committed transaction(s)" : "bytes past its header (it could not be read"
                + " to count its transactions)";
        throw new BufferPathException(configured.toString(), "buffer path " + configured + " now leads to " + now
                + linkNote(configured) + ", but the last write-mode open through it on this host used write buffer "
                + previous + " (writer ID " + last.getProperty("writer", "?") + "), which still holds " + what
                + " that may not be on the replica yet; opening " + now + " would hide them"
                + " for this run (they come back as a conflict when " + previous + " is opened again). Point the link"
                + " back so that " + configured + " leads to " + previous + " and open again (its commits sync), or"
                + " open once with buffer_path (LITESTREAM_BUFFER_PATH) " + previous + "; if its transactions are"
                + " not wanted, delete " + previous + " first", null);
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
        String writer = Long.toHexString(writerId);
        Properties last = recorded ? read(record) : null;
        if (last != null && now.toString().equals(last.getProperty("real"))
                && writer.equals(last.getProperty("writer"))) {
            return;
        }
        Properties p = new Properties();
        p.setProperty("path", configured.toString());
        p.setProperty("real", now.toString());
        p.setProperty("writer", writer);
        try {
            SecureFiles.privateDirectory(record.getParent(), true);
            Path tmp = record.resolveSibling(record.getFileName() + ".tmp");
            try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
                p.store(w, "ltx4j: the write buffer this path led to at its last open");
            }
            Files.move(tmp, record, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException e) {
            LOG.debug("cannot record what buffer path {} leads to in {}: {}", configured, record, e.toString());
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

    /** The buffer file {@code configured} leads to now: its directory with every link resolved, and its name. */
    private static Path realTarget(Path configured) {
        try {
            return configured.getParent().toRealPath().resolve(configured.getFileName());
        } catch (IOException | RuntimeException e) {
            return null;
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

    /** The committed transactions buffer {@code file} holds (a read-only scan, no lock), or -1 if unreadable. */
    private static int heldTransactions(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            if (ch.size() <= LogHeader.SIZE) {
                return 0;
            }
            byte[] bytes = new byte[LogHeader.SIZE];
            ByteBuffer b = ByteBuffer.wrap(bytes);
            while (b.hasRemaining() && ch.read(b, b.position()) > 0) {
                // reads the header whole
            }
            if (LogHeader.problem(bytes, b.position()) != null) {
                return -1;
            }
            return LogScanner.scan(new ReadOnlyLogFile(ch), LogHeader.decode(bytes)).transactions().size();
        } catch (IOException | RuntimeException e) {
            return -1;
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

    private static Properties read(Path record) {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(record, StandardCharsets.UTF_8)) {
            p.load(r);
            return p;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}
