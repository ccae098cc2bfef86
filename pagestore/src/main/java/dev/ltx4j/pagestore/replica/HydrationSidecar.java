package dev.ltx4j.pagestore.replica;

import dev.ltx4j.ltx.Crc64;
import dev.ltx4j.pagestore.storage.SecureFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * The small file next to a hydrated database ({@code <file>.hydration}) that says which state the file holds: its
 * TXID and LTX database checksum, page size and page count, and the replica file that ended at that TXID (the
 * anchor, checked again after a restart). Written only after the file is complete and synced, by an atomic rename,
 * and removed before the file is changed again, so a sidecar that parses always describes the file (a crash in
 * between leaves no sidecar and the file is rebuilt). Its own CRC-64 line makes a damaged sidecar a parse failure.
 *
 * @param anchor the anchor's level, min and max TXID, {@code level/min/max} in decimal (empty: not known)
 */
public record HydrationSidecar(long txid, long checksum, int pageSize, long commit, String anchor) {
    static final String MAGIC = "ltx4j-hydration 1";

    /** The sidecar of {@code file}. */
    public static Path of(Path file) {
        return file.resolveSibling(file.getFileName() + ".hydration");
    }

    String body() {
        return MAGIC + "\ntxid=" + txid + "\nchecksum=" + Long.toUnsignedString(checksum) + "\npage_size=" + pageSize
                + "\ncommit=" + commit + "\nanchor=" + anchor + "\n";
    }

    /** Writes the sidecar of {@code file} durably (temp file, fsync, rename, directory fsync). */
    public void write(Path file) throws IOException {
        Path target = of(file);
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        String body = body();
        String text = body + "crc=" + Long.toUnsignedString(Crc64.checksum(body.getBytes(StandardCharsets.UTF_8)))
                + "\n";
        try (FileChannel ch = FileChannel.open(tmp, Set.of(StandardOpenOption.CREATE_NEW,
                StandardOpenOption.WRITE), SecureFiles.ownerOnlyFile(tmp))) {
            ByteBuffer bb = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
            while (bb.hasRemaining()) {
                ch.write(bb);
            }
            ch.force(true);
        }
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        }
        syncDirectory(target.getParent());
    }

    /** Removes the sidecar of {@code file} durably: from now on the file is not trusted after a restart. */
    public static void remove(Path file) throws IOException {
        if (Files.deleteIfExists(of(file))) {
            syncDirectory(file.toAbsolutePath().getParent());
        }
    }

    /**
     * Reads the sidecar of {@code file}.
     *
     * @return the sidecar, or null when there is none
     * @throws IOException naming what is wrong when it exists but does not parse (damaged, foreign, truncated)
     */
    public static HydrationSidecar read(Path file) throws IOException {
        Path p = of(file);
        byte[] raw;
        try {
            SecureFiles.checkExistingFile(p);
            raw = Files.readAllBytes(p);
        } catch (NoSuchFileException e) {
            return null;
        }
        if (raw.length > 4096) {
            throw new IOException("hydration sidecar " + p + " is " + raw.length + " bytes, not a sidecar");
        }
        String text = new String(raw, StandardCharsets.UTF_8);
        int crcAt = text.lastIndexOf("crc=");
        if (!text.startsWith(MAGIC + "\n") || crcAt < 0 || !text.endsWith("\n")) {
            throw new IOException("hydration sidecar " + p + " is damaged or not an ltx4j sidecar");
        }
        String body = text.substring(0, crcAt);
        try {
            long crc = Long.parseUnsignedLong(text.substring(crcAt + 4, text.length() - 1));
            if (crc != Crc64.checksum(body.getBytes(StandardCharsets.UTF_8))) {
                throw new IOException("hydration sidecar " + p + " fails its checksum (damaged)");
            }
            Map<String, String> kv = new HashMap<>();
            for (String line : body.split("\n")) {
                int eq = line.indexOf('=');
                if (eq > 0) {
                    kv.put(line.substring(0, eq), line.substring(eq + 1));
                }
            }
            return new HydrationSidecar(Long.parseLong(kv.get("txid")), Long.parseUnsignedLong(kv.get("checksum")),
                    Integer.parseInt(kv.get("page_size")), Long.parseLong(kv.get("commit")),
                    kv.getOrDefault("anchor", ""));
        } catch (RuntimeException e) {
            throw new IOException("hydration sidecar " + p + " is damaged: " + e, e);
        }
    }

    static void syncDirectory(Path dir) {
        if (dir == null) {
            return;
        }
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // Not every platform can open a directory; the rename is still atomic.
        }
    }

    /** {@code level/min/max} of a file of {@code target} that ends at its TXID, or "" when none is referenced. */
    static String anchorOf(DatabaseVersion target) {
        RemoteFile best = null;
        for (long p = 1; p <= target.commit(); p++) {
            if (target.pages().get(p) instanceof RemotePage rp && rp.file().maxTxid() == target.txid()
                    && (best == null || Long.compareUnsigned(rp.file().minTxid(), best.minTxid()) > 0)) {
                best = rp.file();
                break;
            }
        }
        return best == null ? "" : best.level() + "/" + best.minTxid() + "/" + best.maxTxid();
    }
}
