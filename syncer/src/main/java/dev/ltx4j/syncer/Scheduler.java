package dev.ltx4j.syncer;

import dev.ltx4j.replica.EngineClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Owner of one database's threads: a single daemon thread, started on first use, that calls the step function
 * (sync or poll) with the engine clock's time every interval, one call at a time, and runs the engine's one-off
 * background work ({@link #execute}: closing replaced write-buffer generations). Nothing else in the engine
 * starts a thread. Background work may be sent to an executor from the options instead (the simulator runs it
 * inline, with no thread at all). Every failure of background work is logged through SLF4J and counted
 * ({@link #failures()}), never swallowed; step functions report their expected failures in their result, so
 * only bugs reach the handler, and the loop never dies.
 */
final class Scheduler implements Executor, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Scheduler.class);

    /** How long {@link #close()} waits for a running step to end before it abandons it (with a warning). */
    static final Duration CLOSE_WAIT = Duration.ofSeconds(30);

    private final String threadName;
    private final EngineClock clock;
    private final Executor background;
    private final Duration closeWait;
    private final AtomicLong failures = new AtomicLong();
    /** Failures in a row per kind of work ("step", a lane's step, "background task"): only the first is a WARN. */
    private final Map<String, AtomicLong> streaks = new ConcurrentHashMap<>();
    private volatile Consumer<String> stepFailureReport;
    /** What each of this scheduler's threads is running now, for the warning of a close that gives up. */
    private final Map<Thread, String> running = new ConcurrentHashMap<>();
    private String laneName;
    private ScheduledExecutorService executor;
    /** A second thread for slow periodic work (compaction), so it never delays the step; null until started. */
    private ScheduledExecutorService lane;
    /** The threads of {@link #executor} and {@link #lane}, so a close called on one of them does not wait for itself. */
    private volatile Thread stepThread;
    private volatile Thread laneThread;
    private boolean periodic;
    private boolean closed;

    /** @param background where one-off work runs; null: on this scheduler's thread */
    Scheduler(String threadName, EngineClock clock, Executor background) {
        this(threadName, clock, background, CLOSE_WAIT);
    }

    /** @param closeWait how long {@link #close()} waits for each thread's running work (tests: shorter) */
    Scheduler(String threadName, EngineClock clock, Executor background, Duration closeWait) {
        this.threadName = threadName;
        this.clock = clock;
        this.background = background;
        this.closeWait = closeWait;
    }

    /** Calls {@code step} with the clock's time every {@code interval}; once (later calls do nothing). */
    synchronized void start(Duration interval, Consumer<Instant> step) {
        if (periodic || closed) {
            return;
        }
        periodic = true;
        long nanos = interval.toNanos();
        thread().scheduleWithFixedDelay(guarded(() -> step.accept(clock.instant()), "step"), nanos, nanos,
                TimeUnit.NANOSECONDS);
    }

    /**
     * Calls {@code step} with the clock's time every {@code interval} on a thread of its own named {@code laneName}
     * (slow work such as compaction: a long run never delays the main step); once.
     */
    synchronized void startLane(String laneName, Duration interval, Consumer<Instant> step) {
        if (lane != null || closed) {
            return;
        }
        this.laneName = laneName;
        lane = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, laneName);
            t.setDaemon(true);
            laneThread = t;
            return t;
        });
        long nanos = interval.toNanos();
        lane.scheduleWithFixedDelay(guarded(() -> step.accept(clock.instant()), laneName + " step"), nanos, nanos,
                TimeUnit.NANOSECONDS);
    }

    /** Runs {@code task} in the background; after {@link #close()} on the caller's thread. */
    @Override
    public void execute(Runnable task) {
        Runnable r = guarded(task, "background task");
        if (background != null) {
            background.execute(r);
            return;
        }
        synchronized (this) {
            if (!closed) {
                try {
                    thread().execute(r);
                    return;
                } catch (RejectedExecutionException e) {
                    // shutting down: run it here
                }
            }
        }
        r.run();
    }

    /** How many background runs failed with an unexpected exception since the database opened. */
    long failures() {
        return failures.get();
    }

    private ScheduledExecutorService thread() {
        if (executor == null) {
            executor = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, threadName);
                t.setDaemon(true);
                stepThread = t;
                return t;
            });
        }
        return executor;
    }

    /**
     * Where a failure of the periodic step (sync or poll) is reported besides the log: the database's last error, so
     * the status shows a step that keeps failing on something no sync result could carry (an Error).
     */
    void reportStepFailuresTo(Consumer<String> report) {
        this.stepFailureReport = report;
    }

    private Runnable guarded(Runnable task, String what) {
        return () -> {
            Thread self = Thread.currentThread();
            String outer = running.put(self, what);
            try {
                task.run();
                succeeded(what);
            } catch (RuntimeException e) {
                failed(what, e);
            } catch (Error e) {
                // An Error too (OutOfMemoryError of direct buffer memory, StackOverflowError): one escaping a periodic
                // task would cancel it for good, silently (ScheduledExecutorService keeps it in a Future nobody reads),
                // so the database would stop syncing while commits go on (docs/field-probes.md, round 6).
                rethrowThreadDeath(e);
                failed(what, e);
            } finally {
                if (outer == null) {
                    running.remove(self);
                } else {
                    running.put(self, outer); // inline background work inside a step
                }
            }
        };
    }

    /**
     * Counts the failure and logs the first of a streak at WARN with its stack trace, the rest at DEBUG (a step fails
     * every interval: 200 databases would log 200 traces a second). Logging or reporting may throw itself (a heap
     * OutOfMemoryError): that is dropped here, since escaping would cancel the periodic task all the same.
     */
    private void failed(String what, Throwable e) {
        failures.incrementAndGet();
        try {
            long n = streaks.computeIfAbsent(what, k -> new AtomicLong()).incrementAndGet();
            if (n == 1) {
                LOG.warn("{}: {} failed (logged at DEBUG until it works again)", threadName, what, e);
            } else {
                LOG.debug("{}: {} failed again ({} in a row)", threadName, what, n, e);
            }
            Consumer<String> report = stepFailureReport;
            if (report != null && what.equals("step")) {
                report.accept(what + " failed: " + dev.ltx4j.replica.internal.UserMessages.describe(e));
            }
        } catch (RuntimeException | Error logging) {
            rethrowThreadDeath(logging);
        }
    }

    private void succeeded(String what) {
        AtomicLong streak = streaks.get(what);
        if (streak == null || streak.get() == 0) {
            return;
        }
        long n = streak.getAndSet(0);
        try {
            LOG.info("{}: {} works again after {} failure(s) in a row", threadName, what, n);
        } catch (RuntimeException | Error logging) {
            rethrowThreadDeath(logging);
        }
    }

    @SuppressWarnings("removal") // ThreadDeath: Thread.stop's, which must end the thread (JDK 17 still has it)
    private static void rethrowThreadDeath(Throwable e) {
        if (e instanceof ThreadDeath death) {
            throw death;
        }
    }

    /**
     * Stops the steps and waits for running and queued work, at most {@link #CLOSE_WAIT} per thread; work still
     * running then is interrupted and abandoned, and a warning names it and the queued work dropped. Later background
     * work runs on the caller's thread. Called on one of this scheduler's threads, it does not wait for that one.
     */
    @Override
    public void close() {
        ScheduledExecutorService e;
        ScheduledExecutorService l;
        synchronized (this) {
            closed = true;
            e = executor;
            l = lane;
        }
        if (l != null) {
            l.shutdown(); // a running compaction step finishes; awaited below with the main thread
        }
        if (e != null) {
            awaitStopped(e, threadName, stepThread);
        }
        if (l != null) {
            awaitStopped(l, laneName, laneThread);
        }
    }

    /**
     * Waits even when the closing thread is interrupted (kept for its caller): returning early left a sync step
     * running while the engine closed its buffer and let the next open take the buffer under it. Bounded, so a step
     * stuck in a request without a timeout cannot hold the close (and a process exit) forever; what it gives up on
     * is logged at warn.
     */
    private void awaitStopped(ScheduledExecutorService e, String name, Thread own) {
        e.shutdown();
        if (own == Thread.currentThread()) {
            // A close called from this executor's own thread (a step or background task closing the database):
            // waiting would wait the full bound for itself and then interrupt the closing thread. Its queued work runs
            // when the close returns, as the wait would have let it.
            return;
        }
        if (ThreadStops.await(e, closeWait)) {
            return;
        }
        List<Thread> threads = new ArrayList<>();
        StringBuilder what = new StringBuilder();
        running.forEach((t, w) -> {
            if (t.getName().equals(name)) {
                threads.add(t);
                what.append(what.length() == 0 ? "" : ", ").append(w);
            }
        });
        List<Runnable> dropped = e.shutdownNow(); // interrupts the running work
        LOG.warn("{}: close waited {} and abandoned {} (interrupted; it ends with its current call): {}; {} queued"
                + " background task(s) dropped", name, ThreadStops.go(closeWait),
                what.length() == 0 ? "the thread's work" : what, ThreadStops.describe(threads), dropped.size());
    }
}
