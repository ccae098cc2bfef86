/**
 * The litestream SQLite VFS: a native library that registers the VFS {@code litestream} in any SQLite
 * (sqlite-jdbc, the sqlite3 CLI, python3) and sends main-database I/O to a Java {@link dev.ltx4j.vfs.VfsDatabase}.
 *
 * <p>The storage engine plugs in by providing a {@link dev.ltx4j.vfs.DatabaseOpener} service.
 */
module dev.ltx4j.vfs {
    requires transitive dev.ltx4j.syncer;
    requires java.sql;

    exports dev.ltx4j.vfs;

    uses dev.ltx4j.vfs.DatabaseOpener;
}
