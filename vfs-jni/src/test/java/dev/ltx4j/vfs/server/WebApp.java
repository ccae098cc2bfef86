package dev.ltx4j.vfs.server;

import dev.ltx4j.vfs.LitestreamVfs;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A web application as a server deploys it: loaded by its own class loader ({@link ServerChild}), with its own copy
 * of ltx4j (and of sqlite-jdbc, unless the server shares it). Called reflectively with strings only, so nothing of
 * its loader leaks into the server's.
 */
public final class WebApp {
    private static LitestreamVfs.Registration vfs;
    private static final List<Connection> OPEN = new ArrayList<>();

    private WebApp() {
    }

    /** Registers {@code vfsName} on the replica (sync interval 1 h: commits stay in the buffer). */
    public static String deploy(String url, String buffer, String vfsName) throws Exception {
        vfs = LitestreamVfs.builder().replica(url).writeEnabled(true).bufferPath(Path.of(buffer))
                .syncInterval(Duration.ofHours(1)).register(vfsName);
        return "deployed";
    }

    /** Opens a connection (kept until {@link #undeploy}), inserts {@code rows} rows, returns the row count. */
    public static String write(String db, String rows) throws Exception {
        Connection c = vfs.connect(Path.of(db));
        OPEN.add(c);
        try (Statement s = c.createStatement()) {
            s.execute("create table if not exists t(id integer primary key, v text)");
            for (int i = 0; i < Integer.parseInt(rows); i++) s.execute("insert into t(v) values ('x')");
        }
        return count(c);
    }

    /** The row count through a new connection (kept open). */
    public static String read(String db) throws Exception {
        Connection c = vfs.connect(Path.of(db));
        OPEN.add(c);
        return count(c);
    }

    private static String count(Connection c) throws Exception {
        try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("select count(*), litestream_txid() from t")) {
            r.next();
            return r.getLong(1) + " " + r.getString(2);
        }
    }

    /** A clean undeploy closes its connections and unregisters; a leaking one does neither. */
    public static String undeploy(String clean) throws Exception {
        if (Boolean.parseBoolean(clean)) {
            for (Connection c : OPEN) c.close();
            OPEN.clear();
            vfs.unregister();
        }
        return "undeployed";
    }
}
