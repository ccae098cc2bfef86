package dev.ltx4j.cli;

import dev.ltx4j.vfs.LitestreamVfs;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * Child process for {@link UnreachableEndpointCliTest}: opens a database through the VFS in read mode on the replica
 * URL given (credentials come from the environment, as for a user) and prints {@code opened} or
 * {@code failed <ms> <message> | <last open error>}.
 */
public final class EngineOpenProbe {
    private EngineOpenProbe() {}

    public static void main(String[] args) throws Exception {
        LitestreamVfs.builder().replica(args[0]).writeEnabled(false).register("probe");
        long start = System.nanoTime();
        try (Connection c = java.sql.DriverManager.getConnection("jdbc:sqlite:file:app.db?vfs=probe");
                Statement s = c.createStatement(); ResultSet r = s.executeQuery("SELECT count(*) FROM sqlite_master")) {
            r.next();
            System.out.println("opened");
        } catch (SQLException e) {
            System.out.println("failed " + (System.nanoTime() - start) / 1_000_000 + " " + e.getMessage() + " | "
                    + LitestreamVfs.lastOpenError().orElse("(no open error recorded)"));
        }
        System.exit(0);
    }
}
