/**
 * The database engine: one shared state per replica and database name, sync with conflict prevention, recovery
 * from the write buffer, and read-mode polling.
 */
module dev.ltx4j.syncer {
    requires transitive dev.ltx4j.pagestore;
    requires transitive dev.ltx4j.compaction;
    requires org.slf4j;

    exports dev.ltx4j.syncer;
}
