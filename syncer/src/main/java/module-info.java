/** The remote-first database engine: shared database state, write sessions, sync, conflicts, polling. */
module dev.ltx4j.syncer {
    requires transitive dev.ltx4j.pagestore;

    exports dev.ltx4j.syncer;
}
