package dev.ltx4j.simulator.workload;

import dev.ltx4j.ltx.DatabaseChecksum;
import dev.ltx4j.ltx.Ltx;
import dev.ltx4j.ltx.LtxDecoder;
import dev.ltx4j.ltx.LtxEncoder;
import dev.ltx4j.ltx.LtxHeader;
import dev.ltx4j.ltx.LtxRestorer;
import dev.ltx4j.ltx.LtxSource;
import dev.ltx4j.ltx.TxidRange;
import dev.ltx4j.simulator.InvariantViolation;
import dev.ltx4j.simulator.store.SimObjectStore;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeMap;

/**
 * The sql scenario's view of the replica without faults: restores at a TXID, the state a saved conflict file
 * describes (the replica at its base with the file's pages on top), the {@code kv} table of a database file, and
 * the rival writer's files (real SQLite transactions on a restored copy, encoded as the next LTX file).
 */
final class SqlReplica {
    static final long RIVAL_NODE = 0x5157_0000_0000_0002L;

    private final SimObjectStore store;
    private final String prefix;
    private final Path dir;
    private int files;

    SqlReplica(SimObjectStore store, String prefix, Path dir) {
        this.store = store;
        this.prefix = prefix;
        this.dir = dir;
    }

    /**
     * A restored database file at {@code txid} (0: the head) from the store's true contents (no faults, no
     * listing lag: an oracle must not be fooled by what a client may see); null when the replica is empty.
     */
    Restored restore(long txid) throws IOException {
        List<SimObjectStore.StoredObject> chain = new ArrayList<>();
        long next = 1;
        for (SimObjectStore.StoredObject o : store.inspect(prefix, 0)) {
            if (o.minTxid() == next && (txid == 0 || o.maxTxid() <= txid)) {
                chain.add(o);
                next = o.maxTxid() + 1;
            }
        }
        if (chain.isEmpty()) {
            return null;
        }
        if (txid != 0 && next - 1 != txid) {
            throw new InvariantViolation("restore", "the replica holds no contiguous chain to TXID " + txid
                    + " (it ends at " + (next - 1) + ")");
        }
        List<LtxSource> sources = new ArrayList<>();
        for (SimObjectStore.StoredObject o : chain) {
            sources.add(LtxSource.of("L0/" + new TxidRange(o.minTxid(), o.maxTxid()).filename(),
                    () -> new ByteArrayInputStream(o.data())));
        }
        Path out = dir.resolve("restore-" + (++files) + ".db");
        LtxRestorer.Result r = LtxRestorer.restore(sources, out);
        return new Restored(out, r.maxTxid(), r.pageSize(), r.checksum());
    }

    /** Whether a file by the rival lies beyond {@code txid} (the store's true contents). */
    boolean rivalBeyond(long txid) throws IOException {
        for (SimObjectStore.StoredObject o : store.inspect(prefix, 0)) {
            if (o.minTxid() > txid && o.data().length >= Ltx.HEADER_SIZE
                    && LtxHeader.parse(Arrays.copyOf(o.data(), Ltx.HEADER_SIZE), o.key()).nodeId() == RIVAL_NODE) {
                return true;
            }
        }
        return false;
    }

    /** A restored database file and what the restore reported. */
    record Restored(Path file, long txid, int pageSize, long checksum) {
        void delete() {
            try {
                Files.deleteIfExists(file);
            } catch (IOException ignored) {
                // a leftover temp file is harmless
            }
        }
    }

    /**
     * The state a conflict file saves: the replica at the file's base TXID with its pages written on top and the
     * size set to its commit (the file holds every page the pending transactions changed).
     */
    TreeMap<Integer, String> savedState(Path conflictFile) throws IOException, SQLException {
        LtxHeader h;
        try (InputStream in = Files.newInputStream(conflictFile)) {
            h = LtxHeader.parse(in.readNBytes(Ltx.HEADER_SIZE), conflictFile.getFileName().toString());
        }
        long base = h.minTxid() - 1;
        Path out;
        if (base == 0) {
            out = dir.resolve("saved-" + (++files) + ".db");
        } else {
            Restored r = restore(base);
            if (r == null || r.txid() != base) {
                throw new InvariantViolation("conflict-preserved", "conflict file " + conflictFile.getFileName()
                        + " builds on TXID " + base + ", which the replica cannot restore");
            }
            out = r.file();
        }
        try (InputStream in = Files.newInputStream(conflictFile);
                LtxDecoder d = new LtxDecoder(in, conflictFile.getFileName().toString());
                RandomAccessFile f = new RandomAccessFile(out.toFile(), "rw")) {
            int ps = d.header().pageSize();
            byte[] page = new byte[ps];
            long p;
            while ((p = d.readPage(page, 0)) != 0) {
                f.seek((p - 1) * ps);
                f.write(page);
            }
            f.setLength(d.header().commitPages() * ps);
        }
        try {
            return kv(out);
        } finally {
            Files.deleteIfExists(out);
        }
    }

    /** The {@code kv} table of a plain database file (null when it has no such table). */
    static TreeMap<Integer, String> kv(Path file) throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file)) {
            return kv(c);
        }
    }

    static TreeMap<Integer, String> kv(Connection c) throws SQLException {
        TreeMap<Integer, String> got = new TreeMap<>();
        try (Statement s = c.createStatement();
                ResultSet t = s.executeQuery("SELECT count(*) FROM sqlite_master WHERE name = 'kv'")) {
            if (!t.next() || t.getInt(1) == 0) {
                return null;
            }
        }
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT k, v FROM kv ORDER BY k")) {
            while (rs.next()) {
                got.put(rs.getInt(1), rs.getString(2));
            }
        }
        return got;
    }

    static void integrity(Connection c, String what, String property) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("PRAGMA integrity_check")) {
            String r = rs.next() ? rs.getString(1) : "no result";
            if (!"ok".equals(r)) {
                throw new InvariantViolation(property, what + ": integrity_check says " + r);
            }
        }
    }

    /**
     * The rival's next file: the replica restored at {@code head} (the TXID it lands after), the statements run
     * on it with plain SQLite, and the changed pages encoded as L0 file {@code head + 1} by the rival's node id,
     * checksum-tracked when the replica is. Null when there is nothing to build on (no database or no table).
     */
    byte[] rivalFile(long head, List<SqlScenario.Stmt> stmts, long millis) throws IOException, SQLException {
        if (head == 0) {
            return null;
        }
        Restored r = restore(head);
        if (r == null || r.txid() != head) {
            return null;
        }
        try {
            byte[] before = Files.readAllBytes(r.file());
            try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + r.file())) {
                if (kv(c) == null) {
                    return null;
                }
                c.setAutoCommit(false);
                for (SqlScenario.Stmt s : stmts) {
                    run(c, s, "r");
                }
                c.commit();
            }
            byte[] after = Files.readAllBytes(r.file());
            int ps = r.pageSize();
            long commit = after.length / ps;
            boolean tracked = r.checksum() != 0;
            long pre = tracked ? sum(before, ps) : 0;
            long post = tracked ? sum(after, ps) : 0;
            LtxHeader h = LtxHeader.of(tracked ? 0 : Ltx.HEADER_FLAG_NO_CHECKSUM, ps, commit, head + 1, head + 1,
                    millis, pre).withNodeId(RIVAL_NODE);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            LtxEncoder enc = new LtxEncoder(out, h, h.range().filename());
            long lock = Ltx.lockPgno(ps);
            for (long p = 1; p <= commit; p++) {
                int off = (int) ((p - 1) * ps);
                boolean changed = off + ps > before.length
                        || !Arrays.equals(before, off, off + ps, after, off, off + ps);
                if (changed && p != lock) {
                    enc.writePage(p, Arrays.copyOfRange(after, off, off + ps), 0);
                }
            }
            enc.finish(post);
            return out.toByteArray();
        } finally {
            r.delete();
        }
    }

    private static long sum(byte[] db, int ps) {
        DatabaseChecksum c = new DatabaseChecksum(ps).reset(0);
        long lock = Ltx.lockPgno(ps);
        for (int off = 0; off + ps <= db.length; off += ps) {
            long p = off / ps + 1;
            if (p != lock) {
                c.toggle(p, db, off);
            }
        }
        return c.value();
    }

    /** Runs one statement (values derived with {@code tag} so the rival's differ from the writer's). */
    static int run(Connection c, SqlScenario.Stmt s, String tag) throws SQLException {
        if (s instanceof SqlScenario.Upsert u) {
            try (PreparedStatement p = c.prepareStatement("INSERT OR REPLACE INTO kv(k, v) VALUES (?, ?)")) {
                p.setInt(1, u.key());
                p.setString(2, tag + value(u.fill(), u.length()));
                return p.executeUpdate();
            }
        } else if (s instanceof SqlScenario.Update u) {
            try (PreparedStatement p = c.prepareStatement("UPDATE kv SET v = ? WHERE k = ?")) {
                p.setString(1, tag + value(u.fill(), u.length()));
                p.setInt(2, u.key());
                return p.executeUpdate();
            }
        } else {
            SqlScenario.Delete d = (SqlScenario.Delete) s;
            try (PreparedStatement p = c.prepareStatement(d.key() < 0 ? "DELETE FROM kv" : "DELETE FROM kv WHERE k = ?")) {
                if (d.key() >= 0) {
                    p.setInt(1, d.key());
                }
                return p.executeUpdate();
            }
        }
    }

    /** What {@link #run} does to a model of the table. */
    static void apply(SqlScenario.Stmt s, TreeMap<Integer, String> m, String tag) {
        if (s instanceof SqlScenario.Upsert u) {
            m.put(u.key(), tag + value(u.fill(), u.length()));
        } else if (s instanceof SqlScenario.Update u) {
            m.computeIfPresent(u.key(), (k, old) -> tag + value(u.fill(), u.length()));
        } else {
            SqlScenario.Delete d = (SqlScenario.Delete) s;
            if (d.key() < 0) {
                m.clear();
            } else {
                m.remove(d.key());
            }
        }
    }

    /** A pseudo-random value of {@code length} characters, the same for the same {@code fill}. */
    static String value(long fill, int length) {
        StringBuilder b = new StringBuilder(length);
        long x = fill;
        while (b.length() < length) {
            x = x * 6364136223846793005L + 1442695040888963407L;
            b.append(Long.toString(x >>> 1, 36));
        }
        return b.substring(0, length);
    }
}
