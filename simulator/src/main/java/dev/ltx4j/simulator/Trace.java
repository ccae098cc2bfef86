package dev.ltx4j.simulator;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * The ordered record of what a simulation did. Every event folds into a 64-bit hash, so two runs of one seed can
 * be compared cheaply (equal hashes, equal histories); the last {@code tailSize} events are kept as text for
 * failure messages.
 */
public final class Trace {
    /** One recorded event at simulated time {@code nanos}. */
    public record Event(long nanos, String actor, String what) {
        @Override
        public String toString() {
            return String.format("%,12d us %-10s %s", nanos / 1000, actor, what);
        }
    }

    private final int tailSize;
    private final ArrayDeque<Event> tail;
    private long hash = 0xcbf29ce484222325L;
    private long count;

    /** A trace keeping the last 64 events as text. */
    public Trace() {
        this(Integer.getInteger("ltx4j.sim.tail", 64));
    }

    public Trace(int tailSize) {
        this.tailSize = tailSize;
        this.tail = new ArrayDeque<>(Math.max(1, tailSize));
    }

    /** Records an event and folds it into the hash. */
    public void record(long nanos, String actor, String what) {
        long h = hash;
        h = step(h, nanos);
        h = step(h, Seeds.nameHash(actor));
        h = step(h, Seeds.nameHash(what));
        hash = h;
        count++;
        if (tailSize > 0) {
            if (tail.size() == tailSize) {
                tail.removeFirst();
            }
            tail.addLast(new Event(nanos, actor, what));
        }
    }

    private static long step(long h, long value) {
        return Seeds.mix(h ^ value) * 0x100000001b3L + 0x2545f4914f6cdd1dL;
    }

    /** Hash of every event so far, in order. */
    public long hash() {
        return hash;
    }

    /** Hash as 16 hex digits. */
    public String hashHex() {
        return String.format("%016x", hash);
    }

    /** Events recorded so far. */
    public long count() {
        return count;
    }

    /** The most recent events, oldest first. */
    public List<Event> tail() {
        return new ArrayList<>(tail);
    }
}
