/** Micrometer binder for the metrics of ltx4j databases (docs/metrics-and-logs.md). */
module dev.ltx4j.micrometer {
    requires transitive dev.ltx4j.syncer;
    requires transitive micrometer.core;

    exports dev.ltx4j.micrometer;
}
