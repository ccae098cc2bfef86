package dev.ltx4j.simulator.workload;

import dev.ltx4j.ltx.DatabaseChecksum;
import dev.ltx4j.ltx.Ltx;
import dev.ltx4j.ltx.LtxEncoder;
import dev.ltx4j.ltx.LtxHeader;
import dev.ltx4j.ltx.SqliteHeader;
import dev.ltx4j.replica.LtxBody;
import dev.ltx4j.replica.ReplicaClient;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * A replica that starts as the Litestream daemon's (or {@code ltx4j import} of a checkpointed WAL database) does:
 * a snapshot at TXID 1 of a real WAL-mode SQLite database, so page 1 says WAL (file format bytes 18/19 = 2).
 */
final class WalSnapshot {
    private WalSnapshot() {
    }

    /** Creates the WAL database {@code file} with {@code sql} run on it, and publishes it on {@code client}. */
    static void publish(ReplicaClient client, Path file, long timestampMillis, String... sql)
            throws IOException, SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file); Statement s = c.createStatement()) {
            s.execute("PRAGMA journal_mode=WAL");
            for (String q : sql) {
                s.execute(q);
            }
            s.execute("PRAGMA wal_checkpoint(TRUNCATE)");
        }
        byte[] image = Files.readAllBytes(file);
        if (image[18] != 2 || image[19] != 2) {
            throw new IllegalStateException("not a WAL-format page 1: bytes 18/19 are " + image[18] + "/" + image[19]);
        }
        int pageSize = SqliteHeader.declaredPageSize(image, 0);
        long pages = image.length / pageSize;
        LtxHeader h = LtxHeader.of(0, pageSize, pages, 1, 1, timestampMillis, 0);
        DatabaseChecksum sum = new DatabaseChecksum(pageSize);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        LtxEncoder enc = new LtxEncoder(out, h, h.range().filename());
        for (long p = 1; p <= pages; p++) {
            if (p == Ltx.lockPgno(pageSize)) {
                continue;
            }
            sum.toggle(p, image, (int) ((p - 1) * pageSize));
            enc.writePage(p, image, (int) ((p - 1) * pageSize));
        }
        enc.finish(sum.value());
        client.createFile(0, 1, 1, LtxBody.of(out.toByteArray()));
    }
}
