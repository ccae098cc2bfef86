package dev.ltx4j.micrometer;

import dev.ltx4j.syncer.DatabaseStatus;
import dev.ltx4j.syncer.EngineMetrics;
import dev.ltx4j.syncer.MetricsSource;

import java.lang.ref.WeakReference;
import java.util.HashMap;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import java.util.function.ToLongFunction;

/**
 * What the meters of one database name in one registry read: the current source (held weakly, so a closed and
 * dropped database is collected) and, per counter, what earlier sources or an engine counter that restarted had
 * counted, so the registry's counters never go down (a step registry would report a negative increase, Prometheus a
 * reset). See {@link LtxMetrics}.
 */
final class MetricsSlot {
    private WeakReference<MetricsSource> source;
    /** The source's engine ({@link MetricsSource#engineIdentity()}), weakly: it outlives a dropped handle. */
    private WeakReference<Object> engine;
    private final Map<String, Counter> counters = new HashMap<>();

    /** One engine counter: what earlier sources (or the engine before a restart of it) counted, and its last value. */
    private static final class Counter {
        final ToLongFunction<EngineMetrics> field;
        long carried;
        long last;

        Counter(ToLongFunction<EngineMetrics> field) {
            this.field = field;
        }

        void read(EngineMetrics m) {
            long v = field.applyAsLong(m);
            if (v < last) {
                carried += last; // the engine's counter restarted (a new page cache): carry what it had counted
            }
            last = v;
        }
    }

    MetricsSlot(MetricsSource source) {
        this.source = new WeakReference<>(source);
        this.engine = new WeakReference<>(source.engineIdentity());
    }

    /** Defines counter {@code name} and returns what its meter reads. */
    synchronized ToDoubleFunction<MetricsSlot> track(String name, ToLongFunction<EngineMetrics> field) {
        counters.putIfAbsent(name, new Counter(field));
        return s -> s.counter(name);
    }

    /**
     * Moves the meters to {@code next}: every counter takes the previous source's final value (if it is still
     * reachable: what it counted since the last scrape), carries it, and restarts from the new source. A source of
     * the same engine (the same one again, another handle of the still open database) continues the same counters:
     * only the reference changes, or its whole history would be counted twice.
     */
    synchronized void switchTo(MetricsSource next) {
        Object nextEngine = next.engineIdentity();
        if (engine.get() == nextEngine) {
            source = new WeakReference<>(next);
            return;
        }
        EngineMetrics last = metrics();
        for (Counter c : counters.values()) {
            if (last != null) c.read(last);
            c.carried += c.last;
            c.last = 0;
        }
        source = new WeakReference<>(next);
        engine = new WeakReference<>(nextEngine);
    }

    /** A monotonic counter: the source's value plus what was carried; the last value once the source is gone. */
    synchronized double counter(String name) {
        Counter c = counters.get(name);
        EngineMetrics m = metrics();
        if (m != null) c.read(m);
        return (double) c.carried + c.last;
    }

    /** A gauge of the source's metrics, NaN once the source is gone or closed. */
    double gauge(ToDoubleFunction<EngineMetrics> field) {
        EngineMetrics m = metrics();
        return m == null ? Double.NaN : field.applyAsDouble(m);
    }

    /** A gauge of the source's status, NaN once the source is gone or closed. */
    double status(ToDoubleFunction<DatabaseStatus> field) {
        MetricsSource s;
        synchronized (this) {
            s = source.get();
        }
        if (s == null) return Double.NaN;
        try {
            return field.applyAsDouble(s.status());
        } catch (IllegalStateException closed) { // a closed LitestreamDatabase handle
            return Double.NaN;
        }
    }

    private EngineMetrics metrics() {
        MetricsSource s;
        synchronized (this) {
            s = source.get();
        }
        if (s == null) return null;
        try {
            return s.metrics();
        } catch (IllegalStateException closed) { // a closed LitestreamDatabase handle
            return null;
        }
    }
}
