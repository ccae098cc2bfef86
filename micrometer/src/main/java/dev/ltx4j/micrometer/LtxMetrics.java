package dev.ltx4j.micrometer;

import dev.ltx4j.replica.CountingReplicaClient;
import dev.ltx4j.replica.StoreRequests;
import dev.ltx4j.syncer.Database;
import dev.ltx4j.syncer.EngineMetrics;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.binder.MeterBinder;

import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;

/**
 * Registers the meters of docs/metrics-and-logs.md for one database, each tagged {@code database=<name>} and read
 * by polling {@link Database#metrics()} (nothing is pushed; the engine depends on no metrics library):
 *
 * <pre>{@code
 * LtxMetrics.bind(db, "app.db", registry);
 * }</pre>
 *
 * Meters hold the database weakly, as Micrometer's function meters do: after the database is closed and collected
 * they report NaN; remove them from the registry when the database is closed for good.
 */
public final class LtxMetrics implements MeterBinder {
    private final Database db;
    private final Tags tags;

    /** @param name the {@code database} tag, e.g. the database's file name */
    public LtxMetrics(Database db, String name) {
        this.db = Objects.requireNonNull(db, "db");
        this.tags = Tags.of("database", Objects.requireNonNull(name, "name"));
    }

    /** Binds {@code db}'s meters to {@code registry}, tagged {@code database=name}. */
    public static void bind(Database db, String name, MeterRegistry registry) {
        new LtxMetrics(db, name).bindTo(registry);
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        FunctionTimer.builder("ltx4j.sync.duration", db, d -> d.metrics().syncs(), d -> d.metrics().syncMillis(),
                        TimeUnit.MILLISECONDS)
                .tags(tags).description("syncs that reached the replica and the clock time they took")
                .register(registry);
        counter(registry, "ltx4j.sync.bytes", "bytes", "LTX bytes uploaded", EngineMetrics::syncedBytes);
        counter(registry, "ltx4j.sync.pages", "pages", "pages uploaded", EngineMetrics::syncedPages);
        counter(registry, "ltx4j.sync.failures", null, "syncs that failed (retried next interval)",
                EngineMetrics::syncFailures);
        counter(registry, "ltx4j.conflicts", null, "conflicts raised", EngineMetrics::conflicts);
        counter(registry, "ltx4j.cache.hits", null, "page reads served by the page cache", EngineMetrics::cacheHits);
        counter(registry, "ltx4j.cache.misses", null, "page reads the cache did not hold",
                EngineMetrics::cacheMisses);
        gauge(registry, "ltx4j.pending.commits", null, "committed transactions not yet in the replica",
                EngineMetrics::pendingCommits);
        gauge(registry, "ltx4j.pending.bytes", "bytes", "page bytes of transactions not yet in the replica",
                EngineMetrics::pendingBytes);
        gauge(registry, "ltx4j.buffer.bytes", "bytes", "size of the write buffer's log file",
                EngineMetrics::bufferBytes);
        counter(registry, "ltx4j.retries", null, "replica requests repeated after a retryable failure",
                EngineMetrics::replicaRetries);
        // One counter per kind and outcome, all registered up front: a series that appears only after its first
        // failure would make rate() queries miss it.
        for (String kind : CountingReplicaClient.KINDS) {
            for (String outcome : CountingReplicaClient.OUTCOMES) {
                FunctionCounter.builder("ltx4j.replica.requests", db, d -> d.metrics().replicaRequests(kind, outcome))
                        .tags(tags.and("kind", kind, "outcome", outcome))
                        .description("requests to the replica backend by kind and outcome, each attempt counted")
                        .register(registry);
            }
        }
        // The same requests as the store counts and bills them (HTTP attempts: SDK retries, listing pages, upload
        // parts, HEADs), all registered up front; zero for a backend that makes no HTTP requests (file://).
        for (String kind : StoreRequests.KINDS) {
            for (String outcome : StoreRequests.OUTCOMES) {
                FunctionCounter.builder("ltx4j.store.requests", db, d -> d.metrics().storeRequests(kind, outcome))
                        .tags(tags.and("kind", kind, "outcome", outcome))
                        .description("HTTP requests to the object store by kind and outcome, as the store bills them")
                        .register(registry);
            }
        }
        TimeGauge.builder("ltx4j.replica.lag", db, TimeUnit.MILLISECONDS, d -> d.metrics().lagMillis())
                .tags(tags).description("replica lag; -1 while unknown").register(registry);
    }

    private void counter(MeterRegistry registry, String name, String unit, String description,
            ToDoubleFunction<EngineMetrics> field) {
        FunctionCounter.builder(name, db, d -> field.applyAsDouble(d.metrics()))
                .tags(tags).baseUnit(unit).description(description).register(registry);
    }

    private void gauge(MeterRegistry registry, String name, String unit, String description,
            ToDoubleFunction<EngineMetrics> field) {
        Gauge.builder(name, db, d -> field.applyAsDouble(d.metrics()))
                .tags(tags).baseUnit(unit).description(description).register(registry);
    }
}
