package dev.ltx4j.compaction.internal;

import dev.ltx4j.compaction.CompactionResult;
import dev.ltx4j.compaction.CompactionSettings;
import dev.ltx4j.compaction.CompactionStatus;
import dev.ltx4j.compaction.LevelStatus;
import dev.ltx4j.compaction.RetentionResult;
import dev.ltx4j.compaction.RetentionStatus;
import dev.ltx4j.replica.ReplicaClient;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeMap;

/** The mutable counters behind {@link CompactionStatus}; the owner thread writes, {@link #snapshot()} publishes. */
public final class StatusTracker {
    private final CompactionSettings settings;
    private final TreeMap<Integer, Level> levels = new TreeMap<>();
    private final int[] filesPerLevel = new int[ReplicaClient.MAX_LEVEL + 1];
    private Instant retentionRun;
    private long filesDeleted;
    private long bytesDeleted;
    private long lastFilesDeleted;
    private long lastBytesDeleted;
    private String retentionError;
    private volatile CompactionStatus published;

    public StatusTracker(CompactionSettings settings) {
        this.settings = settings;
        Arrays.fill(filesPerLevel, -1);
        for (int level = 1; level <= settings.levels(); level++) {
            levels.put(level, new Level(settings.interval(level)));
        }
        levels.put(ReplicaClient.SNAPSHOT_LEVEL, new Level(settings.snapshotInterval()));
        publish();
    }

    /** When {@code level} last ran, null if never. */
    public synchronized Instant lastRun(int level) {
        Level l = levels.get(level);
        return l == null ? null : l.lastRun;
    }

    public synchronized Instant lastRetention() {
        return retentionRun;
    }

    /** Whether {@code level}'s last run failed. */
    public synchronized boolean failed(int level) {
        Level l = levels.get(level);
        return l != null && l.lastError != null;
    }

    /** Whether the last retention run failed or refused. */
    public synchronized boolean retentionFailed() {
        return retentionError != null;
    }

    public synchronized void listed(int level, int count) {
        filesPerLevel[level] = count;
    }

    /** A file created outside this compactor's runs (the writer's own upload): one more at its level, once listed. */
    public synchronized void created(int level) {
        if (filesPerLevel[level] >= 0) {
            filesPerLevel[level]++;
            publish();
        }
    }

    public synchronized void compacted(int level, Instant now, CompactionResult result) {
        Level l = level(level);
        l.lastRun = now;
        l.lastError = null;
        if (result.outcome() == CompactionResult.Outcome.CREATED) {
            l.created++;
            if (filesPerLevel[level] >= 0) {
                filesPerLevel[level]++;
            }
            l.lastFile = result.output();
        } else if (result.outcome() == CompactionResult.Outcome.ALREADY_COMPACTED) {
            l.already++;
            l.lastFile = result.output();
        }
        publish();
    }

    public synchronized void failed(int level, Instant now, Throwable error) {
        Level l = level(level);
        l.lastRun = now;
        l.lastError = message(error);
        publish();
    }

    public synchronized void retained(Instant now, RetentionResult result) {
        retentionRun = now;
        for (var f : result.deleted()) {
            if (filesPerLevel[f.level()] > 0) {
                filesPerLevel[f.level()]--;
            }
        }
        retentionError = result.plan().refusal();
        recordDeleted(result.filesDeleted(), result.bytesDeleted());
    }

    /** A failed run: {@code files}/{@code bytes} were deleted by its completed batches. */
    public synchronized void retentionFailed(Instant now, Throwable error, long files, long bytes) {
        retentionRun = now;
        retentionError = message(error);
        recordDeleted(files, bytes);
    }

    private void recordDeleted(long files, long bytes) {
        filesDeleted += files;
        bytesDeleted += bytes;
        lastFilesDeleted = files;
        lastBytesDeleted = bytes;
        publish();
    }

    public CompactionStatus snapshot() {
        return published;
    }

    private Level level(int level) {
        return levels.computeIfAbsent(level, k -> new Level(Duration.ZERO));
    }

    private void publish() {
        List<LevelStatus> out = new ArrayList<>();
        levels.forEach((k, l) -> out.add(new LevelStatus(k, l.interval, l.created, l.already, l.lastRun, l.lastFile,
                l.lastError)));
        List<Integer> counts = new ArrayList<>();
        for (int c : filesPerLevel) {
            counts.add(c);
        }
        published = new CompactionStatus(out, new RetentionStatus(settings.retention(), settings.retentionGrace(),
                retentionRun, filesDeleted, bytesDeleted, lastFilesDeleted, lastBytesDeleted, retentionError),
                settings.enabled(), counts);
    }

    private static String message(Throwable t) {
        String m = t.getMessage();
        return t.getClass().getSimpleName() + (m == null ? "" : ": " + m);
    }

    private static final class Level {
        final Duration interval;
        long created;
        long already;
        Instant lastRun;
        dev.ltx4j.replica.LtxFileInfo lastFile;
        String lastError;

        Level(Duration interval) {
            this.interval = interval;
        }
    }
}
