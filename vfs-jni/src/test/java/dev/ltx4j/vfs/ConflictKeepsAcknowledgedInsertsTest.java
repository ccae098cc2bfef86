package dev.ltx4j.vfs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ltx4j.ltx.LtxDecoder;
import dev.ltx4j.ltx.LtxHeader;
import dev.ltx4j.ltx.LtxRestorer;
import dev.ltx4j.ltx.LtxSource;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaClients;
import dev.ltx4j.replica.ReplicaEnvironment;
import dev.ltx4j.replica.RestorePlanner;
import dev.ltx4j.replica.RestoreTarget;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 8 item 3 through SQL, as the issue reproduced it: two writers (separate buffers) on one file replica, four
 * pooled connections on four threads each, autocommit inserts with a 100 ms sync; a thread whose insert meets the
 * conflict refreshes. Afterwards every insert that returned is in the replica or in a file saved under
 * {@code conflicts/} (applied to the replica at its base and read with plain SQLite). Timing is not asserted.
 */
class ConflictKeepsAcknowledgedInsertsTest {
    @TempDir
    Path dir;

    private String replicaUrl() {
        return dir.resolve("replica").toUri().toString();
    }

    @Test
    void everyInsertThatReturnedIsInTheReplicaOrAConflictFile() throws Exception {
        List<LitestreamVfs.Registration> writers = new ArrayList<>();
        for (int w = 0; w < 2; w++) {
            writers.add((w == 0 ? LitestreamVfs.builder().replica(replicaUrl()) : Replicas.rival(replicaUrl(), "race" + w))
                    .writeEnabled(true).syncInterval(Duration.ofMillis(100))
                    .bufferPath(Files.createDirectories(dir.resolve("w" + w)).resolve("buffer")).register("race" + w));
        }
        try (Connection c = DriverManager.getConnection(writers.get(0).jdbcUrl(dir.resolve("w0.db")))) {
            Sql.exec(c, "create table t(id integer primary key, w integer)");
            Sql.text(c, "select litestream_sync()");
        }
        Set<Long> acked = ConcurrentHashMap.newKeySet();
        AtomicLong ids = new AtomicLong();
        AtomicBoolean stop = new AtomicBoolean();
        List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        List<Thread> threads = new ArrayList<>();
        for (int w = 0; w < 2; w++) {
            String url = writers.get(w).jdbcUrl(dir.resolve("w" + w + ".db"));
            int writer = w;
            for (int t = 0; t < 4; t++) {
                threads.add(new Thread(() -> insertUntilStopped(url, writer, ids, acked, stop, failures)));
            }
        }
        threads.forEach(Thread::start);
        Thread.sleep(3000);
        stop.set(true);
        for (Thread t : threads) {
            t.join();
        }
        assertThat(failures).isEmpty();
        // Let the winner's last commits reach the replica (the loser's stay conflicted and saved).
        for (int w = 0; w < 2; w++) {
            try (Connection c = DriverManager.getConnection(writers.get(w).jdbcUrl(dir.resolve("w" + w + ".db")))) {
                try {
                    Sql.text(c, "select litestream_sync()");
                } catch (SQLException conflicted) {
                    // saved under conflicts/ when it was detected
                }
            }
        }

        Set<Long> found = new HashSet<>(ids(restore(0, dir.resolve("head.db"))));
        int files = 0;
        for (int w = 0; w < 2; w++) {
            Path conflicts = dir.resolve("w" + w).resolve("conflicts");
            if (!Files.isDirectory(conflicts)) {
                continue;
            }
            try (Stream<Path> s = Files.list(conflicts)) {
                for (Path f : s.filter(p -> p.toString().endsWith(".ltx")).toList()) {
                    files++;
                    found.addAll(ids(savedState(f)));
                }
            }
        }
        Set<Long> lost = new TreeSet<>(acked);
        lost.removeAll(found);
        System.out.printf("%d inserts returned, %d conflict files%n", acked.size(), files);
        assertThat(acked).isNotEmpty();
        assertThat(files).as("the two writers conflicted").isPositive();
        assertThat(lost).as("%d inserts returned, %d conflict files: %d in neither the replica nor a conflict file",
                acked.size(), files, lost.size()).isEmpty();
    }

    private static void insertUntilStopped(String url, int writer, AtomicLong ids, Set<Long> acked,
            AtomicBoolean stop, List<Throwable> failures) {
        try (Connection c = DriverManager.getConnection(url);
                PreparedStatement insert = c.prepareStatement("insert into t(id, w) values (?, ?)")) {
            while (!stop.get()) {
                long id = ids.incrementAndGet();
                try {
                    insert.setLong(1, id);
                    insert.setInt(2, writer);
                    insert.executeUpdate();
                    acked.add(id);
                } catch (SQLException e) {
                    String m = String.valueOf(e.getMessage());
                    if (m.contains("BUSY_SNAPSHOT") || m.contains("conflict")) {
                        try (Statement s = c.createStatement()) {
                            s.executeQuery("pragma litestream_refresh").close();
                        } catch (SQLException again) {
                            // another thread's refresh or lock: the next insert tells
                        }
                    } else if (!m.contains("SQLITE_BUSY")) {
                        throw e;
                    }
                }
            }
        } catch (Throwable t) {
            failures.add(t);
        }
    }

    /** The replica restored at {@code txid} (0: latest) into {@code out}. */
    private Path restore(long txid, Path out) throws Exception {
        try (ReplicaClient client = ReplicaClients.open(replicaUrl(), ReplicaEnvironment.system())) {
            List<LtxFileInfo> plan = new RestorePlanner(client).plan(txid == 0 ? RestoreTarget.latest()
                    : RestoreTarget.txid(txid));
            List<LtxSource> chain = new ArrayList<>();
            for (LtxFileInfo f : plan) {
                chain.add(LtxSource.of(f.toString(), () -> client.openFile(f.level(), f.minTxid(), f.maxTxid(), 0, 0)));
            }
            LtxRestorer.restore(chain, out);
            return out;
        }
    }

    /** A conflict file applied to the replica at its base TXID (the file holds every page the pending state changed). */
    private Path savedState(Path file) throws Exception {
        LtxHeader h;
        try (InputStream in = Files.newInputStream(file)) {
            h = LtxHeader.parse(in.readNBytes(100), file.toString());
        }
        Path out = dir.resolve("saved-" + file.getFileName() + ".db");
        restore(h.minTxid() - 1, out);
        try (InputStream in = Files.newInputStream(file); LtxDecoder d = new LtxDecoder(in, file.toString());
                RandomAccessFile db = new RandomAccessFile(out.toFile(), "rw")) {
            byte[] page = new byte[d.header().pageSize()];
            long p;
            while ((p = d.readPage(page, 0)) != 0) {
                db.seek((p - 1) * page.length);
                db.write(page);
            }
            db.setLength(d.header().commitPages() * page.length);
        }
        return out;
    }

    private static List<Long> ids(Path db) throws SQLException {
        List<Long> out = new ArrayList<>();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db);
                Statement s = c.createStatement(); ResultSet rs = s.executeQuery("select id from t")) {
            while (rs.next()) {
                out.add(rs.getLong(1));
            }
        }
        return out;
    }
}
