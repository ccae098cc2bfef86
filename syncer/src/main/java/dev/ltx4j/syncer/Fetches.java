package dev.ltx4j.syncer;

import dev.ltx4j.pagestore.replica.ParallelFetcher;
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

    private final ParallelFetcher fetcher;
    private final ThreadPoolExecutor pool;
    private final Executor executor;

    Fetches(Database db) {
        Executor e = db.options.background;
        if (e == null) {
            pool = new ThreadPoolExecutor(16, 16, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
                Thread t = new Thread(r, "ltx4j-fetch-" + db.name);
                t.setDaemon(true);
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

    @Override
    public void close() {
        if (pool != null) {
            pool.shutdownNow();
        }
    }
}
