package dev.ltx4j.simulator;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.PriorityQueue;

/**
 * The single-threaded event loop of a simulation. Events run in order of simulated time, ties broken by the
 * order they were scheduled (a sequence number), so one seed always gives one order. Running an event first
 * moves the clock to its time (never back: a step that took simulated time, e.g. a slow request, makes later
 * events run late, as they would on a real machine) and records it in the trace. No threads, no sleeping.
 *
 * <p>Exceptions thrown by an action stop the loop and propagate out of {@link #run}, wrapped in
 * {@link SimulationException} unless they are already unchecked.
 */
public final class Scheduler {

    /** A step of an actor; may throw, which ends the run. */
    @FunctionalInterface
    public interface Action {
        void run(long nowNanos) throws Exception;
    }

    private record Event(long time, long seq, String actor, String label, Action action)
            implements Comparable<Event> {
        @Override
        public int compareTo(Event o) {
            int c = Long.compare(time, o.time);
            return c != 0 ? c : Long.compare(seq, o.seq);
        }
    }

    /** Cancels a repeating or pending event. */
    public interface Handle {
        void cancel();
    }

    private final SimClock clock;
    private final Trace trace;
    private final PriorityQueue<Event> queue = new PriorityQueue<>();
    private long seq;
    private long executed;
    private boolean stopped;

    public Scheduler(SimClock clock, Trace trace) {
        this.clock = Objects.requireNonNull(clock, "clock");
        this.trace = Objects.requireNonNull(trace, "trace");
    }

    /** Runs {@code action} at simulated time {@code nanos} (now if in the past). */
    public void at(long nanos, String actor, String label, Action action) {
        queue.add(new Event(Math.max(nanos, clock.nanoTime()), seq++, actor, label, action));
    }

    /** Runs {@code action} after {@code delay} of simulated time. */
    public void after(Duration delay, String actor, String label, Action action) {
        at(clock.nanoTime() + delay.toNanos(), actor, label, action);
    }

    /**
     * Runs {@code action} every {@code interval}, first after one interval (the "call syncOnce(now) every
     * interval" shape). The next run is scheduled after this one returns, an interval after its start.
     */
    public Handle every(Duration interval, String actor, String label, Action action) {
        long step = interval.toNanos();
        if (step <= 0) {
            throw new IllegalArgumentException("interval of " + actor + " must be positive: " + interval);
        }
        boolean[] cancelled = {false};
        Action[] self = new Action[1];
        self[0] = now -> {
            if (cancelled[0]) {
                return;
            }
            action.run(now);
            if (!cancelled[0]) {
                at(now + step, actor, label, self[0]);
            }
        };
        at(clock.nanoTime() + step, actor, label, self[0]);
        return () -> cancelled[0] = true;
    }

    /** One scripted action of a workload. */
    @FunctionalInterface
    public interface Step<A> {
        void apply(A action) throws Exception;
    }

    /**
     * Plays {@code actions} as {@code actor}, one every {@code interval} (each recorded in the trace), and stops the
     * run after the last one: every scenario's workload driver.
     */
    public <A> Handle play(Duration interval, String actor, List<A> actions, Step<A> step) {
        int[] next = {0};
        return every(interval, actor, "step", now -> {
            if (next[0] >= actions.size()) {
                stop();
                return;
            }
            A a = actions.get(next[0]++);
            trace.record(clock.nanoTime(), actor, a.toString());
            step.apply(a);
        });
    }

    /** Makes {@link #run} return after the current event. */
    public void stop() {
        stopped = true;
    }

    /**
     * Runs events until the queue is empty, {@link #stop()} is called, simulated time would pass
     * {@code untilNanos}, or {@code maxEvents} events ran.
     *
     * @return the number of events run by this call
     */
    public long run(long untilNanos, long maxEvents) {
        stopped = false;
        long ran = 0;
        while (!stopped && ran < maxEvents && !queue.isEmpty() && queue.peek().time <= untilNanos) {
            Event e = queue.poll();
            clock.advanceTo(e.time);
            long now = clock.nanoTime();
            trace.record(now, e.actor, e.label);
            try {
                e.action.run(now);
            } catch (RuntimeException | Error ex) {
                throw ex;
            } catch (Exception ex) {
                throw new SimulationException("actor " + e.actor + " failed at " + e.label + ": " + ex, ex);
            }
            ran++;
            executed++;
        }
        return ran;
    }

    /** Events waiting. */
    public int pending() {
        return queue.size();
    }

    /** Events run since creation. */
    public long executed() {
        return executed;
    }
}
