/**
 * Compaction of a replica's LTX levels (Litestream's semantics), level-9 snapshots, and retention: step functions
 * that an owner (the engine's scheduler, the CLI, a simulator actor) calls with the time; no threads, no sleeps.
 */
module dev.ltx4j.compaction {
    requires transitive dev.ltx4j.replica;
    requires org.slf4j;
    exports dev.ltx4j.compaction;
}
