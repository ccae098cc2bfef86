package dev.ltx4j.syncer;

import dev.ltx4j.compaction.CompactionFaults;
import dev.ltx4j.compaction.CompactionSettings;
import dev.ltx4j.pagestore.BufferRecovery;
import dev.ltx4j.pagestore.Durability;
import dev.ltx4j.pagestore.storage.LogStorage;
import dev.ltx4j.replica.EngineClock;
import dev.ltx4j.replica.RetryTimer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executor;

/** Settings of one {@link Database}. Immutable; build with {@link #builder()} or {@link #fromEnvironment}. */
public final class EngineOptions {
    final boolean writeEnabled;
    final Durability durability;
    final Duration syncInterval;
    final Duration pollInterval;
    /** The most an idle follower's poll interval grows to, as a factor (1: no back-off). */
    final int pollBackoff;
    final Path bufferPath;
    final LogStorage bufferStorage;
    final String bufferName;
    final Path conflictDirectory;
    final long cacheBytes;
    final int readAheadPages;
    final Path spoolDirectory;
    final EngineClock clock;
    final long seed;
    final Duration closeTimeout;
    final String replicaIdentity;
    final BufferRecovery bufferRecovery;
    final EngineFaults faults;
    final Executor background;
    final HydrationOptions hydration;
    final dev.ltx4j.pagestore.replica.HydrationFaults hydrationFaults;
    /** Compaction, snapshots and retention of a writer; null: the defaults (write mode only). */
    final CompactionSettings compaction;
    final CompactionFaults compactionFaults;

    private EngineOptions(Builder b) {
        this.bufferRecovery = b.bufferRecovery;
        this.writeEnabled = b.writeEnabled;
        this.durability = b.durability;
        this.syncInterval = b.syncInterval;
        this.pollInterval = b.pollInterval;
        this.pollBackoff = b.pollBackoff;
        this.bufferPath = b.bufferPath;
        this.bufferStorage = b.bufferStorage;
        this.bufferName = b.bufferName;
        this.conflictDirectory = b.conflictDirectory;
        this.cacheBytes = b.cacheBytes;
        this.readAheadPages = b.readAheadPages;
        this.spoolDirectory = b.spoolDirectory;
        this.clock = b.clock;
        this.seed = b.seed;
        this.closeTimeout = b.closeTimeout;
        this.replicaIdentity = b.replicaIdentity;
        this.faults = b.faults;
        this.background = b.background;
        this.hydration = b.hydration;
        this.hydrationFaults = b.hydrationFaults;
        this.compaction = b.compaction;
        this.compactionFaults = b.compactionFaults;
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Reads {@code LITESTREAM_WRITE_ENABLED}, {@code LITESTREAM_SYNC_INTERVAL}, {@code LITESTREAM_POLL_INTERVAL},
     * {@code LITESTREAM_BUFFER_PATH}, {@code LITESTREAM_DURABILITY}, {@code LITESTREAM_BUFFER_RECOVERY} and the
     * compaction settings ({@link CompactionOptions#VARIABLES}) from {@code env} into a builder.
     *
     * @throws IllegalArgumentException naming the variable whose value is invalid
     */
    public static Builder fromEnvironment(Map<String, String> env) {
        Builder b = builder();
        b.writeEnabled(Settings.parseBoolean(Settings.WRITE_ENABLED, env.get(Settings.WRITE_ENABLED)));
        String sync = env.get(Settings.SYNC_INTERVAL);
        if (sync != null && !sync.isBlank()) {
            b.syncInterval(Settings.parseDuration(Settings.SYNC_INTERVAL, sync));
        }
        String poll = env.get(Settings.POLL_INTERVAL);
        if (poll != null && !poll.isBlank()) {
            b.pollInterval(Settings.parseDuration(Settings.POLL_INTERVAL, poll));
        }
        b.pollBackoff(Settings.parsePollBackoff(Settings.POLL_BACKOFF, env.get(Settings.POLL_BACKOFF)));
        String path = env.get(Settings.BUFFER_PATH);
        if (path != null && !path.isBlank()) {
            b.bufferPath(Path.of(path));
        }
        b.durability(Settings.parseDurability(env.get(Settings.DURABILITY)));
        String recovery = env.get(Settings.BUFFER_RECOVERY);
        if (recovery != null && !recovery.isBlank()) {
            try {
                b.bufferRecovery(BufferRecovery.parse(recovery));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("invalid " + Settings.BUFFER_RECOVERY + ": " + e.getMessage(), e);
            }
        }
        b.compaction(CompactionOptions.fromEnvironment(env));
        return b;
    }

    public boolean writeEnabled() {
        return writeEnabled;
    }

    public Durability durability() {
        return durability;
    }

    public Duration syncInterval() {
        return syncInterval;
    }

    public Duration pollInterval() {
        return pollInterval;
    }

    /** How long the last close retries the final sync. */
    public Duration closeTimeout() {
        return closeTimeout;
    }

    /** Bytes of the in-memory page cache. */
    public long cacheBytes() {
        return cacheBytes;
    }

    /** The most an idle follower multiplies its poll interval by (1: the adaptive poll is off). */
    public int pollBackoff() {
        return pollBackoff;
    }

    /** The engine's one clock: wall time, monotonic time and waiting. */
    public EngineClock clock() {
        return clock;
    }

    /** The timer the engine's retry layer waits with: the engine clock. */
    public RetryTimer retryTimer() {
        return clock;
    }

    /** The engine's fault points ({@link EngineFaults#NONE} unless a test set them). */
    public EngineFaults faults() {
        return faults;
    }

    /** Hydration and disk cache settings. */
    public HydrationOptions hydration() {
        return hydration;
    }

    /**
     * What the writer's compaction lane runs: the configured settings, {@link CompactionSettings#defaults()} when
     * none were set, and {@link CompactionSettings#off()} in read mode (a follower never compacts or deletes).
     */
    public CompactionSettings compaction() {
        if (!writeEnabled) {
            return CompactionSettings.off();
        }
        return compaction != null ? compaction : CompactionSettings.defaults();
    }

    /** What opening does with a damaged write buffer. */
    public BufferRecovery bufferRecovery() {
        return bufferRecovery;
    }

    public static final class Builder {
        private boolean writeEnabled;
        private Durability durability = Durability.LOCAL;
        private Duration syncInterval = Duration.ofSeconds(1);
        private Duration pollInterval = Duration.ofSeconds(1);
        private int pollBackoff = 1;
        private Path bufferPath;
        private LogStorage bufferStorage;
        private String bufferName;
        private Path conflictDirectory;
        private long cacheBytes = 10L << 20;
        private int readAheadPages = 16;
        private Path spoolDirectory;
        private EngineClock clock = EngineClock.system();
        private long seed = System.nanoTime();
        private Duration closeTimeout = Duration.ofSeconds(10);
        private String replicaIdentity = "replica";
        private BufferRecovery bufferRecovery = BufferRecovery.REFUSE;
        private EngineFaults faults = EngineFaults.NONE;
        private Executor background;
        private HydrationOptions hydration = HydrationOptions.OFF;
        private dev.ltx4j.pagestore.replica.HydrationFaults hydrationFaults =
                dev.ltx4j.pagestore.replica.HydrationFaults.NONE;

        /** Hydration or an on-disk page cache (docs/hydration.md); default neither. */
        public Builder hydration(HydrationOptions v) {
            this.hydration = Objects.requireNonNull(v, "hydration");
            return this;
        }

        /** Fault points of the hydrator (the simulator's crash points and bug switches). */
        public Builder hydrationFaults(dev.ltx4j.pagestore.replica.HydrationFaults v) {
            this.hydrationFaults = Objects.requireNonNull(v, "hydrationFaults");
            return this;
        }
        private CompactionSettings compaction;
        private CompactionFaults compactionFaults = CompactionFaults.NONE;

        /**
         * What opening does with a damaged (not merely torn) write buffer (LITESTREAM_BUFFER_RECOVERY): refuse, the
         * default, or keep a copy and recover the committed prefix (see docs/write-buffer-recovery.md).
         */
        public Builder bufferRecovery(BufferRecovery v) {
            this.bufferRecovery = Objects.requireNonNull(v, "bufferRecovery");
            return this;
        }

        public Builder writeEnabled(boolean v) {
            this.writeEnabled = v;
            return this;
        }

        public Builder durability(Durability v) {
            this.durability = Objects.requireNonNull(v, "durability");
            return this;
        }

        public Builder syncInterval(Duration v) {
            this.syncInterval = positive(v, "syncInterval");
            return this;
        }

        public Builder pollInterval(Duration v) {
            this.pollInterval = positive(v, "pollInterval");
            return this;
        }

        /**
         * Adaptive poll (LITESTREAM_POLL_BACKOFF): while the replica stays idle, a read-mode follower doubles its
         * poll interval every few quiet polls up to {@code maxFactor} times it, and returns to it on any change or
         * read transaction. 1 (the default) turns it off; at most {@value Settings#MAX_POLL_BACKOFF}.
         */
        public Builder pollBackoff(int maxFactor) {
            if (maxFactor < 1 || maxFactor > Settings.MAX_POLL_BACKOFF) {
                throw new IllegalArgumentException("pollBackoff must be from 1 (off) to " + Settings.MAX_POLL_BACKOFF
                        + ", not " + maxFactor);
            }
            this.pollBackoff = maxFactor;
            return this;
        }

        /** Buffer file (LITESTREAM_BUFFER_PATH); default: a private file under the temp dir, unique per database. */
        public Builder bufferPath(Path v) {
            this.bufferPath = v;
            return this;
        }

        /** A buffer in a custom storage (tests and the simulator); overrides {@link #bufferPath}. */
        public Builder bufferStorage(LogStorage storage, String name) {
            this.bufferStorage = Objects.requireNonNull(storage, "storage");
            this.bufferName = Objects.requireNonNull(name, "name");
            return this;
        }

        /** Where unsynced transactions are saved after a conflict; default {@code conflicts/} next to the buffer. */
        public Builder conflictDirectory(Path v) {
            this.conflictDirectory = v;
            return this;
        }

        /** Page cache capacity in bytes; default 10 MiB. */
        public Builder cacheBytes(long v) {
            if (v < 0) {
                throw new IllegalArgumentException("cacheBytes must not be negative: " + v);
            }
            this.cacheBytes = v;
            return this;
        }

        /** Most pages one sequential read fetches in one request; default 16. */
        public Builder readAheadPages(int v) {
            if (v < 1) {
                throw new IllegalArgumentException("readAheadPages must be at least 1: " + v);
            }
            this.readAheadPages = v;
            return this;
        }

        /**
         * Where a sync spools an LTX file larger than a few MiB before uploading it; default: the buffer's directory
         * (the temp directory for a custom buffer storage).
         */
        public Builder spoolDirectory(Path v) {
            this.spoolDirectory = v;
            return this;
        }

        /**
         * The engine's one clock (wall time of commits, LTX files and status; monotonic time and waits of retries
         * and of close-time sync attempts). Default {@link EngineClock#system()}; tests pass a manual one.
         */
        public Builder clock(EngineClock v) {
            this.clock = Objects.requireNonNull(v, "clock");
            return this;
        }

        /** Seeds the buffer's writer id and salts (tests pass a fixed seed). */
        public Builder seed(long v) {
            this.seed = v;
            return this;
        }

        /** Longest close waits for the final sync; default 10 s. */
        public Builder closeTimeout(Duration v) {
            this.closeTimeout = Objects.requireNonNull(v, "closeTimeout");
            return this;
        }

        /** The replica's identity (e.g. its URL), used for the default buffer path. */
        public Builder replicaIdentity(String v) {
            this.replicaIdentity = Objects.requireNonNull(v, "replicaIdentity");
            return this;
        }

        /** Fault points for the simulator's mutation tests; default {@link EngineFaults#NONE}. */
        public Builder faults(EngineFaults v) {
            this.faults = Objects.requireNonNull(v, "faults");
            return this;
        }

        /**
         * Where the engine runs its one-off background work (closing replaced write-buffer generations); default
         * the database's own scheduler thread. The simulator passes a direct executor ({@code Runnable::run}) so the
         * engine starts no thread. Failures are logged and counted by the engine either way.
         */
        public Builder background(Executor v) {
            this.background = Objects.requireNonNull(v, "background");
            return this;
        }

        /**
         * Compaction, level-9 snapshots and retention run by a writer (LITESTREAM_COMPACTION and related settings,
         * {@link CompactionOptions}); default {@link CompactionSettings#defaults()}. Ignored in read mode.
         */
        public Builder compaction(CompactionSettings v) {
            this.compaction = Objects.requireNonNull(v, "compaction");
            return this;
        }

        /** Bug switches and crash points of the compactor (the simulator's); default {@link CompactionFaults#NONE}. */
        public Builder compactionFaults(CompactionFaults v) {
            this.compactionFaults = Objects.requireNonNull(v, "compactionFaults");
            return this;
        }

        public EngineOptions build() {
            return new EngineOptions(this);
        }

        private static Duration positive(Duration d, String name) {
            if (d == null || d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(name + " must be positive: " + d);
            }
            return d;
        }
    }
}
