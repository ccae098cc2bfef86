/** Sync, conflict prevention, recovery and polling (work of the engine issue). */
module dev.ltx4j.syncer {
    requires transitive dev.ltx4j.pagestore;

    exports dev.ltx4j.syncer;
}
