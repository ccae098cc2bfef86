package dev.ltx4j.syncer;

/**
 * What a metrics binder polls for one database: {@link Database} itself, or the VFS's {@code LitestreamDatabase}
 * handle (which JDBC applications hold; they never see the engine's {@code Database}). See
 * docs/metrics-and-logs.md.
 */
public interface MetricsSource {
    /** The database's name. */
    String name();

    /** Counters since the open and gauges; see {@link EngineMetrics}. */
    EngineMetrics metrics();

    /** What {@code litestream_status()} shows. */
    DatabaseStatus status();

    /**
     * The engine instance whose counters {@link #metrics()} reads: sources with the same identity share counters
     * (two {@code LitestreamDatabase} handles of one open database, or the same source bound twice), so a binder
     * that moves its meters between them must not carry the counts again. Not checked for closing.
     */
    default Object engineIdentity() {
        return this;
    }
}
