package dev.ltx4j.pagestore.testkit;

import dev.ltx4j.pagestore.storage.LogFile;
import dev.ltx4j.pagestore.storage.LogStorage;
import dev.ltx4j.pagestore.storage.StorageLockedException;
import dev.ltx4j.pagestore.storage.StorageFullException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.random.RandomGenerator;

/**
 * In-memory {@link LogStorage} that models what a crash can do to a real disk, for tests and the simulator.
 *
 * <p>Each file keeps its durable image (as of its last {@link LogFile#force()}) and the list of writes and
 * truncations since then. Directory entries likewise keep the durable name table (as of the last
 * {@link #syncDirectory()}) and the pending creates, renames and deletes. {@link #crash(CrashPolicy)} rebuilds
 * the post-crash state: a prefix of the pending directory operations, and per file the durable image plus a
 * chosen subset of the pending writes (applied in order), the last kept write possibly torn at any byte. All
 * handles and locks from before the crash become unusable.
 *
 * <p>Faults: {@link #setFaults(FaultPolicy)} makes chosen operations throw, and
 * {@link #setOperationBudget(long)} freezes the storage after a number of mutating operations (every later one
 * throws), which lets a test stop a multi-step protocol at every step. Thread-safe (one monitor).
 *
 * <p>File reuse ({@link #keepAs}, {@link #reuse}; on unless constructed with {@code false}) is modelled as on a real
 * disk: the spare is a second name of the same file, and a reused file is written from offset 0 over its old bytes,
 * which stay beyond the handle's end (its reads and size stop at what it wrote) until a clean close cuts them; after
 * a crash they follow the new records, and a lost or torn write shows them instead of zeros. A handle opened on the
 * file before its reuse sees the new bytes, as a reader of a rewritten file would.
 */
public final class MemoryLogStorage implements LogStorage {

    /** Mutating operations that faults and budgets apply to. */
    public enum Operation { CREATE, WRITE, TRUNCATE, FORCE, RENAME, DELETE, SYNC_DIRECTORY }

    /** Decides which operations fail with an {@link IOException}. */
    @FunctionalInterface
    public interface FaultPolicy {
        boolean shouldFail(Operation operation, String fileName);
    }

    /** Decides what survives a crash. */
    public interface CrashPolicy {
        /** How many of the {@code pending} directory operations survive (a prefix, journaled in order). */
        int keptDirectoryOperations(int pending);

        /** Whether the {@code index}-th of {@code pending} unforced writes/truncations of a file survives. */
        boolean keepWrite(String fileName, int index, int pending);

        /**
         * How many bytes of the last kept write survive, in {@code [0, length]}; {@code length} keeps it whole.
         */
        int tornLength(String fileName, int length);

        /** Loses every unforced write and directory change. */
        static CrashPolicy loseAllUnforced() {
            return new CrashPolicy() {
                @Override
                public int keptDirectoryOperations(int pending) {
                    return 0;
                }

                @Override
                public boolean keepWrite(String fileName, int index, int pending) {
                    return false;
                }

                @Override
                public int tornLength(String fileName, int length) {
                    return length;
                }
            };
        }

        /** Keeps everything that was written, as a process kill (no power loss) would. */
        static CrashPolicy keepAll() {
            return new CrashPolicy() {
                @Override
                public int keptDirectoryOperations(int pending) {
                    return pending;
                }

                @Override
                public boolean keepWrite(String fileName, int index, int pending) {
                    return true;
                }

                @Override
                public int tornLength(String fileName, int length) {
                    return length;
                }
            };
        }

        /**
         * Keeps each unforced write with probability {@code keepProbability}, a random prefix of directory
         * operations, and tears the last kept write of each file at a random byte half of the time.
         */
        static CrashPolicy random(RandomGenerator random, double keepProbability) {
            return new CrashPolicy() {
                @Override
                public int keptDirectoryOperations(int pending) {
                    return random.nextInt(pending + 1);
                }

                @Override
                public boolean keepWrite(String fileName, int index, int pending) {
                    return random.nextDouble() < keepProbability;
                }

                @Override
                public int tornLength(String fileName, int length) {
                    return random.nextBoolean() ? length : random.nextInt(length + 1);
                }
            };
        }
    }

    private static final class Inode {
        byte[] durable = new byte[0];
        byte[] current = new byte[0];
        int currentSize;
        final List<Object> pending = new ArrayList<>(); // PendingWrite or Long (truncate size)
    }

    private record PendingWrite(long position, byte[] data) {}

    private record DirOp(Operation kind, String from, String to, Inode inode) {}

    private final boolean reuseFiles;
    private final Map<String, Inode> names = new HashMap<>();
    private final Map<String, Inode> durableNames = new HashMap<>();
    private final List<DirOp> pendingDirOps = new ArrayList<>();
    private final Set<String> heldLocks = new HashSet<>();
    private FaultPolicy faults = (op, name) -> false;
    private long budget = Long.MAX_VALUE;
    private long epoch;
    private long mutations;

    /** How much of a write lands before the disk is full. */
    @FunctionalInterface
    public interface FullDisk {
        /** Bytes of a {@code length}-byte write to {@code fileName} that land before the disk is full; -1: all. */
        int bytesBeforeFull(String fileName, int length);
    }

    private FullDisk fullDisk = (file, length) -> -1;

    /** A storage that reuses files ({@link #keepAs}, {@link #reuse}), as a file storage that preallocates does. */
    public MemoryLogStorage() {
        this(true);
    }

    /** @param reuseFiles false: {@link #keepAs} and {@link #reuse} decline, as a storage without hard links does */
    public MemoryLogStorage(boolean reuseFiles) {
        this.reuseFiles = reuseFiles;
    }

    /**
     * Makes writes find the disk full: the bytes {@code fullDisk} allows land (as an unforced write), then the write
     * throws {@link StorageFullException}.
     */
    public synchronized void setFullDisk(FullDisk fullDisk) {
        this.fullDisk = Objects.requireNonNull(fullDisk, "fullDisk");
    }

    public synchronized void setFaults(FaultPolicy faults) {
        this.faults = Objects.requireNonNull(faults, "faults");
    }

    /** After {@code operations} more mutating operations, every further one throws as if the machine stopped. */
    public synchronized void setOperationBudget(long operations) {
        this.budget = operations;
    }

    /** Mutating operations performed so far (successful or not), for sizing budgets. */
    public synchronized long mutationCount() {
        return mutations;
    }

    private void mutate(Operation op, String name) throws IOException {
        mutations++;
        if (budget <= 0) {
            throw new IOException("simulated crash: storage stopped before " + op + " of " + name);
        }
        budget--;
        if (faults.shouldFail(op, name)) {
            throw new IOException("injected fault: " + op + " of " + name);
        }
    }

    /** A mutation that counts toward the budget (a stopped storage refuses it) but consults no fault policy. */
    private void mutateWithoutFault(String name) throws IOException {
        mutations++;
        if (budget <= 0) {
            throw new IOException("simulated crash: storage stopped before the link " + name);
        }
        budget--;
    }

    /** Simulates a crash and restart; see the class comment. */
    public synchronized void crash(CrashPolicy policy) {
        Map<String, Inode> table = new HashMap<>(durableNames);
        int keepDir = policy.keptDirectoryOperations(pendingDirOps.size());
        for (int i = 0; i < keepDir; i++) {
            DirOp op = pendingDirOps.get(i);
            switch (op.kind) {
                case CREATE -> table.put(op.to, op.inode);
                case DELETE -> table.remove(op.from);
                case RENAME -> {
                    Inode moved = table.remove(op.from);
                    if (moved != null) {
                        table.put(op.to, moved);
                    }
                }
                default -> throw new IllegalStateException("not a directory operation: " + op.kind);
            }
        }
        Set<Inode> all = Collections.newSetFromMap(new IdentityHashMap<>());
        all.addAll(table.values());
        all.addAll(names.values());
        for (DirOp op : pendingDirOps) {
            if (op.inode != null) {
                all.add(op.inode);
            }
        }
        for (Inode inode : all) {
            String label = nameOf(inode, table);
            recoverContent(inode, label, policy);
        }
        names.clear();
        names.putAll(table);
        durableNames.clear();
        durableNames.putAll(table);
        pendingDirOps.clear();
        heldLocks.clear();
        budget = Long.MAX_VALUE;
        epoch++;
    }

    private String nameOf(Inode inode, Map<String, Inode> table) {
        for (Map.Entry<String, Inode> e : table.entrySet()) {
            if (e.getValue() == inode) {
                return e.getKey();
            }
        }
        for (Map.Entry<String, Inode> e : names.entrySet()) {
            if (e.getValue() == inode) {
                return e.getKey();
            }
        }
        return "(unlinked)";
    }

    private static void recoverContent(Inode inode, String name, CrashPolicy policy) {
        byte[] image = inode.durable.clone();
        int size = image.length;
        int n = inode.pending.size();
        int lastKeptWrite = -1;
        boolean[] keep = new boolean[n];
        for (int i = 0; i < n; i++) {
            keep[i] = policy.keepWrite(name, i, n);
            if (keep[i] && inode.pending.get(i) instanceof PendingWrite) {
                lastKeptWrite = i;
            }
        }
        for (int i = 0; i < n; i++) {
            if (!keep[i]) {
                continue;
            }
            Object op = inode.pending.get(i);
            if (op instanceof PendingWrite w) {
                int len = w.data.length;
                if (i == lastKeptWrite) {
                    len = Math.max(0, Math.min(len, policy.tornLength(name, len)));
                }
                int end = (int) w.position + len;
                if (end > image.length) {
                    image = Arrays.copyOf(image, Math.max(end, image.length * 2));
                }
                System.arraycopy(w.data, 0, image, (int) w.position, len);
                if (len > 0) {
                    size = Math.max(size, end);
                }
            } else {
                long cut = (Long) op;
                if (cut < size) {
                    Arrays.fill(image, (int) cut, size, (byte) 0);
                    size = (int) cut;
                }
            }
        }
        byte[] result = Arrays.copyOf(image, size);
        inode.durable = result;
        inode.current = result.clone();
        inode.currentSize = size;
        inode.pending.clear();
    }

    /** The bytes of {@code name} as a reader would see them now (including unforced writes). */
    public synchronized byte[] contents(String name) throws IOException {
        Inode inode = lookup(name);
        return Arrays.copyOf(inode.current, inode.currentSize);
    }

    /** Replaces the content of {@code name} (creating it), durably; for tests that craft or damage files. */
    public synchronized void putDurable(String name, byte[] content) {
        Inode inode = names.computeIfAbsent(name, k -> new Inode());
        inode.durable = content.clone();
        inode.current = content.clone();
        inode.currentSize = content.length;
        inode.pending.clear();
        durableNames.put(name, inode);
    }

    /** Names present now (durable or not). */
    public synchronized Set<String> names() {
        return Set.copyOf(names.keySet());
    }

    private Inode lookup(String name) throws IOException {
        Inode inode = names.get(name);
        if (inode == null) {
            throw new NoSuchFileException(describe(name));
        }
        return inode;
    }

    @Override
    public synchronized LogFile open(String name) throws IOException {
        return new MemoryFile(name, lookup(name), epoch);
    }

    @Override
    public synchronized LogFile create(String name) throws IOException {
        mutate(Operation.CREATE, name);
        Inode inode = new Inode();
        names.put(name, inode);
        pendingDirOps.add(new DirOp(Operation.CREATE, null, name, inode));
        return new MemoryFile(name, inode, epoch);
    }

    @Override
    public synchronized boolean exists(String name) {
        return names.containsKey(name);
    }

    @Override
    public synchronized void deleteIfExists(String name) throws IOException {
        if (!names.containsKey(name)) {
            return;
        }
        mutate(Operation.DELETE, name);
        names.remove(name);
        pendingDirOps.add(new DirOp(Operation.DELETE, name, null, null));
    }

    @Override
    public synchronized void replace(String from, String to) throws IOException {
        Inode inode = lookup(from);
        mutate(Operation.RENAME, from);
        names.remove(from);
        names.put(to, inode);
        pendingDirOps.add(new DirOp(Operation.RENAME, from, to, inode));
    }

    /** A second name of the same file (a hard link), made durable like a create. */
    @Override
    public synchronized boolean keepAs(String name, String spare) throws IOException {
        if (!reuseFiles) {
            return false;
        }
        Inode inode = lookup(name);
        // Counted, but no fault point: a failed link only means a new file next time, and a fault draw here would
        // shift every seeded fault stream (simulator corpora) for no path worth testing.
        mutateWithoutFault(spare);
        names.put(spare, inode);
        pendingDirOps.add(new DirOp(Operation.CREATE, null, spare, inode));
        return true;
    }

    @Override
    public synchronized LogFile reuse(String spare, String name, long keepAtMost) throws IOException {
        Inode inode = names.get(spare);
        if (!reuseFiles || inode == null) {
            return null;
        }
        // The fault point of the create this replaces (same name), so seeded fault streams keep their draws.
        mutate(Operation.CREATE, name);
        names.remove(spare);
        names.put(name, inode);
        pendingDirOps.add(new DirOp(Operation.RENAME, spare, name, inode));
        long stale = inode.currentSize; // a crash may undo the cut below: the old bytes may reach this far
        if (inode.currentSize > keepAtMost) {
            cut(inode, keepAtMost);
        }
        return new MemoryFile(name, inode, epoch, 0, stale);
    }

    /** Cuts {@code inode} to {@code size} bytes as an unforced truncation. */
    private static void cut(Inode inode, long size) {
        Arrays.fill(inode.current, (int) size, inode.currentSize, (byte) 0);
        inode.currentSize = (int) size;
        inode.pending.add(size);
    }

    @Override
    public synchronized void syncDirectory() throws IOException {
        mutate(Operation.SYNC_DIRECTORY, "");
        durableNames.clear();
        durableNames.putAll(names);
        pendingDirOps.clear();
    }

    @Override
    public synchronized StorageLock lock(String name) throws IOException {
        if (!heldLocks.add(name)) {
            throw new StorageLockedException(describe(name), "buffer lock " + describe(name) + " is already held");
        }
        long lockEpoch = epoch;
        return () -> {
            synchronized (MemoryLogStorage.this) {
                if (epoch == lockEpoch) {
                    heldLocks.remove(name);
                }
            }
        };
    }

    @Override
    public String describe(String name) {
        return "memory:" + name;
    }

    private final class MemoryFile implements LogFile {
        private final String name;
        private final Inode inode;
        private final long fileEpoch;
        /** A reused file's end as this handle wrote it (its old bytes lie beyond); -1: the file's own size. */
        private long logicalEnd;
        private final long staleEnd;
        private boolean closed;

        MemoryFile(String name, Inode inode, long fileEpoch) {
            this(name, inode, fileEpoch, -1, 0);
        }

        MemoryFile(String name, Inode inode, long fileEpoch, long logicalEnd, long staleEnd) {
            this.name = name;
            this.inode = inode;
            this.fileEpoch = fileEpoch;
            this.logicalEnd = logicalEnd;
            this.staleEnd = staleEnd;
        }

        /** Where reads and the size stop: what this handle wrote of a reused file, else the file's size. */
        private long end() {
            return logicalEnd >= 0 ? Math.min(logicalEnd, inode.currentSize) : inode.currentSize;
        }

        @Override
        public long staleEnd() {
            return staleEnd;
        }

        private void check() throws IOException {
            if (closed) {
                throw new ClosedChannelException();
            }
            if (fileEpoch != epoch) {
                throw new IOException("handle to " + name + " did not survive the simulated crash");
            }
        }

        @Override
        public int read(long position, ByteBuffer dst) throws IOException {
            synchronized (MemoryLogStorage.this) {
                check();
                long end = end();
                if (position >= end) {
                    return 0;
                }
                int n = (int) Math.min(dst.remaining(), end - position);
                dst.put(inode.current, (int) position, n);
                return n;
            }
        }

        @Override
        public void write(long position, ByteBuffer src) throws IOException {
            synchronized (MemoryLogStorage.this) {
                check();
                mutate(Operation.WRITE, name);
                int wanted = src.remaining();
                int room = fullDisk.bytesBeforeFull(name, wanted);
                boolean full = room >= 0 && room < wanted;
                byte[] data = new byte[full ? room : wanted];
                src.get(data);
                int end = Math.toIntExact(position + data.length);
                if (end > inode.current.length) {
                    inode.current = Arrays.copyOf(inode.current, Math.max(end, inode.current.length * 2));
                }
                if (position > inode.currentSize) {
                    Arrays.fill(inode.current, inode.currentSize, (int) position, (byte) 0);
                }
                System.arraycopy(data, 0, inode.current, (int) position, data.length);
                inode.currentSize = Math.max(inode.currentSize, end);
                if (logicalEnd >= 0) {
                    logicalEnd = Math.max(logicalEnd, end);
                }
                inode.pending.add(new PendingWrite(position, data));
                if (full) {
                    throw new StorageFullException(describe(name), "simulated full disk: " + room + " of " + wanted
                            + " bytes written at offset " + position + " of " + name, null);
                }
            }
        }

        @Override
        public void force() throws IOException {
            synchronized (MemoryLogStorage.this) {
                check();
                mutate(Operation.FORCE, name);
                inode.durable = Arrays.copyOf(inode.current, inode.currentSize);
                inode.pending.clear();
            }
        }

        @Override
        public void truncate(long size) throws IOException {
            synchronized (MemoryLogStorage.this) {
                check();
                if (size >= end()) {
                    if (size < inode.currentSize) {
                        cut(inode, size); // only a reused file's older bytes: no fault point, as in a new file
                    }
                    return;
                }
                mutate(Operation.TRUNCATE, name);
                if (logicalEnd > size) {
                    logicalEnd = size;
                }
                cut(inode, size);
            }
        }

        @Override
        public long size() throws IOException {
            synchronized (MemoryLogStorage.this) {
                check();
                return end();
            }
        }

        /** The file's name went to another file: its old bytes go with it, uncut (as on a real disk). */
        @Override
        public void closeReplaced() {
            closed = true;
        }

        /**
         * A clean close of a reused file cuts the old bytes beyond what this handle wrote (unforced, not counted as a
         * mutation; skipped once the storage stopped or crashed).
         */
        @Override
        public void close() {
            synchronized (MemoryLogStorage.this) {
                if (!closed && logicalEnd >= 0 && fileEpoch == epoch && budget > 0
                        && inode.currentSize > logicalEnd) {
                    cut(inode, logicalEnd);
                }
                closed = true;
            }
        }
    }
}
