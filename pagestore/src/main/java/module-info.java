/** Page index, page cache and the crash-safe local write buffer. */
module dev.ltx4j.pagestore {
    requires transitive dev.ltx4j.replica;
    requires org.slf4j;

    exports dev.ltx4j.pagestore;
    exports dev.ltx4j.pagestore.replica;
    exports dev.ltx4j.pagestore.storage;
}
