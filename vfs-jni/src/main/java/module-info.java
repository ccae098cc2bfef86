/** The litestream SQLite VFS (work of the VFS issue). */
module dev.ltx4j.vfs {
    requires transitive dev.ltx4j.syncer;
}
