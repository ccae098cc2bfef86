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
}
