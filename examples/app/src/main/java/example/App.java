package example;

import dev.ltx4j.vfs.LitestreamVfs;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;

/** Settings come from LITESTREAM_REPLICA_URL, LITESTREAM_WRITE_ENABLED, LITESTREAM_BUFFER_PATH, ... */
public class App {
    public static void main(String[] args) throws Exception {
        var vfs = LitestreamVfs.builder().register("litestream");  // or .replica("s3://...").writeEnabled(true)
        try (Connection c = vfs.connect(Path.of("app.db")); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, ts TEXT)");
            s.execute("INSERT INTO events (ts) VALUES (datetime('now'))");
            try (ResultSet r = s.executeQuery("SELECT id, ts FROM events")) {
                while (r.next()) System.out.println("Event " + r.getInt(1) + ": " + r.getString(2));
            }
        }
    }
}
