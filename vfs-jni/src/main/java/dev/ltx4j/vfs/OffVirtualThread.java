package dev.ltx4j.vfs;

import dev.ltx4j.vfs.engine.VirtualThreads;
import java.sql.SQLException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;

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
     * Runs {@code work} here, or on a new platform thread named {@code ltx4j-<what>} while this virtual thread waits
     * (unmounted). The caller's interrupt reaches the work as if it ran here (set at the start, or forwarded while
     * waiting) and stays set on the caller.
     */
    static <T> T call(String what, Work<T> work) throws SQLException {
        if (!isVirtual(Thread.currentThread())) return work.run();
        return hop(what, work, Thread::start);
    }

    /** Starts the worker thread; a seam for tests (starting fails when the process is out of native threads). */
    @FunctionalInterface
    interface Starter {
        void start(Thread worker);
    }

    /** {@link #call} past the virtual-thread check. */
    static <T> T hop(String what, Work<T> work, Starter starter) throws SQLException {
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
                    if (c instanceof SQLException s) throw s;
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
