package dev.ltx4j.pagestore.replica;

import dev.ltx4j.ltx.Crc64;
import dev.ltx4j.pagestore.storage.ProcessLocks;
import dev.ltx4j.pagestore.storage.SecureFiles;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A persistent page cache on disk, bounded in bytes, so a restart does not start cold (docs/hydration.md). Pages
 * are content-addressed by their replica frame (file level, TXID range and size, frame offset), which never changes
 * its bytes, so entries stay valid across restarts without any check against the replica. Two files per database
 * ({@code <hash>.pages}: fixed-size page slots; {@code <hash>.index}: one 64-byte record per slot with the key,
 * the page's LTX page checksum and the record's own CRC), evicted in CLOCK order (an approximation of least
 * recently used). Crash safety without fsync: a torn or half-written record fails its CRC and is dropped at load,
 * and every page read back is checked against the checksum its record holds, so a slot whose data and record
 * disagree (a crash between the two writes, another writer, bit rot) is detected and not served. Thread-safe.
 */
public final class DiskPageCache implements LocalPageSource, Closeable {
    private static final Logger LOG = LoggerFactory.getLogger(DiskPageCache.class);
    private static final int RECORD = 64;
    private static final int MAGIC = 0x4C545843; // "LTXC"
    private static final int HEADER = 64;

    private record Key(int level, long minTxid, long maxTxid, long fileSize, long offset) {
        static Key of(RemotePage rp) {
            RemoteFile f = rp.file();
            return new Key(f.level(), f.minTxid(), f.maxTxid(), f.sizeBytes(), rp.offset());
        }
    }

    /** Counters for the status. */
    public record Stats(String path, long capacityBytes, long entries, long hits, long misses, long writes,
            long rejected, String disabled) {}

    private final Path dir;
    private final String base;
    private final long capacityBytes;
    private FileChannel lockChannel;
    private ProcessLocks.Reservation reserved;
    private FileLock lock;
    private FileChannel pages;
    private FileChannel index;
    private int pageSize;
    private int slots;
    private Key[] keys = new Key[0];
    private long[] sums = new long[0];
    private boolean[] referenced = new boolean[0];
    private final Map<Key, Integer> where = new HashMap<>();
    private int hand;
    private long lineage;
    private long hits;
    private long misses;
    private long writes;
    private long rejected;
    private String disabled;

    private DiskPageCache(Path dir, String base, long capacityBytes) {
        this.dir = dir;
        this.base = base;
        this.capacityBytes = capacityBytes;
    }

    /**
     * Opens (or creates) the cache of the database named by {@code identity} in {@code dir}. A cache held by
     * another process is not shared: this one is then disabled (reads go to the replica) and says why in its stats.
     */
    public static DiskPageCache open(Path dir, String identity, long capacityBytes) throws IOException {
        DiskPageCache c = new DiskPageCache(dir.toAbsolutePath(), hash(identity), capacityBytes);
        SecureFiles.createMissing(c.dir);
        Path lockPath = c.file(".lock");
        SecureFiles.checkExistingFile(lockPath);
        // Reserved before a descriptor is opened: closing one would free another owner's lock (ProcessLocks).
        c.reserved = ProcessLocks.reserve(lockPath);
        try {
            if (c.reserved != null) {
                c.lockChannel = FileChannel.open(lockPath, Set.of(StandardOpenOption.CREATE,
                        StandardOpenOption.WRITE), SecureFiles.ownerOnlyFile(lockPath));
                try {
                    c.lock = c.lockChannel.tryLock();
                } catch (OverlappingFileLockException e) {
                    c.lock = null;
                }
            }
            if (c.lock == null) {
                c.disabled = "in use by another process (or another open of this database)";
                LOG.warn("disk page cache {} is {}; this open reads without it", c.file(".pages"), c.disabled);
                return c;
            }
            c.pages = openPrivate(c.file(".pages"));
            c.index = openPrivate(c.file(".index"));
            c.load();
            return c;
        } catch (IOException | RuntimeException | Error e) {
            // A failed open lets the reservation go: kept, it would disable this cache until the JVM exits.
            c.close();
            throw e;
        }
    }

    private static FileChannel openPrivate(Path p) throws IOException {
        SecureFiles.checkExistingFile(p);
        return FileChannel.open(p, Set.of(StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE), SecureFiles.ownerOnlyFile(p));
    }

    private Path file(String suffix) {
        return dir.resolve(base + suffix);
    }

    private static String hash(String identity) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(identity.getBytes(StandardCharsets.UTF_8));
            return "ltx4j-cache-" + HexFormat.of().formatHex(d, 0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Reads the index written before a restart: every record whose CRC holds is an entry. */
    private void load() throws IOException {
        ByteBuffer h = ByteBuffer.allocate(HEADER);
        if (index.read(h, 0) < HEADER) {
            return;
        }
        h.flip();
        if (h.getInt() != MAGIC) {
            return;
        }
        int ps = h.getInt();
        int n = h.getInt();
        if (!isPageSize(ps) || n <= 0 || n != slotsFor(ps)) {
            return; // another bound or page size: start empty (format() truncates at the first write)
        }
        allocate(ps, n);
        ByteBuffer all = ByteBuffer.allocate(Math.min(n, 1 << 14) * RECORD);
        for (int first = 0; first < n; first += all.capacity() / RECORD) {
            all.clear();
            int count = Math.min(n - first, all.capacity() / RECORD);
            all.limit(count * RECORD);
            long pos = HEADER + (long) first * RECORD;
            while (all.hasRemaining() && index.read(all, pos + all.position()) >= 0) {
                // read on
            }
            all.flip();
            for (int i = 0; i < count && all.remaining() >= RECORD; i++) {
                byte[] rec = new byte[RECORD];
                all.get(rec);
                ByteBuffer r = ByteBuffer.wrap(rec);
                long crc = r.getLong(RECORD - 8);
                if (crc == 0 || crc != Crc64.checksum(rec, 0, RECORD - 8)) {
                    continue; // empty or torn
                }
                Key k = new Key(r.getInt(4), r.getLong(8), r.getLong(16), r.getLong(24), r.getLong(32));
                if (where.putIfAbsent(k, first + i) == null) {
                    keys[first + i] = k;
                    sums[first + i] = r.getLong(48);
                }
            }
        }
        LOG.debug("disk page cache {}: {} pages reused", file(".pages"), where.size());
    }

    private static boolean isPageSize(int ps) {
        return ps >= 512 && ps <= 65536 && (ps & (ps - 1)) == 0;
    }

    private int slotsFor(int ps) {
        return (int) Math.min(Integer.MAX_VALUE - 8, Math.max(0, capacityBytes - HEADER) / (ps + RECORD));
    }

    private void allocate(int ps, int n) {
        pageSize = ps;
        slots = n;
        keys = new Key[n];
        sums = new long[n];
        referenced = new boolean[n];
        where.clear();
        hand = 0;
    }

    /** Empties the cache for page size {@code ps}: truncates both files and writes a new header. */
    private void format(int ps) throws IOException {
        int n = slotsFor(ps);
        allocate(ps, n);
        index.truncate(0);
        pages.truncate(0);
        ByteBuffer h = ByteBuffer.allocate(HEADER);
        h.putInt(MAGIC).putInt(ps).putInt(n).flip();
        index.write(h, 0);
    }

    /** A source for readers of {@code ofLineage}: a new lineage (another history of the replica) empties the cache. */
    public synchronized LocalPageSource forLineage(long ofLineage) {
        if (ofLineage != lineage && pages != null) {
            lineage = ofLineage;
            try {
                if (pageSize != 0) {
                    format(pageSize);
                }
            } catch (IOException e) {
                disable("cannot empty it: " + e.getMessage());
            }
        }
        return this;
    }

    @Override
    public boolean read(DatabaseVersion v, long pgno, RemotePage rp, byte[] dst) {
        Key k = Key.of(rp);
        int slot;
        long want;
        FileChannel ch;
        int ps;
        synchronized (this) {
            Integer s = pages == null || rp.file().pageSize() != pageSize ? null : where.get(k);
            if (s == null) {
                misses++;
                return false;
            }
            slot = s;
            want = sums[slot];
            referenced[slot] = true;
            ch = pages;
            ps = pageSize;
        }
        try {
            ByteBuffer bb = ByteBuffer.wrap(dst, 0, ps);
            long pos = (long) slot * ps;
            while (bb.hasRemaining()) {
                if (ch.read(bb, pos + bb.position()) < 0) {
                    break;
                }
            }
            if (!bb.hasRemaining() && Crc64.pageChecksum(pgno, dst, 0, ps) == want) {
                synchronized (this) {
                    hits++;
                }
                return true;
            }
        } catch (IOException e) {
            // unreadable slot: treated as a torn one
        }
        synchronized (this) {
            rejected++;
            misses++;
            if (k.equals(keys[slot])) {
                where.remove(k);
                keys[slot] = null;
            }
        }
        return false;
    }

    @Override
    public synchronized void offer(long pgno, RemotePage rp, byte[] page) {
        if (pages == null || slotsFor(rp.file().pageSize()) == 0) {
            return;
        }
        Key k = Key.of(rp);
        Integer have = where.get(k);
        if (have != null) {
            referenced[have] = true;
            return;
        }
        try {
            if (rp.file().pageSize() != pageSize) {
                format(rp.file().pageSize());
            }
            int slot = victim();
            if (keys[slot] != null) {
                where.remove(keys[slot]);
                keys[slot] = null;
            }
            ByteBuffer data = ByteBuffer.wrap(page, 0, pageSize);
            long pos = (long) slot * pageSize;
            while (data.hasRemaining()) {
                pages.write(data, pos + data.position());
            }
            long sum = Crc64.pageChecksum(pgno, page, 0, pageSize);
            byte[] rec = new byte[RECORD];
            ByteBuffer r = ByteBuffer.wrap(rec);
            r.putInt(0, MAGIC).putInt(4, k.level()).putLong(8, k.minTxid()).putLong(16, k.maxTxid())
                    .putLong(24, k.fileSize()).putLong(32, k.offset()).putLong(40, pgno).putLong(48, sum);
            r.putLong(RECORD - 8, Crc64.checksum(rec, 0, RECORD - 8));
            ByteBuffer out = ByteBuffer.wrap(rec);
            long at = HEADER + (long) slot * RECORD;
            while (out.hasRemaining()) {
                index.write(out, at + out.position());
            }
            keys[slot] = k;
            sums[slot] = sum;
            referenced[slot] = true;
            where.put(k, slot);
            writes++;
        } catch (IOException e) {
            disable("a write failed: " + e.getMessage());
        }
    }

    /** CLOCK: the first slot from the hand that was not referenced since the hand last passed. */
    private int victim() {
        while (true) {
            int s = hand;
            hand = (hand + 1) % slots;
            if (keys[s] == null || !referenced[s]) {
                return s;
            }
            referenced[s] = false;
        }
    }

    private void disable(String why) {
        LOG.warn("disk page cache {} is disabled: {}", file(".pages"), why);
        disabled = why;
        closeFiles();
    }

    public synchronized Stats stats() {
        return new Stats(file(".pages").toString(), capacityBytes, where.size(), hits, misses, writes, rejected,
                disabled);
    }

    @Override
    public synchronized void close() {
        closeFiles();
        try {
            if (lock != null) {
                lock.release();
            }
            if (lockChannel != null) {
                lockChannel.close();
            }
        } catch (IOException e) {
            LOG.debug("closing disk page cache lock: {}", e.toString());
        } finally {
            if (reserved != null) reserved.release();
        }
    }

    private void closeFiles() {
        try {
            if (pages != null) {
                pages.close();
            }
            if (index != null) {
                index.close();
            }
        } catch (IOException e) {
            LOG.debug("closing disk page cache: {}", e.toString());
        }
        pages = null;
        index = null;
        where.clear();
    }
}
