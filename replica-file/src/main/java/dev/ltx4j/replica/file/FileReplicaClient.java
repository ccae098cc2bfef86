package dev.ltx4j.replica.file;

import static dev.ltx4j.replica.support.ReplicaArguments.checkLevel;
import static dev.ltx4j.replica.support.ReplicaArguments.checkRead;

import dev.ltx4j.ltx.LtxHeader;
import dev.ltx4j.ltx.TxidRange;
import dev.ltx4j.replica.LtxBody;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaAlreadyExistsException;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaException;
import dev.ltx4j.replica.ReplicaNotFoundException;
import dev.ltx4j.replica.ReplicaOutcomeUnknownException;
import dev.ltx4j.replica.ReplicaPermanentException;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A replica in a directory, laid out exactly like Litestream's file backend:
 * {@code <root>/ltx/<level decimal>/<min %016x>-<max %016x>.ltx}, with each file's modification time set to its LTX
 * header timestamp (Litestream reads {@code createdAt} from the mtime). Works on any {@link java.nio.file.FileSystem}
 * (the default one, or an in-memory one such as jimfs in tests).
 *
 * <p><b>Create-if-absent.</b> {@link #createFile} writes a temp file in the level directory (named
 * {@code .<name>.<millis>-<n>.tmp}, which no listing takes for an LTX file), forces it to disk, sets its mtime, and
 * publishes it with {@link Files#createLink}, which fails atomically when the name exists; then it removes the
 * temp name and forces the directory. A file is therefore never visible partially, and of concurrent creators of
 * one name exactly one wins. Where the file system has no hard links the name is published by a move without
 * replacement under an exclusive lock (in-process lock plus a lock file in the level directory).
 *
 * <p><b>Crash leftovers.</b> Temp files older than {@link #STALE_TEMP_AGE} (by the time encoded in their name,
 * against the injected clock) are removed the first time this client writes to their level; {@link #deleteAll}
 * removes everything.
 *
 * <p>Errors: a missing file is {@link ReplicaNotFoundException}; permission problems and read-only file systems
 * are {@link ReplicaPermanentException} naming the path; other I/O failures are transient.
 */
public final class FileReplicaClient implements ReplicaClient {

    /** Temp files older than this are leftovers of a crashed writer. */
    public static final Duration STALE_TEMP_AGE = Duration.ofHours(1);

    private static final String TEMP_SUFFIX = ".tmp";
    private static final String LOCK_FILE = ".ltx4j-create.lock";
    private static final Map<Path, ReentrantLock> PUBLISH_LOCKS = new ConcurrentHashMap<>();
    /** Directories whose file system has no hard links (probed once each): creates publish by the locked move. */
    private static final Set<Path> LINKLESS_DIRS = ConcurrentHashMap.newKeySet();
    private static final String LINK_PROBE = "ltx4j-link-probe";

    private final Path root;
    private final Clock clock;
    private final AtomicLong tempCounter = new AtomicLong();
    private final Set<Integer> sweptLevels = ConcurrentHashMap.newKeySet();
    private final long instanceTag;

    /** A client rooted at {@code root}, using the system clock for temp-file ages. */
    public FileReplicaClient(Path root) {
        this(root, Clock.systemUTC());
    }

    /** A client rooted at {@code root}; {@code clock} dates temp files and decides when leftovers are stale. */
    public FileReplicaClient(Path root, Clock clock) {
        this.root = Objects.requireNonNull(root, "root").toAbsolutePath().normalize();
        this.clock = Objects.requireNonNull(clock, "clock");
        // Distinguishes temp names of clients in different processes that share a clock millisecond.
        this.instanceTag = System.identityHashCode(this) ^ ProcessHandle.current().pid() << 32;
    }

    /** The replica root directory. */
    public Path root() {
        return root;
    }

    /** The directory holding one level's files: {@code <root>/ltx/<level>}. */
    public Path levelDir(int level) throws ReplicaPermanentException {
        checkLevel("file", level);
        return root.resolve("ltx").resolve(Integer.toString(level));
    }

    /** Where a file lives: {@code <root>/ltx/<level>/<min>-<max>.ltx}. */
    public Path filePath(int level, long minTxid, long maxTxid) throws ReplicaPermanentException {
        return levelDir(level).resolve(new TxidRange(minTxid, maxTxid).filename());
    }

    @Override
    public String type() {
        return "file";
    }

    @Override
    public boolean holdsLitestreamV3Generations() throws ReplicaException {
        Path generations = root.resolve("generations");
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(generations)) {
            for (Path entry : entries) { // generations/<16 hex>/: another file there is not a v0.3 replica
                if (dev.ltx4j.replica.support.LitestreamV3Keys.isGenerationName(entry.getFileName().toString())
                        && Files.isDirectory(entry)) {
                    return true;
                }
            }
            return false;
        } catch (NoSuchFileException | java.nio.file.NotDirectoryException e) {
            return false;
        } catch (IOException e) {
            throw FileErrors.map("list", generations, e);
        }
    }

    @Override
    public List<LtxFileInfo> listFiles(int level, long seekTxid, boolean useMetadata) throws ReplicaException {
        Path dir = levelDir(level);
        DirectorySyncs.settle(dir);
        List<LtxFileInfo> files = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path entry : entries) {
                TxidRange range = TxidRange.parseFilename(entry.getFileName().toString()).orElse(null);
                if (range == null || Long.compareUnsigned(range.minTxid(), seekTxid) < 0) {
                    continue;
                }
                BasicFileAttributes attrs;
                try {
                    attrs = Files.readAttributes(entry, BasicFileAttributes.class);
                } catch (NoSuchFileException vanished) {
                    continue; // deleted while we listed
                }
                if (!attrs.isRegularFile()) {
                    continue;
                }
                files.add(new LtxFileInfo(level, range.minTxid(), range.maxTxid(), attrs.size(),
                        attrs.lastModifiedTime().toInstant()));
            }
        } catch (NoSuchFileException e) {
            return List.of();
        } catch (IOException e) {
            throw FileErrors.map("list", dir, e);
        }
        files.sort(Comparator.comparing(LtxFileInfo::range));
        return List.copyOf(files);
    }

    @Override
    public InputStream openFile(int level, long minTxid, long maxTxid, long offset, long length) throws ReplicaException {
        checkRead("file", level, minTxid, maxTxid, offset, length);
        Path file = filePath(level, minTxid, maxTxid);
        DirectorySyncs.settle(file.getParent());
        SeekableByteChannel channel;
        try {
            channel = Files.newByteChannel(file, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new ReplicaNotFoundException("no such LTX file: " + file, e);
        } catch (IOException e) {
            throw FileErrors.map("open", file, e);
        }
        try {
            if (offset > 0) {
                UninterruptedInputStream.seek(channel, offset);
            }
        } catch (IOException e) {
            closeQuietly(channel);
            throw FileErrors.map("seek", file, e);
        }
        InputStream in = new UninterruptedInputStream(Channels.newInputStream(channel), file);
        return length == 0 ? in : new BoundedInputStream(in, length);
    }

    @Override
    public LtxFileInfo createFile(int level, long minTxid, long maxTxid, LtxBody body) throws ReplicaException {
        Path target = filePath(level, minTxid, maxTxid);
        String name = "L" + level + "/" + target.getFileName();
        LtxHeader header = body.peekHeader(name);
        DirectorySyncs.settle(target.getParent());
        if (Files.exists(target)) {
            throw new ReplicaAlreadyExistsException(name + " already exists: " + target);
        }
        Path dir = target.getParent();
        ensureDirectory(dir);
        DirectorySyncs.settle(dir); // a new level directory's entry (or an ancestor's) that could not be synced
        sweepStaleTemps(level, dir);

        Path temp = dir.resolve("." + target.getFileName() + "." + clock.millis() + "-"
                + Long.toHexString(instanceTag) + "-" + tempCounter.incrementAndGet() + TEMP_SUFFIX);
        try {
            writeDurably(temp, body, name, FileTime.fromMillis(header.timestamp()));
            publish(temp, target, name);
        } catch (IOException e) {
            deleteQuietly(temp);
            if (e instanceof ReplicaException replicaError) {
                throw replicaError;
            }
            throw FileErrors.map("create", target, e);
        } catch (RuntimeException e) {
            deleteQuietly(temp);
            throw e;
        }
        deleteQuietly(temp);
        DirectorySyncs.force(dir, name);
        return new LtxFileInfo(level, minTxid, maxTxid, body.length(), Instant.ofEpochMilli(header.timestamp()));
    }

    /**
     * Writes the body to {@code temp}, dates it, and forces both with one fsync: the mtime (Litestream's createdAt)
     * is set before the force, so it is as durable as the bytes (set after, a crash could lose it). The body writes
     * itself to the channel ({@link LtxBody#writeTo}): a sync's spool hands over its direct buffers in one gathering
     * write, with no copy of the upload into a temporary direct buffer.
     */
    private static void writeDurably(Path temp, LtxBody body, String name, FileTime mtime) throws IOException {
        try (FileChannel out = FileChannel.open(temp, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                ReplicaModes.file(temp))) {
            body.writeTo(out);
            long written = out.position(); // what reached the file, whatever the body reports
            if (written != body.length()) {
                throw new ReplicaPermanentException("body of " + name + " yielded " + written
                        + " bytes but declared " + body.length());
            }
            Files.setLastModifiedTime(temp, mtime);
            out.force(true);
        }
    }

    /** Makes {@code temp} visible as {@code target} only if {@code target} does not exist. */
    private void publish(Path temp, Path target, String name) throws IOException {
        Path dir = target.getParent();
        if (!LINKLESS_DIRS.contains(dir)) {
            try {
                Files.createLink(target, temp);
                return;
            } catch (FileAlreadyExistsException e) {
                throw new ReplicaAlreadyExistsException(name + " already exists: " + target, e);
            } catch (UnsupportedOperationException e) {
                LINKLESS_DIRS.add(dir); // no hard links on this file system (the provider says so by type)
            } catch (FileSystemException e) {
                if (!linksUnsupported(dir, e)) {
                    throw e;
                }
            }
        }
        publishByLockedMove(temp, target, name);
    }

    /**
     * Whether link(2) failed in {@code dir} because its file system has no hard links (EPERM, EOPNOTSUPP or ENOSYS
     * on FAT, some FUSE and SMB mounts), rather than for a reason a move would meet too. The JDK reports those only
     * as a plain {@link FileSystemException} whose reason is the C library's error text, translated under a
     * non-English locale, so the text decides nothing: a throw-away file is linked in the same directory (only a
     * provider's {@link UnsupportedOperationException}, a typed answer, is remembered per directory). Permission and missing-file failures have their own exception types and
     * are never taken for missing links.
     */
    private boolean linksUnsupported(Path dir, FileSystemException failure) {
        if (failure instanceof AccessDeniedException || failure instanceof NoSuchFileException) {
            return false;
        }
        String stem = "." + LINK_PROBE + ".ltx." + clock.millis() + "-" + Long.toHexString(instanceTag) + "-"
                + tempCounter.incrementAndGet();
        Path probe = dir.resolve(stem + TEMP_SUFFIX);
        Path probeLink = dir.resolve(stem + "-link" + TEMP_SUFFIX);
        try {
            Files.createFile(probe, ReplicaModes.file(probe));
        } catch (IOException | RuntimeException e) {
            return false; // the directory takes no new file at all: the move would fail too, report the first error
        }
        try {
            Files.createLink(probeLink, probe);
            return false; // links work here: the failure was something else
        } catch (UnsupportedOperationException e) {
            LINKLESS_DIRS.add(dir);
            return true;
        } catch (AccessDeniedException | NoSuchFileException | FileAlreadyExistsException e) {
            return false;
        } catch (FileSystemException e) {
            // A new file can be made here but not linked, failing with the same error (same errno, so the same text
            // in whatever language): this file system has no hard links. Not remembered: a transient error (EIO,
            // ESTALE on a network mount) fails the same way, and remembering it would keep this directory on the
            // weaker locked move for the process's life; probing again costs two small files per publish.
            return Objects.equals(e.getReason(), failure.getReason());
        } catch (IOException e) {
            return false;
        } finally {
            deleteQuietly(probeLink);
            deleteQuietly(probe);
        }
    }

    private void publishByLockedMove(Path temp, Path target, String name) throws IOException {
        Path dir = target.getParent();
        ReentrantLock lock = PUBLISH_LOCKS.computeIfAbsent(dir, d -> new ReentrantLock());
        lock.lock();
        try (FileChannel lockFile = openLockFile(dir)) {
            FileLock fileLock = lockFile == null ? null : lockFile.lock();
            try {
                if (Files.exists(target)) {
                    throw new ReplicaAlreadyExistsException(name + " already exists: " + target);
                }
                try {
                    Files.move(temp, target);
                } catch (FileAlreadyExistsException e) {
                    throw new ReplicaAlreadyExistsException(name + " already exists: " + target, e);
                }
            } finally {
                if (fileLock != null) {
                    fileLock.release();
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /** The cross-process lock file, or null where the file system cannot lock files (in-process lock only). */
    private static FileChannel openLockFile(Path dir) throws IOException {
        try {
            return FileChannel.open(dir.resolve(LOCK_FILE), Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE),
                    ReplicaModes.file(dir));
        } catch (UnsupportedOperationException e) {
            return null;
        }
    }

    private void ensureDirectory(Path dir) throws ReplicaException {
        if (Files.isDirectory(dir)) {
            return;
        }
        Path existing = dir.toAbsolutePath().getParent();
        while (existing != null && !Files.isDirectory(existing)) {
            existing = existing.getParent();
        }
        try {
            Files.createDirectories(dir, ReplicaModes.directory(dir));
        } catch (IOException e) {
            throw FileErrors.map("create directory", dir, e);
        }
        // Make every new directory entry durable: the level's parent up to the deepest directory that was already
        // there, the root's missing parents included (a power cut takes an unsynced entry with all below it;
        // docs/replica-file-verification.md, "Power cuts").
        for (Path p = dir.toAbsolutePath().getParent(); p != null; p = p.getParent()) {
            try {
                DirectorySyncs.forceOnce(p, dir.toString());
            } catch (ReplicaOutcomeUnknownException e) {
                if (!(p.equals(existing) && e.getCause() instanceof java.nio.file.AccessDeniedException)) {
                    DirectorySyncs.remember(p); // retried before anything below it is used; nothing published yet
                } // else an old directory only its owner may open: its entries are not ours to sync
            }
            if (p.equals(existing)) {
                break;
            }
        }
    }

    /** Removes temp files of crashed writers, once per level and client, before the first write there. */
    private void sweepStaleTemps(int level, Path dir) {
        if (!sweptLevels.add(level)) {
            return;
        }
        long cutoff = clock.millis() - STALE_TEMP_AGE.toMillis();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, p -> isTempName(p.getFileName().toString()))) {
            for (Path p : entries) {
                Long created = tempCreatedMillis(p.getFileName().toString());
                if (created != null && created < cutoff) {
                    deleteQuietly(p);
                }
            }
        } catch (IOException e) {
            // Leftovers are harmless to correctness; the next client retries the sweep.
            sweptLevels.remove(level);
        }
    }

    static boolean isTempName(String name) {
        return name.startsWith(".") && name.endsWith(TEMP_SUFFIX) && name.contains(".ltx.");
    }

    /** The creation time a temp name carries, or null for a name this client did not make. */
    static Long tempCreatedMillis(String name) {
        int ltx = name.lastIndexOf(".ltx.");
        if (ltx < 0) {
            return null;
        }
        String tail = name.substring(ltx + 5, name.length() - TEMP_SUFFIX.length());
        int dash = tail.indexOf('-');
        try {
            return Long.parseLong(dash < 0 ? tail : tail.substring(0, dash));
        } catch (NumberFormatException e) {
            return null;
        }
    }

    @Override
    public void deleteFiles(Collection<LtxFileInfo> files) throws ReplicaException {
        for (LtxFileInfo info : files) {
            checkLevel("file", info.level()); // all checked before the first delete, as the other backends do
        }
        Set<Path> dirs = new HashSet<>();
        for (LtxFileInfo info : files) {
            Path file = filePath(info.level(), info.minTxid(), info.maxTxid());
            try {
                if (Files.deleteIfExists(file)) {
                    dirs.add(file.getParent());
                }
            } catch (IOException e) {
                throw FileErrors.map("delete", file, e);
            }
        }
        for (Path dir : dirs) {
            forceDirectoryBestEffort(dir);
        }
    }

    @Override
    public void deleteAll() throws ReplicaException {
        if (!Files.exists(root)) {
            return;
        }
        List<Path> paths;
        try (Stream<Path> walk = Files.walk(root)) {
            paths = walk.collect(Collectors.toCollection(ArrayList::new));
        } catch (NoSuchFileException e) {
            return;
        } catch (IOException | UncheckedIOException e) {
            throw FileErrors.map("list for delete", root,
                    e instanceof IOException io ? io : ((UncheckedIOException) e).getCause());
        }
        // Deepest first, so directories are empty when their turn comes.
        TreeSet<Path> ordered = new TreeSet<>(Comparator.comparingInt(Path::getNameCount).reversed()
                .thenComparing(Comparator.naturalOrder()));
        ordered.addAll(paths);
        for (Path p : ordered) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException e) {
                throw FileErrors.map("delete", p, e);
            }
        }
        sweptLevels.clear();
        Path parent = root.getParent();
        if (parent != null) {
            forceDirectoryBestEffort(parent);
        }
    }

    private static void forceDirectoryBestEffort(Path dir) {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // Best effort: directory sync is not available everywhere.
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            // A leftover temp name is swept later; it is never mistaken for an LTX file.
        }
    }

    private static void closeQuietly(Closeable c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // Nothing useful to do; the caller already has the primary error.
        }
    }

    @Override
    public void close() {
        // Nothing is held between calls.
    }

    @Override
    public String toString() {
        return "file replica at " + root;
    }
}
