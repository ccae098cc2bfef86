/**
 * Deterministic simulation testing: one seed drives a simulated clock, a single-threaded scheduler, a faulty
 * object store and a crashing local disk; seeded generators, a property runner with delta-debugging shrinking,
 * and workloads with oracles for durability and no-fork properties.
 */
module dev.ltx4j.simulator {
    requires transitive dev.ltx4j.replica;
    requires transitive dev.ltx4j.pagestore;
    requires transitive dev.ltx4j.pagestore.testkit;
    requires dev.ltx4j.syncer;
    requires dev.ltx4j.compaction;
    requires dev.ltx4j.vfs;
    requires java.sql;
    requires java.management;

    exports dev.ltx4j.simulator;
    exports dev.ltx4j.simulator.store;
    exports dev.ltx4j.simulator.disk;
    exports dev.ltx4j.simulator.property;
    exports dev.ltx4j.simulator.workload;
}
