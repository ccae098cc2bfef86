package dev.ltx4j.syncer;

import dev.ltx4j.compaction.CompactionSettings;
import dev.ltx4j.ltx.LtxRestorer;
import dev.ltx4j.ltx.LtxSource;
import dev.ltx4j.pagestore.Durability;
import dev.ltx4j.pagestore.testkit.MemoryLogStorage;
import dev.ltx4j.replica.EngineClock;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.RestorePlanner;
import dev.ltx4j.replica.RestoreTarget;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

/** Shared helpers: a manual clock, engine options over a simulated buffer, SQLite-like pages, restores. */
final class Kit {
    private Kit() {}

    static final class ManualClock extends Clock {
        private long millis;
        /** Monotonic time: moves with {@link #advance}, not with {@link #stepWall}. */
        private long nanos = 1_000_000_000L;

        ManualClock(long millis) {
            this.millis = millis;
        }

        /** Time passes; a negative {@code d} is a step of the wall clock back (monotonic time never goes back). */
        void advance(Duration d) {
            millis += d.toMillis();
            if (!d.isNegative()) {
                nanos += d.toNanos();
            }
        }

        /** The wall clock steps (an NTP step, a corrected RTC): monotonic time stays where it is. */
        void stepWall(Duration d) {
            millis += d.toMillis();
        }

        /** Monotonic time in nanoseconds, for {@link #monotonic}. */
        long nanoTime() {
            return nanos;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(millis);
        }
    }

    static EngineOptions.Builder writer(MemoryLogStorage storage, Path conflicts, Clock clock, long seed) {
        return EngineOptions.builder()
                .writeEnabled(true)
                .durability(Durability.LOCAL)
                .bufferStorage(storage, "db.buffer")
                .conflictDirectory(conflicts)
                .clock(engine(clock))
                .seed(seed)
                .closeTimeout(Duration.ofSeconds(5));
    }

    /**
     * Compaction in seconds (L1 every 1 s, L2 2 s, snapshots 3 s, retention 5 s with a 2 s grace): a test's few clock
     * advances see every part run.
     */
    static final CompactionSettings SHORT_COMPACTION = new CompactionSettings(true,
            List.of(Duration.ofSeconds(1), Duration.ofSeconds(2)), Duration.ofSeconds(3), Duration.ofSeconds(5),
            Duration.ofSeconds(2));

    /** A writer of app.db on {@code replica} that compacts with {@code settings}; no page cache. */
    static Database compactingWriter(ReplicaClient replica, Path conflicts, Clock clock, long seed,
            CompactionSettings settings) throws IOException {
        return Database.open(replica, "app.db", writer(new MemoryLogStorage(), conflicts, clock, seed).cacheBytes(0)
                .compaction(settings).build());
    }

    static EngineOptions.Builder reader(Clock clock) {
        return EngineOptions.builder().writeEnabled(false).clock(engine(clock));
    }

    /**
     * An engine clock on {@code wall} whose waits return at once. Its monotonic time is the system's, plus what a
     * {@link ManualClock} was advanced by (so intervals measured on it, such as the snapshot interval, pass with the
     * manual clock, and retry budgets still run out in real time).
     */
    static EngineClock engine(Clock wall) {
        if (wall instanceof ManualClock m) {
            return EngineClock.of(wall, () -> System.nanoTime() + m.nanoTime(), d -> { });
        }
        return EngineClock.of(wall, System::nanoTime, d -> { });
    }

    /** An engine clock whose wall and monotonic time are {@code clock}'s, and whose waits advance both. */
    static EngineClock monotonic(ManualClock clock) {
        return EngineClock.of(clock, clock::nanoTime, clock::advance);
    }

    /** An engine clock on {@code wall} whose waits advance it. */
    static EngineClock advancing(ManualClock wall) {
        return EngineClock.of(wall, System::nanoTime, wall::advance);
    }

    /** Page 1 of a SQLite database of {@code pageSize}: magic, page-size field, then a fill byte. */
    static byte[] page1(int pageSize, int fill) {
        byte[] p = page(pageSize, fill);
        byte[] magic = "SQLite format 3\0".getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(magic, 0, p, 0, 16);
        int field = pageSize == 65536 ? 1 : pageSize;
        p[16] = (byte) (field >>> 8);
        p[17] = (byte) field;
        return p;
    }

    static byte[] page(int pageSize, int fill) {
        byte[] p = new byte[pageSize];
        java.util.Arrays.fill(p, (byte) fill);
        p[pageSize - 1] = (byte) (fill * 31 + 7);
        return p;
    }

    /** Writes and commits pages (1-based numbers to fill bytes) in one session. */
    static long commitPages(Database db, int pageSize, int... pgnoFill) throws IOException {
        try (WriteSession s = db.beginWrite()) {
            for (int i = 0; i < pgnoFill.length; i += 2) {
                int pgno = pgnoFill[i];
                byte[] p = pgno == 1 ? page1(pageSize, pgnoFill[i + 1]) : page(pageSize, pgnoFill[i + 1]);
                s.write((long) (pgno - 1) * pageSize, p, 0, pageSize);
            }
            return s.commit();
        }
    }

    /** The whole database as the current version shows it. */
    static byte[] readAll(Database db) throws IOException {
        try (ReadTransaction r = db.beginRead()) {
            byte[] out = new byte[(int) r.sizeBytes()];
            int n = r.read(0, out, 0, out.length);
            if (n != out.length) {
                throw new IllegalStateException("short read " + n);
            }
            return out;
        }
    }

    /** Restores the replica (latest, or at {@code txid}) with LtxRestorer; verifies tracked checksums too. */
    static byte[] restore(ReplicaClient client, long txid, Path dir) throws Exception {
        List<LtxFileInfo> plan = new RestorePlanner(client).plan(txid == 0 ? RestoreTarget.latest()
                : RestoreTarget.txid(txid));
        List<LtxSource> sources = new ArrayList<>();
        for (LtxFileInfo f : plan) {
            sources.add(LtxSource.of(f.toString(), () -> client.openFile(f.level(), f.minTxid(), f.maxTxid(), 0, 0)));
        }
        Path out = Files.createTempFile(dir, "restore", ".db");
        LtxRestorer.restore(sources, out);
        return Files.readAllBytes(out);
    }
}
