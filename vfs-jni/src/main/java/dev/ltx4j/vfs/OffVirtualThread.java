package dev.ltx4j.vfs;

import dev.ltx4j.vfs.engine.VirtualThreads;
import java.sql.SQLException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.Semaphore;

/**
 * Runs a control call that takes engine locks ({@code syncLock}, the writer slot) on a platform thread when its
 * caller is a virtual thread (JDK 21+). Such a call can unmount while it holds a lock (a store's socket read, a
 * retry pause), and connections pinned in SQLite's native code (a {@code durability=remote} commit, {@code
 * litestream_sync()}) wait for that lock without giving their carrier back: with every carrier pinned the caller
 * never runs again. On a platform thread the holder always runs. docs/virtual-threads.md.
 */
final class OffVirtualThread {
    private OffVirtualThread() {}

    /** The work of one control call. */
    @FunctionalInterface
    interface Work<T> {
        T run() throws SQLException;
    }

    /**
     * How many bounded calls ({@link #call}) run on their own platform thread at once in this process; further
     * virtual callers wait for a turn unmounted (10,000 virtual threads calling syncNow() start 4 threads, not
     * 10,000). Their work waits for {@code syncLock}, whose holder always runs (docs/virtual-threads.md), and the
     * engine's own platform threads, so a turn always comes back.
     */
    static final int MAX_BOUNDED_HOPS = 4;

    static final Semaphore BOUNDED_HOPS = new Semaphore(MAX_BOUNDED_HOPS);

    /**
     * Runs {@code work} here, or on a platform thread named {@code ltx4j-<what>-<database>} while this virtual thread
     * waits (unmounted), at most {@link #MAX_BOUNDED_HOPS} at once. The caller's interrupt reaches the work as if it
     * ran here (set at the start, or forwarded while waiting) and stays set on the caller.
     */
    static <T> T call(String what, String database, Work<T> work) throws SQLException {
        if (!isVirtual(Thread.currentThread())) return work.run();
        return hop(what + "-" + database, work, Thread::start, BOUNDED_HOPS);
    }

    /**
     * {@link #call} without the bound, for work that waits for the writer slot (refresh): the slot's holder is an
     * application's open write transaction, whose thread may itself need a turn (a syncNow() inside it).
     */
    static <T> T callUnbounded(String what, String database, Work<T> work) throws SQLException {
        if (!isVirtual(Thread.currentThread())) return work.run();
        return hop(what + "-" + database, work, Thread::start, null);
    }

    /** Starts the worker thread; a seam for tests (starting fails when the process is out of native threads). */
    @FunctionalInterface
    interface Starter {
        void start(Thread worker);
    }

    /** {@link #call} past the virtual-thread check; {@code turns}: the bound, or null. */
    static <T> T hop(String what, Work<T> work, Starter starter, Semaphore turns) throws SQLException {
        if (turns != null) turns.acquireUninterruptibly(); // an interrupt meanwhile stays set, taken below
        try {
            return hop(what, work, starter);
        } finally {
            if (turns != null) turns.release();
        }
    }

    private static <T> T hop(String what, Work<T> work, Starter starter) throws SQLException {
        FutureTask<T> task = new FutureTask<>(work::run);
        Thread worker = new Thread(task, "ltx4j-" + what);
        worker.setDaemon(true);
        boolean interrupted = Thread.interrupted();
        if (interrupted) worker.interrupt();
        try {
            try {
                starter.start(worker);
            } catch (OutOfMemoryError | RuntimeException e) { // "unable to create native thread": do the work here
                if (interrupted) Thread.currentThread().interrupt();
                interrupted = false;
                return work.run();
            }
            while (true) {
                try {
                    T result = task.get();
                    worker.join();
                    return result;
                } catch (InterruptedException e) {
                    interrupted = true;
                    worker.interrupt();
                } catch (ExecutionException e) {
                    Throwable c = e.getCause();
                    if (c instanceof SQLException s) {
                        s.addSuppressed(new Exception("called from")); // the caller's stack: the worker's ends at run()
                        throw s;
                    }
                    if (c instanceof RuntimeException r) throw r;
                    if (c instanceof Error err) throw err;
                    throw new SQLException(what + " failed: " + c, c);
                }
            }
        } finally {
            if (interrupted) Thread.currentThread().interrupt();
        }
    }

    static boolean isVirtual(Thread t) {
        return VirtualThreads.isVirtual(t);
    }
}
