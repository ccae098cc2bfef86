/** Deterministic simulation (work of the simulator issue). */
module dev.ltx4j.simulator {
    requires transitive dev.ltx4j.syncer;
}
