package dev.ltx4j.syncer;

import dev.ltx4j.pagestore.replica.ParallelFetcher;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The parallel ranged reads of one database (docs/hydration.md): whole-file downloads of large replica files
 * (verification on a cold read, hydration) go through one {@link ParallelFetcher}. Its threads are this class's
 * own, daemon, created on first use and gone 30 s after the last fetch; with an executor in the options (the
 * simulator's direct one) no thread is ever started and chunks are fetched inline, in order.
 */
final class Fetches implements AutoCloseable {
    /** Reads of a restore plan's files (header and page index) an open keeps in flight. */
    static final int PLAN_READS_AHEAD = 16;

    /** How long {@link #close()} waits for interrupted fetches to end before it gives up on them (with a warning). */
    static final Duration CLOSE_WAIT = Duration.ofSeconds(10);

    private final String name;
    private final ParallelFetcher fetcher;
    private final ThreadPoolExecutor pool;
    private final Executor executor;
    private final Duration closeWait;
    /** The pool's live threads (each removes itself when it ends), named in the warning of a close that gives up. */
    private final Set<Thread> threads = ConcurrentHashMap.newKeySet();

    Fetches(Database db) {
        this(db, CLOSE_WAIT);
    }

    /** @param closeWait how long {@link #close()} waits for running fetches (tests: shorter) */
    Fetches(Database db, Duration closeWait) {
        this.name = db.name;
        this.closeWait = closeWait;
        Executor e = db.options.background;
        if (e == null) {
            pool = new ThreadPoolExecutor(16, 16, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
                Thread t = new Thread(() -> {
                    try {
                        r.run();
                    } finally {
                        threads.remove(Thread.currentThread());
                    }
                }, "ltx4j-fetch-" + db.name);
                t.setDaemon(true);
                threads.add(t);
                return t;
            });
            pool.allowCoreThreadTimeOut(true);
            e = pool;
        } else {
            pool = null;
        }
        this.executor = e;
        this.fetcher = new ParallelFetcher(db.client, e, db.options.clock::nanoTime);
    }

    /** The fetch threads (or the options' executor): also where an open reads its plan's files ahead. */
    Executor executor() {
        return executor;
    }

    ParallelFetcher fetcher() {
        return fetcher;
    }

    /**
     * Interrupts the fetches in flight (their reads are over: the last connection closed, hydration stopped) and waits
     * up to {@link #CLOSE_WAIT} for them to end, so no fetch thread reads through the replica client after the
     * database closed it; one that does not end in time is abandoned and named in a warning.
     */
    @Override
    public void close() {
        if (pool == null) {
            return;
        }
        if (threads.contains(Thread.currentThread())) {
            // Closed from a fetch thread: interrupt the others but not the closing thread, and do not wait for it.
            pool.shutdown();
            pool.getQueue().clear();
            threads.forEach(t -> {
                if (t != Thread.currentThread()) {
                    t.interrupt();
                }
            });
            return;
        }
        List<Runnable> dropped = pool.shutdownNow();
        if (!ThreadStops.await(pool, closeWait)) {
            Database.log().warn("database \"{}\": close waited {} for its replica fetches and abandoned {} still"
                    + " running (interrupted; each ends with its current request): {}; {} queued fetch(es) dropped",
                    name, ThreadStops.go(closeWait), pool.getActiveCount(), ThreadStops.describe(threads),
                    dropped.size());
        }
    }
}
