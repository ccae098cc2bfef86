/** Page index, page cache and the crash-safe local write buffer (work of the engine issue). */
module dev.ltx4j.pagestore {
    requires transitive dev.ltx4j.replica;
}
