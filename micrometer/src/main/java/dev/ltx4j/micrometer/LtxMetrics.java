package dev.ltx4j.micrometer;

import dev.ltx4j.replica.CountingReplicaClient;
import dev.ltx4j.replica.StoreRequests;
import dev.ltx4j.syncer.Database;
import dev.ltx4j.syncer.DatabaseStatus;
import dev.ltx4j.syncer.EngineMetrics;
import dev.ltx4j.syncer.MetricsSource;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.binder.MeterBinder;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.WeakHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;
import java.util.function.ToLongFunction;

/**
 * Registers the meters of docs/metrics-and-logs.md for one database, each tagged {@code database=<name>} and read
 * by polling {@link MetricsSource#metrics()} (nothing is pushed; the engine depends on no metrics library):
 *
 * <pre>{@code
 * LtxMetrics.bind(db, "app.db", registry);            // an engine Database
 * LtxMetrics.bind(vfs.database(path), "app.db", registry); // a JDBC application's LitestreamDatabase handle
 * }</pre>
 *
 * Binding the same name again in the same registry (the database was closed and opened again) moves the meters to
 * the new database: Micrometer keeps the first meter of a name and tags and ignores a second registration, so
 * without this the meters would follow the closed database for good. Counters stay monotonic across such a move and
 * across a counter that restarts inside the engine (the page cache's after a refresh or reload): what the previous
 * database (or cache) had counted is carried. The source is held weakly: a closed database that the application
 * dropped is collected, its gauges then report NaN and its counters their last value.
 */
public final class LtxMetrics implements MeterBinder {
    /** One binding per registry and database name, so a second bind finds the meters of the first. */
    private static final Map<MeterRegistry, Map<String, MetricsSlot>> SLOTS = new WeakHashMap<>();

    private final MetricsSource source;
    private final String name;
    private final Tags tags;

    /** @param name the {@code database} tag, e.g. the database's file name */
    public LtxMetrics(MetricsSource source, String name) {
        this.source = Objects.requireNonNull(source, "source");
        this.name = Objects.requireNonNull(name, "name");
        this.tags = Tags.of("database", name);
    }

    /** Kept for code compiled against the {@code Database} signature (binary compatibility). */
    public LtxMetrics(Database db, String name) {
        this((MetricsSource) db, name);
    }

    /** Kept for code compiled against the {@code Database} signature (binary compatibility). */
    public static void bind(Database db, String name, MeterRegistry registry) {
        bind((MetricsSource) db, name, registry);
    }

    /** Binds {@code source}'s meters to {@code registry}, tagged {@code database=name}. */
    public static void bind(MetricsSource source, String name, MeterRegistry registry) {
        new LtxMetrics(source, name).bindTo(registry);
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        // Under the lock throughout, so two concurrent binds of one name cannot split the meters between two slots.
        synchronized (SLOTS) {
            Map<String, MetricsSlot> byName = SLOTS.computeIfAbsent(registry, r -> new java.util.HashMap<>());
            MetricsSlot slot = byName.get(name);
            Map<String, List<Meter.Id>> existing = null; // a first bind of the name: nothing of ours to skip
            if (slot != null) {
                slot.switchTo(source); // the meters read this slot: point it at the new database
                // Existing meters keep reading this slot, so only meters removed since (or never created) are
                // registered: Micrometer would ignore a second registration of a function meter's id with a WARN
                // ("has been already registered"), which reads as a lost meter on a normal reopen. One scan of
                // the registry here: a find per meter scans every meter, quadratic in the databases bound.
                existing = new HashMap<>();
                for (Meter m : registry.getMeters()) {
                    if (name.equals(m.getId().getTag("database"))) {
                        existing.computeIfAbsent(m.getId().getName(), k -> new ArrayList<>()).add(m.getId());
                    }
                }
            } else {
                slot = new MetricsSlot(source);
                byName.put(name, slot); // the map holds the slot (Micrometer holds it weakly) while the registry lives
            }
            // A meter a MeterFilter denies is never created, whichever slot asks.
            register(registry, slot, existing);
        }
    }

    private void register(MeterRegistry registry, MetricsSlot slot, Map<String, List<Meter.Id>> existing) {
        ToDoubleFunction<MetricsSlot> syncs = slot.track("syncs", EngineMetrics::syncs);
        ToDoubleFunction<MetricsSlot> syncMillis = slot.track("syncMillis", EngineMetrics::syncMillis);
        if (absent(existing, "ltx4j.sync.duration", tags)) FunctionTimer.builder("ltx4j.sync.duration", slot, s -> (long) syncs.applyAsDouble(s),
                        syncMillis, TimeUnit.MILLISECONDS)
                .tags(tags).description("syncs that reached the replica and the clock time they took")
                .register(registry);
        counter(registry, existing, slot, "ltx4j.sync.bytes", "bytes", "LTX bytes uploaded",
                EngineMetrics::syncedBytes);
        counter(registry, existing, slot, "ltx4j.sync.pages", "pages", "pages uploaded",
                EngineMetrics::syncedPages);
        counter(registry, existing, slot, "ltx4j.sync.failures", null, "syncs that failed (retried next interval)",
                EngineMetrics::syncFailures);
        counter(registry, existing, slot, "ltx4j.conflicts", null, "conflicts raised", EngineMetrics::conflicts);
        counter(registry, existing, slot, "ltx4j.cache.hits", null, "page reads served by the page cache",
                EngineMetrics::cacheHits);
        counter(registry, existing, slot, "ltx4j.cache.misses", null, "page reads the cache did not hold",
                EngineMetrics::cacheMisses);
        gauge(registry, existing, slot, "ltx4j.pending.commits", null,
                "committed transactions not yet in the replica (a sync uploads them as one TXID)",
                m -> m.pendingCommits());
        gauge(registry, existing, slot, "ltx4j.pending.bytes", "bytes",
                "page bytes of transactions not yet in the replica",
                m -> m.pendingBytes());
        gauge(registry, existing, slot, "ltx4j.buffer.bytes", "bytes", "size of the write buffer's log file",
                m -> m.bufferBytes());
        counter(registry, existing, slot, "ltx4j.retries", null,
                "replica requests repeated after a retryable failure",
                EngineMetrics::replicaRetries);
        // One counter per kind and outcome, all registered up front: a series that appears only after its first
        // failure would make rate() queries miss it.
        for (String kind : CountingReplicaClient.KINDS) {
            for (String outcome : CountingReplicaClient.OUTCOMES) {
                ToDoubleFunction<MetricsSlot> f =
                        slot.track("replica/" + kind + "/" + outcome, m -> m.replicaRequests(kind, outcome));
                Tags t = tags.and("kind", kind, "outcome", outcome);
                if (!absent(existing, "ltx4j.replica.requests", t)) continue;
                FunctionCounter.builder("ltx4j.replica.requests", slot, f).tags(t)
                        .description("requests to the replica backend by kind and outcome, each attempt counted")
                        .register(registry);
            }
        }
        // The same requests as the store counts and bills them (HTTP attempts: SDK retries, listing pages, upload
        // parts, HEADs), all registered up front; zero for a backend that makes no HTTP requests (file://).
        for (String kind : StoreRequests.KINDS) {
            for (String outcome : StoreRequests.OUTCOMES) {
                ToDoubleFunction<MetricsSlot> f =
                        slot.track("store/" + kind + "/" + outcome, m -> m.storeRequests(kind, outcome));
                Tags t = tags.and("kind", kind, "outcome", outcome);
                if (!absent(existing, "ltx4j.store.requests", t)) continue;
                FunctionCounter.builder("ltx4j.store.requests", slot, f).tags(t)
                        .description("HTTP requests to the object store by kind and outcome, as the store bills them")
                        .register(registry);
            }
        }
        // -1 ("unknown": a follower before its first complete poll) would export as a negative duration: NaN.
        if (absent(existing, "ltx4j.replica.lag", tags)) TimeGauge.builder("ltx4j.replica.lag", slot, TimeUnit.MILLISECONDS,
                        s -> s.gauge(m -> m.lagMillis() < 0 ? Double.NaN : m.lagMillis()))
                .tags(tags).description("replica lag: write mode, how long the oldest unsynced commit has waited "
                        + "(0 when none); read mode, time since the follower was last known current; NaN while unknown")
                .register(registry);
        // States an alert needs, which counters only show as an increase in some window.
        status(registry, existing, slot, "ltx4j.conflicted", "1 while the database is conflicted (commits refused until a "
                + "refresh), else 0", st -> st.conflict() != null ? 1 : 0);
        status(registry, existing, slot, "ltx4j.failing", "1 while the last sync (write mode) or poll (read mode) failed, else 0"
                + " (the reason is litestream_status()'s last_error)", st -> st.lastError() != null ? 1 : 0);
        status(registry, existing, slot, "ltx4j.txid", "replica TXID the database has synced (write mode; its commits not yet "
                + "synced are ltx4j.pending.commits) or holds (read mode)", st -> unsigned(st.txid()));
    }

    private void counter(MeterRegistry registry, Map<String, List<Meter.Id>> existing, MetricsSlot slot,
            String meter, String unit, String description,
            ToLongFunction<EngineMetrics> field) {
        ToDoubleFunction<MetricsSlot> f = slot.track(meter, field);
        if (!absent(existing, meter, tags)) return;
        FunctionCounter.builder(meter, slot, f)
                .tags(tags).baseUnit(unit).description(description).register(registry);
    }

    private void gauge(MeterRegistry registry, Map<String, List<Meter.Id>> existing, MetricsSlot slot,
            String meter, String unit, String description,
            ToDoubleFunction<EngineMetrics> field) {
        if (!absent(existing, meter, tags)) return;
        Gauge.builder(meter, slot, s -> s.gauge(field))
                .tags(tags).baseUnit(unit).description(description).register(registry);
    }

    private void status(MeterRegistry registry, Map<String, List<Meter.Id>> existing, MetricsSlot slot,
            String meter, String description,
            ToDoubleFunction<DatabaseStatus> field) {
        if (!absent(existing, meter, tags)) return;
        Gauge.builder(meter, slot, s -> s.status(field)).tags(tags).description(description).register(registry);
    }

    /** Whether no meter {@code meter} with {@code meterTags} is among {@code existing} (null: a first bind). */
    private static boolean absent(Map<String, List<Meter.Id>> existing, String meter, Tags meterTags) {
        if (existing == null) return true;
        for (Meter.Id id : existing.getOrDefault(meter, List.of())) {
            // As Micrometer's search: the meter carries these tags (and perhaps common ones the registry adds).
            if (meterTags.stream().allMatch(t -> t.getValue().equals(id.getTag(t.getKey())))) return false;
        }
        return true;
    }

    /** LTX TXIDs are unsigned 64-bit; past 2^53 the double is approximate. */
    static double unsigned(long txid) {
        return txid >= 0 ? txid : (double) (txid >>> 1) * 2 + (txid & 1);
    }
}
