/**
 * The litestream SQLite VFS: a native library that registers the VFS {@code litestream} in any SQLite
 * (sqlite-jdbc, the sqlite3 CLI, python3) and sends main-database I/O to a Java {@link dev.ltx4j.vfs.VfsDatabase}.
 *
 * <p>The storage engine plugs in by providing a {@link dev.ltx4j.vfs.DatabaseOpener} service; this module
 * provides {@link dev.ltx4j.vfs.EngineDatabaseOpener}.
 */
module dev.ltx4j.vfs {
    requires transitive dev.ltx4j.syncer;
    requires transitive java.sql;
    requires org.slf4j; // HostLogProvider: the log of sqlite3/python hosts
    // LitestreamDataSource installs a busy handler; sqlite-jdbc is on the class path of every JDBC user.
    requires static org.xerial.sqlitejdbc;

    exports dev.ltx4j.vfs;

    uses dev.ltx4j.vfs.DatabaseOpener;
    provides dev.ltx4j.vfs.DatabaseOpener with dev.ltx4j.vfs.EngineDatabaseOpener;
}
