package dev.ltx4j.vfs;

import dev.ltx4j.ltx.DatabaseChecksum;
import dev.ltx4j.ltx.Ltx;
import dev.ltx4j.ltx.LtxEncoder;
import dev.ltx4j.ltx.LtxHeader;
import dev.ltx4j.replica.LtxBody;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaClients;
import dev.ltx4j.replica.ReplicaEnvironment;

import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Replicas as the Litestream daemon writes them: its databases are in WAL mode, so page 1 of every file it writes
 * says WAL (file format bytes 18/19 = 2). The source database is a real WAL-mode SQLite file (sqlite-jdbc);
 * {@link #importImage} writes what {@code ltx4j import} writes, {@link #append} an incremental LTX file with the
 * changed pages only. A WAL-mode commit does not advance page 1's change counter, so page 1 is in such a file
 * only when something else in it changed (the page count, the schema, the freelist).
 */
final class DaemonReplica {
    private DaemonReplica() {
    }

    /** Runs {@code sql} on the WAL-mode database {@code db} (made WAL if new), checkpoints, returns its bytes. */
    static byte[] walDatabase(Path db, String... sql) throws Exception {
        try (Connection c = Sql.plain(db)) {
            assertThat(Sql.text(c, "pragma journal_mode=wal")).isEqualTo("wal");
            Sql.exec(c, sql);
            Sql.text(c, "pragma wal_checkpoint(truncate)");
        }
        byte[] image = Files.readAllBytes(db);
        assertThat(new byte[] {image[18], image[19]}).as("page 1 of a WAL database").containsExactly(2, 2);
        return image;
    }

    /** Publishes {@code image} as the snapshot at TXID 1, as {@code ltx4j import} does. */
    static void importImage(String url, byte[] image) throws Exception {
        int pageSize = pageSize(image);
        write(url, 1, image, pages(image, pageSize), 0, checksum(image, pageSize));
    }

    /** Appends TXID {@code txid} turning {@code prev} into {@code next}: the pages that differ. */
    static void append(String url, long txid, byte[] prev, byte[] next) throws Exception {
        int pageSize = pageSize(next);
        long[] changed = java.util.stream.LongStream.rangeClosed(1, next.length / pageSize)
                .filter(p -> p * pageSize > prev.length
                        || !Arrays.equals(prev, (int) ((p - 1) * pageSize), (int) (p * pageSize),
                        next, (int) ((p - 1) * pageSize), (int) (p * pageSize)))
                .filter(p -> p != Ltx.lockPgno(pageSize)).toArray();
        write(url, txid, next, changed, checksum(prev, pageSize), checksum(next, pageSize));
    }

    private static void write(String url, long txid, byte[] image, long[] pgnos, long pre, long post) throws Exception {
        int pageSize = pageSize(image);
        LtxHeader h = LtxHeader.of(0, pageSize, image.length / pageSize, txid, txid, System.currentTimeMillis(), pre);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        LtxEncoder enc = new LtxEncoder(out, h, h.range().filename());
        for (long p : pgnos) {
            enc.writePage(p, image, (int) ((p - 1) * pageSize));
        }
        enc.finish(post);
        try (ReplicaClient client = ReplicaClients.open(url, ReplicaEnvironment.system())) {
            client.createFile(0, txid, txid, LtxBody.of(out.toByteArray()));
        }
    }

    private static long[] pages(byte[] image, int pageSize) {
        return java.util.stream.LongStream.rangeClosed(1, image.length / pageSize)
                .filter(p -> p != Ltx.lockPgno(pageSize)).toArray();
    }

    private static long checksum(byte[] image, int pageSize) {
        DatabaseChecksum sum = new DatabaseChecksum(pageSize);
        for (long p : pages(image, pageSize)) {
            sum.toggle(p, image, (int) ((p - 1) * pageSize));
        }
        return sum.value();
    }

    static int pageSize(byte[] image) {
        int field = ((image[16] & 0xFF) << 8) | (image[17] & 0xFF);
        return field == 1 ? 65536 : field;
    }
}
