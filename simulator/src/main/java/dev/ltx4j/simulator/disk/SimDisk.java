package dev.ltx4j.simulator.disk;

import dev.ltx4j.pagestore.storage.LogFile;
import dev.ltx4j.pagestore.storage.LogStorage;
import dev.ltx4j.pagestore.testkit.MemoryLogStorage;
import dev.ltx4j.simulator.FaultKind;
import dev.ltx4j.simulator.FaultPlan;
import dev.ltx4j.simulator.Seeds;
import dev.ltx4j.simulator.SimRandom;
import dev.ltx4j.simulator.World;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Objects;
import java.util.Set;

/**
 * The simulated local disk: the {@link MemoryLogStorage} crash model (pagestore-testkit) driven by the world's seed.
 *
 * <p>Faults (counted in the world's stats): {@link FaultKind#FSYNC_FAILURE} makes a force throw,
 * {@link FaultKind#DIRECTORY_SYNC_FAILURE} a directory sync; {@link FaultKind#WRITE_FAILURE} makes a write, truncate, create, rename or delete throw,
 * {@link FaultKind#DISK_FULL} (once {@link #enableFullDisk()}) a write land in part and find the disk full. {@link #crash()}
 * stops the machine: every handle dies, a random prefix of unsynced directory changes survives, and of each
 * file's unsynced writes a random subset survives (each with a per-crash keep probability), the last survivor
 * possibly torn at any byte ({@link FaultKind#LOST_UNSYNCED_WRITE}, {@link FaultKind#TORN_WRITE}).
 *
 * <p>The crash decisions are pure functions of (seed, crash number, file, write index), so they do not depend on
 * the order in which the storage visits files: the same seed gives the same post-crash disk.
 *
 * <p>{@link #setSkipFsync(boolean)} is a bug switch: forces report success but make nothing durable, the
 * "forgot to fsync" bug class the durability oracle must catch.
 */
public final class SimDisk implements LogStorage {
    private final World world;
    private final FaultPlan plan;
    private final SimRandom random;
    private final SimRandom rotRandom;
    private final long crashSeed;
    private final MemoryLogStorage storage;
    private final String name;
    private boolean faultsEnabled = true;
    private boolean skipFsync;
    /** Draws {@link FaultKind#DISK_FULL}; null until a scenario that handles full disks turns it on. */
    private SimRandom fullRandom;
    private int crashes;
    /** Whether the last crash kept every write and tore none (what a process kill leaves). */
    private boolean lastCrashKeptAll;
    /** For {@link #openHandles()}: a leaked handle (e.g. a buffer generation nobody releases) stays here. */
    private final Set<LogFile> openHandles = Collections.newSetFromMap(new IdentityHashMap<>());

    /** A disk in {@code world}, with the world's fault plan and random stream {@code "disk"}. */
    public SimDisk(World world) {
        this(world, "disk");
    }

    public SimDisk(World world, String name) {
        this(world, name, true);
    }

    /**
     * @param reuseFiles whether log rewrites may write into the previous log file ({@link MemoryLogStorage#keepAs},
     *     {@code reuse}), as the file storage does; every scenario's disk does, except where noted
     */
    public SimDisk(World world, String name, boolean reuseFiles) {
        this.storage = new MemoryLogStorage(reuseFiles);
        this.world = Objects.requireNonNull(world, "world");
        this.plan = world.faults();
        this.random = world.random(name);
        this.rotRandom = world.random(name + "/bit-rot");
        this.crashSeed = Seeds.child(world.seed(), name + "/crash");
        this.name = name;
        storage.setFaults(this::shouldFail);
    }

    /**
     * Lets writes find the disk full ({@link FaultKind#DISK_FULL} at the plan's rate, from a stream of its own so
     * other scenarios' runs do not change): a random prefix of the write lands, then it throws
     * {@code StorageFullException}.
     */
    public void enableFullDisk() {
        if (fullRandom == null && plan.enabled(FaultKind.DISK_FULL)) {
            fullRandom = world.random(name + "/full");
            storage.setFullDisk(this::bytesBeforeFull);
        }
    }

    private int bytesBeforeFull(String file, int length) {
        if (!faultsEnabled || length == 0 || !fullRandom.chance(plan.probability(FaultKind.DISK_FULL))) {
            return -1;
        }
        int landed = fullRandom.nextInt(length);
        world.fired(FaultKind.DISK_FULL, "WRITE " + file + " after " + landed + " of " + length + " bytes");
        return landed;
    }

    private boolean shouldFail(MemoryLogStorage.Operation op, String file) {
        if (!faultsEnabled) {
            return false;
        }
        FaultKind kind = switch (op) {
            case FORCE -> FaultKind.FSYNC_FAILURE;
            case SYNC_DIRECTORY -> FaultKind.DIRECTORY_SYNC_FAILURE;
            default -> FaultKind.WRITE_FAILURE;
        };
        if (random.chance(plan.probability(kind))) {
            world.fired(kind, op + " " + file);
            return true;
        }
        return false;
    }

    /** Turns injected I/O failures on or off (crashes are unaffected). */
    public void setFaultsEnabled(boolean enabled) {
        this.faultsEnabled = enabled;
    }

    /** Bug switch: forces do nothing (yet report success). */
    public void setSkipFsync(boolean skip) {
        this.skipFsync = skip;
    }

    /** The underlying crash model, for inspection. */
    public MemoryLogStorage storage() {
        return storage;
    }

    /**
     * Whether the last crash lost and tore nothing: the files hold exactly what was written, so recovery finds at
     * most a torn tail (an unfinished transaction, or a reused file's older bytes), never corruption.
     */
    public boolean lastCrashKeptAll() {
        return lastCrashKeptAll;
    }

    /** Crashes survived so far. */
    public int crashes() {
        return crashes;
    }

    /** Crashes the machine; see the class comment. Every open handle and lock becomes unusable. */
    public void crash() {
        openHandles.clear();
        crashes++;
        long seed = Seeds.child(crashSeed, crashes);
        double keep = new SimRandom(seed).nextDouble();
        boolean[] lost = {false};
        boolean[] torn = {false};
        storage.crash(new MemoryLogStorage.CrashPolicy() {
            @Override
            public int keptDirectoryOperations(int pending) {
                return (int) Long.remainderUnsigned(Seeds.mix(seed ^ 0x51), pending + 1L);
            }

            @Override
            public boolean keepWrite(String fileName, int index, int pending) {
                long h = Seeds.mix(Seeds.child(seed, fileName) + index);
                boolean kept = (h >>> 11) * 0x1.0p-53 < keep;
                lost[0] |= !kept;
                return kept;
            }

            @Override
            public int tornLength(String fileName, int length) {
                long h = Seeds.mix(Seeds.child(seed, fileName) ^ 0x7047L);
                if ((h & 1) == 0 || length == 0) {
                    return length;
                }
                int cut = (int) Long.remainderUnsigned(h >>> 1, length);
                torn[0] = true;
                return cut;
            }
        });
        lastCrashKeptAll = !lost[0] && !torn[0];
        world.fired(FaultKind.CRASH, "#" + crashes + " keep=" + String.format("%.2f", keep));
        if (lost[0]) {
            world.fired(FaultKind.LOST_UNSYNCED_WRITE, "crash #" + crashes);
        }
        if (torn[0]) {
            world.fired(FaultKind.TORN_WRITE, "crash #" + crashes);
        }
    }

    /** A crash that keeps no write not yet forced and tears nothing (a deliberate step's worst case). */
    public void crashLosingUnforced() {
        openHandles.clear();
        crashes++;
        storage.crash(MemoryLogStorage.CrashPolicy.loseAllUnforced());
        lastCrashKeptAll = false; // unknown: nothing may have been pending
        world.fired(FaultKind.CRASH, "#" + crashes + " keep=0");
        world.fired(FaultKind.LOST_UNSYNCED_WRITE, "crash #" + crashes);
    }

    /**
     * {@link FaultKind#BIT_ROT}: flips one random bit of {@code name} in {@code [from, to)} of its durable content
     * (call between a crash and the restart, when nothing is pending). Returns the offset flipped.
     */
    public long rot(String name, long from, long to) throws IOException {
        byte[] content = storage.contents(name);
        long at = from + rotRandom.nextLong(to - from);
        content[(int) at] ^= (byte) (1 << rotRandom.nextInt(8));
        storage.putDurable(name, content);
        world.fired(FaultKind.BIT_ROT, name + " byte " + at);
        return at;
    }

    // ------------------------------------------------------------------------------------------ LogStorage

    @Override
    public LogFile open(String name) throws IOException {
        return wrap(storage.open(name));
    }

    @Override
    public LogFile create(String name) throws IOException {
        return wrap(storage.create(name));
    }

    @Override
    public boolean exists(String name) throws IOException {
        return storage.exists(name);
    }

    @Override
    public void deleteIfExists(String name) throws IOException {
        storage.deleteIfExists(name);
    }

    @Override
    public void replace(String from, String to) throws IOException {
        storage.replace(from, to);
    }

    @Override
    public boolean keepAs(String name, String spare) throws IOException {
        return storage.keepAs(name, spare);
    }

    @Override
    public LogFile reuse(String spare, String name, long keepAtMost) throws IOException {
        LogFile file = storage.reuse(spare, name, keepAtMost);
        return file == null ? null : wrap(file);
    }

    /** The buffer's directory was created just now: see {@link MemoryLogStorage#newDirectory()}. */
    public void newDirectory() {
        storage.newDirectory();
    }

    /** No fault is drawn here, so the fault streams of seeds recorded before this call existed do not move. */
    @Override
    public void syncDirectoryEntry() {
        if (!skipFsync) {
            storage.syncDirectoryEntry();
        }
    }

    @Override
    public void syncDirectory() throws IOException {
        if (!skipFsync) {
            storage.syncDirectory();
        }
    }

    @Override
    public StorageLock lock(String name) throws IOException {
        return storage.lock(name);
    }

    @Override
    public String describe(String name) {
        return "simdisk:" + name;
    }

    /** Handles opened on this disk and not closed since (a crash ends them all). */
    public int openHandles() {
        return openHandles.size();
    }

    private LogFile wrap(LogFile file) {
        LogFile handle = new LogFile() {
            @Override
            public int read(long position, ByteBuffer dst) throws IOException {
                return file.read(position, dst);
            }

            @Override
            public void write(long position, ByteBuffer src) throws IOException {
                file.write(position, src);
            }

            @Override
            public void force() throws IOException {
                if (!skipFsync) {
                    file.force();
                }
            }

            @Override
            public void truncate(long size) throws IOException {
                file.truncate(size);
            }

            @Override
            public long size() throws IOException {
                return file.size();
            }

            @Override
            public long staleEnd() {
                return file.staleEnd();
            }

            @Override
            public void closeReplaced() throws IOException {
                openHandles.remove(this); // closed too (a file renamed over is closed without tidying)
                file.closeReplaced();
            }

            @Override
            public void close() throws IOException {
                openHandles.remove(this);
                file.close();
            }
        };
        openHandles.add(handle);
        return handle;
    }
}
