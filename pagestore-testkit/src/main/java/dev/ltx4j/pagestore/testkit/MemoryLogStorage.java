package dev.ltx4j.pagestore.testkit;

import dev.ltx4j.pagestore.storage.LogFile;
import dev.ltx4j.pagestore.storage.LogStorage;
import dev.ltx4j.pagestore.storage.StorageLockedException;
import dev.ltx4j.pagestore.storage.StorageFullException;
import java.io.IOException;
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
 *
 * <p>A file's contents and what a crash keeps of them are {@link MemoryInode}; open handles are {@link MemoryLogFile}.
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

    private record DirOp(Operation kind, String from, String to, MemoryInode inode) {}

    private final boolean reuseFiles;
    private final Map<String, MemoryInode> names = new HashMap<>();
    private final Map<String, MemoryInode> durableNames = new HashMap<>();
    private final List<DirOp> pendingDirOps = new ArrayList<>();
    /** False from {@link #newDirectory()} until {@link #syncDirectoryEntry()}. */
    private boolean entryDurable = true;
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

    /** Counts a mutating operation; throws when the budget ran out or the fault policy says so. */
    void mutate(Operation op, String name) throws IOException {
        mutations++;
        if (budget <= 0) {
            throw new IOException("simulated crash: storage stopped before " + op + " of " + name);
        }
        budget--;
        if (faults.shouldFail(op, name)) {
            throw new IOException("injected fault: " + op + " of " + name);
        }
    }

    /** Crashes so far: a handle from an earlier epoch is dead. */
    long epoch() {
        return epoch;
    }

    /** Whether the operation budget ran out (the storage stopped as if the machine did). */
    boolean stopped() {
        return budget <= 0;
    }

    FullDisk fullDisk() {
        return fullDisk;
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
        Map<String, MemoryInode> table = new HashMap<>(durableNames);
        if (!entryDurable) {
            // The directory's own entry never reached its parent durably: the power cut takes it with every file.
            pendingDirOps.clear();
            table.clear();
        }
        int keepDir = policy.keptDirectoryOperations(pendingDirOps.size());
        for (int i = 0; i < keepDir; i++) {
            DirOp op = pendingDirOps.get(i);
            switch (op.kind) {
                case CREATE -> table.put(op.to, op.inode);
                case DELETE -> table.remove(op.from);
                case RENAME -> {
                    MemoryInode moved = table.remove(op.from);
                    if (moved != null) {
                        table.put(op.to, moved);
                    }
                }
                default -> throw new IllegalStateException("not a directory operation: " + op.kind);
            }
        }
        Set<MemoryInode> all = Collections.newSetFromMap(new IdentityHashMap<>());
        all.addAll(table.values());
        all.addAll(names.values());
        for (DirOp op : pendingDirOps) {
            if (op.inode != null) {
                all.add(op.inode);
            }
        }
        for (MemoryInode inode : all) {
            String label = nameOf(inode, table);
            inode.recover(label, policy);
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

    private String nameOf(MemoryInode inode, Map<String, MemoryInode> table) {
        for (Map.Entry<String, MemoryInode> e : table.entrySet()) {
            if (e.getValue() == inode) {
                return e.getKey();
            }
        }
        for (Map.Entry<String, MemoryInode> e : names.entrySet()) {
            if (e.getValue() == inode) {
                return e.getKey();
            }
        }
        return "(unlinked)";
    }

    /** The bytes of {@code name} as a reader would see them now (including unforced writes). */
    public synchronized byte[] contents(String name) throws IOException {
        MemoryInode inode = lookup(name);
        return Arrays.copyOf(inode.current, inode.currentSize);
    }

    /** Replaces the content of {@code name} (creating it), durably; for tests that craft or damage files. */
    public synchronized void putDurable(String name, byte[] content) {
        MemoryInode inode = names.computeIfAbsent(name, k -> new MemoryInode());
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

    private MemoryInode lookup(String name) throws IOException {
        MemoryInode inode = names.get(name);
        if (inode == null) {
            throw new NoSuchFileException(describe(name));
        }
        return inode;
    }

    @Override
    public synchronized LogFile open(String name) throws IOException {
        return new MemoryLogFile(this, name, lookup(name), epoch);
    }

    @Override
    public synchronized LogFile create(String name) throws IOException {
        mutate(Operation.CREATE, name);
        MemoryInode inode = new MemoryInode();
        names.put(name, inode);
        pendingDirOps.add(new DirOp(Operation.CREATE, null, name, inode));
        return new MemoryLogFile(this, name, inode, epoch);
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
        MemoryInode inode = lookup(from);
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
        MemoryInode inode = lookup(name);
        // Counted, but no fault point: a failed link only means a new file next time, and a fault draw here would
        // shift every seeded fault stream (simulator corpora) for no path worth testing.
        mutateWithoutFault(spare);
        names.put(spare, inode);
        pendingDirOps.add(new DirOp(Operation.CREATE, null, spare, inode));
        return true;
    }

    @Override
    public synchronized LogFile reuse(String spare, String name, long keepAtMost) throws IOException {
        MemoryInode inode = names.get(spare);
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
            inode.cut(keepAtMost);
        }
        return new MemoryLogFile(this, name, inode, epoch, 0, stale);
    }

    /**
     * Models a directory created just now: until {@link #syncDirectoryEntry()} its own entry in its parent is not
     * durable, so a {@link #crash} loses every file in it, forced or not (docs/write-buffer-recovery.md, "Power
     * cuts"). A storage is an old, durable directory unless this is called.
     */
    public synchronized void newDirectory() {
        entryDurable = false;
    }

    /** Makes the directory's own entry durable (see {@link #newDirectory()}); no fault or budget applies. */
    @Override
    public synchronized void syncDirectoryEntry() {
        entryDurable = true;
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
}
