package dev.ltx4j.vfs.engine;

import dev.ltx4j.replica.support.GoDurations;
import dev.ltx4j.syncer.Database;
import dev.ltx4j.syncer.DatabaseRegistry;
import dev.ltx4j.syncer.DatabaseStatus;
import dev.ltx4j.syncer.SyncFailedException;
import dev.ltx4j.syncer.SyncOutcome;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * How long a process exit waits for the final sync (docs/host-exit.md). A script host (sqlite3, python) closes its
 * connections as it exits; an unreachable replica used to hold that exit for the engine's close timeout plus a
 * request in flight (11 s with the replica directory immutable, 36 s with an S3 endpoint that stopped answering),
 * silently. Here the wait ends after {@link #bound()} (5 s, {@code LITESTREAM_EXIT_TIMEOUT}) on the monotonic clock;
 * the sync goes on in a daemon thread that the exit ends like a crash, which the write buffer survives by design:
 * the commits stay in it and the next open uploads them. The kept commits are named once, on stderr in a script host
 * (it has no logging; the close's WARN goes nowhere there) and as a WARN in a JVM host.
 */
final class ExitWait {
    static final String VARIABLE = "LITESTREAM_EXIT_TIMEOUT";
    static final Duration DEFAULT = Duration.ofSeconds(5);
    /** The JVM host's flush (shutdown hook): sync attempts, as before the script host's bound. */
    static final int JVM_FLUSH_ATTEMPTS = 3;
    /**
     * Closes still running on their daemon thread, by write buffer path: in a long-running script host an open of
     * the same database right after a close cut by the bound would find the buffer still held by that close.
     */
    private static final Map<String, Closing> CLOSING = new ConcurrentHashMap<>();
    /** The exit under way: its token, its shared deadline and the databases it flushed. */
    private static Exit current;

    /**
     * One host exit ({@code token}: the same for every handle it flushes): several connections of one database
     * flush (and report) once, and two databases share one deadline (System.nanoTime). A later exit (a test's
     * second one in the same JVM) starts afresh.
     */
    private record Exit(Object token, long deadline, Set<Database> flushed) {
    }

    private record Closing(String name, FutureTask<Void> task, long deadline) {
    }

    private static synchronized Exit exit(Object token) {
        if (current == null || current.token() != token) {
            current = new Exit(token, System.nanoTime() + bound().toNanos(), ConcurrentHashMap.newKeySet());
        }
        return current;
    }

    private ExitWait() {
    }

    /** The bound: {@value #VARIABLE} (a Go duration such as {@code 10s}) when set and valid, else 5 s. */
    static Duration bound() {
        String v = System.getenv(VARIABLE);
        Duration d = v == null || v.isBlank() ? null : GoDurations.parse(v.strip());
        return d == null || d.isNegative() || d.isZero() ? DEFAULT : d;
    }

    /**
     * The last close of a connection in a script host: the engine's close (final sync, buffer release; a follower's
     * wait for its poll in flight) runs in a daemon thread and this waits for it at most {@link #bound()}. Past that
     * a writer's close fails naming the kept commits, and the thread goes on (it releases the buffer when its sync
     * attempt ends, or the exit ends it).
     */
    static void close(DatabaseRegistry.Handle handle, Database db) throws IOException {
        String buffer = bufferPath(db);
        Closing[] self = new Closing[1];
        FutureTask<Void> close = new FutureTask<>(() -> {
            try {
                handle.close();
            } finally {
                if (buffer != null) CLOSING.remove(buffer, self[0]);
            }
            return null;
        });
        self[0] = new Closing(db.name(), close, System.nanoTime() + db.options().closeTimeout().toNanos());
        if (buffer != null) CLOSING.putIfAbsent(buffer, self[0]); // an earlier one still running stays the one named
        Thread t = new Thread(close, "ltx4j-final-sync");
        t.setDaemon(true);
        t.start();
        Duration bound = bound();
        try {
            close.get(bound.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            if (!db.isWriteMode()) return; // a follower keeps nothing: its poll in flight ends with the process
            throw new SyncFailedException(kept(db, "close", "the final sync did not finish within " + seconds(bound)
                    + ", the bound " + VARIABLE + " sets"), null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SyncFailedException(kept(db, "close", "the close was interrupted during the final sync"), null);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof IOException io) throw io;
            if (c instanceof RuntimeException r) throw r;
            if (c instanceof Error err) throw err;
            throw new IOException(c);
        }
    }

    /**
     * The host exits with this connection still open: pushes what is committed, then names what stays unsynced. A
     * script host waits until the exit's deadline (shared by every database of the process) and writes the line on
     * stderr; a JVM host (shutdown hook) keeps its earlier flush ({@value #JVM_FLUSH_ATTEMPTS} sync attempts, each
     * bounded by the store's request timeout) and logs the line as a WARN (docs/host-exit.md).
     */
    static void flush(Database db, Clock clock, boolean scriptHost, Object exitToken) {
        Exit exit = exit(exitToken);
        if (!db.isWriteMode() || !exit.flushed().add(db)) return;
        boolean late = scriptHost ? flushUntil(db, clock, exit.deadline()) : !flushAttempts(db, clock);
        DatabaseStatus s = db.status();
        if (s.pendingCommits() == 0 || s.conflict() != null) return; // a conflict saved them and said so
        // No store error text here (it may carry an endpoint): the status and the log of the sync name it.
        String line = kept(db, "exit", late && scriptHost ? "the final sync did not finish within "
                + seconds(bound()) + ", the bound " + VARIABLE + " sets" : "the final sync failed");
        if (scriptHost) {
            System.err.println("litestream: " + db.name() + ": " + line);
        } else {
            LoggerFactory.getLogger(ExitWait.class).warn(line);
        }
    }

    /** True when the attempts ended with nothing left to sync (or a conflict). */
    private static boolean flushAttempts(Database db, Clock clock) {
        for (int i = 0; i < JVM_FLUSH_ATTEMPTS; i++) {
            if (done(db, db.syncOnce(clock.instant()))) return true;
        }
        return false;
    }

    private static boolean done(Database db, SyncOutcome o) {
        SyncOutcome.Status st = o.status();
        return st == SyncOutcome.Status.NOTHING_TO_SYNC || st == SyncOutcome.Status.CONFLICT
                || st == SyncOutcome.Status.SYNCED && db.status().pendingCommits() == 0;
    }

    /** Syncs on a daemon thread until done or the deadline; true when the deadline cut it. */
    private static boolean flushUntil(Database db, Clock clock, long deadline) {
        FutureTask<Void> flush = new FutureTask<>(() -> {
            while (System.nanoTime() - deadline < 0) {
                SyncOutcome o = db.syncOnce(clock.instant());
                if (done(db, o)) break;
                if (o.status() == SyncOutcome.Status.FAILED) Thread.sleep(100);
            }
            return null;
        });
        Thread t = new Thread(flush, "ltx4j-exit-sync");
        t.setDaemon(true);
        t.start();
        try {
            flush.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            // reported by what stays pending
        }
        return false;
    }

    /**
     * An open found the write buffer at {@code location} held in this process: waits for a close of that buffer
     * still running on its daemon thread, at most until that close's own timeout. Null when no such close was
     * running (the buffer is held by something else), "" when it ended (open again), else a sentence naming it.
     */
    static String awaitClose(String location) {
        Closing c = location == null ? null : CLOSING.get(location);
        if (c == null) return null;
        try {
            c.task().get(Math.max(0, c.deadline() - System.nanoTime()), TimeUnit.NANOSECONDS);
            return "";
        } catch (ExecutionException e) {
            return ""; // the close failed, and released what it held
        } catch (TimeoutException e) {
            // still running: named below
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return "the earlier close of database \"" + c.name() + "\" in this process is still running its final sync"
                + " (the replica is not answering) and holds the write buffer until that sync ends; open it again"
                + " then";
    }

    private static String bufferPath(Database db) {
        try {
            return db.isWriteMode() ? db.status().bufferPath() : null;
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** What stays where, for the user: the database, how many transactions, the buffer, and that nothing is lost. */
    static String kept(Database db, String when, String why) {
        String count = "the";
        String buffer = "";
        try {
            DatabaseStatus s = db.status();
            count = String.valueOf(s.pendingCommits());
            buffer = s.bufferPath() == null ? "" : " " + s.bufferPath();
        } catch (RuntimeException e) {
            // closed meanwhile: the sentence stands without the figures
        }
        return "database \"" + db.name() + "\": " + count + " committed transaction(s) not on the replica"
                + " at " + when + " (" + why + "): they stay in the write buffer" + buffer
                + " and the next open of this database uploads them";
    }

    private static String seconds(Duration d) {
        long ms = d.toMillis();
        return ms % 1000 == 0 ? ms / 1000 + " s" : ms + " ms";
    }
}
