package dev.ltx4j.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;
import java.util.Random;

/**
 * Real SQLite pages for the benchmarks: a database built with sqlite-jdbc from a fixed seed (tables with text
 * and integer columns, secondary indexes, rows inserted in random key order so b-tree pages are partly full as
 * in a live database), read back page by page from the file.
 *
 * <p>Databases are cached under {@code ltx4j.bench.dir} (default {@code java.io.tmpdir/ltx4j-bench}) keyed by
 * page size, size and generator version, so forks and later runs do not rebuild them.
 */
public final class SqliteCorpus {
    private SqliteCorpus() {}

    /** Bump when the generator changes so cached files are not reused. */
    private static final int GENERATOR_VERSION = 1;
    private static final long SEED = 0x1_7A4_0F_5EEDL;
    private static final String[] WORDS = ("alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo "
            + "lima mike november oscar papa quebec romeo sierra tango uniform victor whiskey xray yankee zulu "
            + "order invoice shipped pending cancelled refund customer account balance payment card address "
            + "street city london paris berlin tokyo madrid rome oslo vienna prague lisbon dublin").split(" ");
    private static final String[] STATUS = {"new", "paid", "shipped", "delivered", "returned", "cancelled"};

    /**
     * Returns the first {@code bytes / pageSize} pages of a database of at least that size, concatenated
     * (page 1 first). The database is built about 25% larger so its tail pages are not all fresh.
     */
    public static byte[] pages(int pageSize, long bytes) {
        long dbBytes = Math.max(bytes + bytes / 4, 4L * pageSize);
        Path file = database(pageSize, dbBytes);
        int count = (int) (bytes / pageSize);
        try {
            byte[] all = Files.readAllBytes(file);
            if ((long) count * pageSize > all.length) {
                throw new IllegalStateException("database " + file + " holds " + all.length / pageSize
                        + " pages, fewer than the " + count + " requested");
            }
            return Arrays.copyOf(all, count * pageSize);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static synchronized Path database(int pageSize, long minBytes) {
        Path dir = Path.of(System.getProperty("ltx4j.bench.dir",
                Path.of(System.getProperty("java.io.tmpdir"), "ltx4j-bench").toString()));
        Path file = dir.resolve("corpus-v" + GENERATOR_VERSION + "-p" + pageSize + "-" + (minBytes >> 10) + "k.db");
        if (Files.exists(file)) {
            return file;
        }
        try {
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, "build-", ".db");
            Files.delete(tmp);
            build(tmp, pageSize, minBytes);
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot build benchmark database " + file, e);
        }
    }

    private static void build(Path file, int pageSize, long minBytes) throws SQLException, IOException {
        Random rnd = new Random(SEED ^ pageSize);
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file)) {
            try (Statement s = c.createStatement()) {
                s.execute("PRAGMA page_size=" + pageSize);
                s.execute("PRAGMA journal_mode=OFF");
                s.execute("PRAGMA synchronous=OFF");
                s.execute("CREATE TABLE customers(id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL,"
                        + " city TEXT, age INTEGER, balance INTEGER, created INTEGER)");
                s.execute("CREATE TABLE orders(id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL,"
                        + " status TEXT NOT NULL, amount INTEGER, note TEXT, created INTEGER)");
                s.execute("CREATE TABLE events(id INTEGER PRIMARY KEY, kind TEXT, payload TEXT, ts INTEGER)");
                s.execute("CREATE UNIQUE INDEX customers_email ON customers(email)");
                s.execute("CREATE INDEX orders_customer ON orders(customer_id)");
                s.execute("CREATE INDEX orders_status_created ON orders(status, created)");
                s.execute("CREATE INDEX events_ts ON events(ts)");
            }
            c.setAutoCommit(false);
            long nextId = 0;
            try (PreparedStatement cust = c.prepareStatement("INSERT INTO customers VALUES(?,?,?,?,?,?,?)");
                 PreparedStatement ord = c.prepareStatement("INSERT INTO orders VALUES(?,?,?,?,?,?)");
                 PreparedStatement ev = c.prepareStatement("INSERT INTO events VALUES(?,?,?,?)")) {
                while (Files.size(file) < minBytes) {
                    for (int i = 0; i < 2000; i++) {
                        long id = ++nextId;
                        // Scattered keys split b-tree pages the way a live table's do.
                        long key = (id * 0x9E3779B1L) & 0xFFFFFFFL;
                        cust.setLong(1, key);
                        cust.setString(2, words(rnd, 2));
                        cust.setString(3, WORDS[rnd.nextInt(WORDS.length)] + "." + key + "@example.com");
                        cust.setString(4, WORDS[40 + rnd.nextInt(WORDS.length - 40)]);
                        cust.setInt(5, 18 + rnd.nextInt(70));
                        cust.setLong(6, rnd.nextInt(1_000_000));
                        cust.setLong(7, 1_600_000_000L + id * 37);
                        cust.addBatch();
                        for (int k = rnd.nextInt(4); k > 0; k--) {
                            ord.setLong(1, id * 4 + k);
                            ord.setLong(2, key);
                            ord.setString(3, STATUS[rnd.nextInt(STATUS.length)]);
                            ord.setLong(4, rnd.nextInt(100_000));
                            ord.setString(5, rnd.nextInt(3) == 0 ? null : words(rnd, 3 + rnd.nextInt(12)));
                            ord.setLong(6, 1_600_000_000L + id * 37 + k);
                            ord.addBatch();
                        }
                        ev.setLong(1, id);
                        ev.setString(2, STATUS[rnd.nextInt(STATUS.length)]);
                        ev.setString(3, "{\"customer\":" + key + ",\"items\":" + rnd.nextInt(9) + ",\"text\":\""
                                + words(rnd, 4 + rnd.nextInt(20)) + "\"}");
                        ev.setLong(4, 1_600_000_000_000L + id * 1000 + rnd.nextInt(1000));
                        ev.addBatch();
                    }
                    cust.executeBatch();
                    ord.executeBatch();
                    ev.executeBatch();
                    c.commit();
                }
            }
        }
    }

    private static String words(Random rnd, int n) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < n; i++) {
            if (i > 0) {
                b.append(' ');
            }
            b.append(WORDS[rnd.nextInt(WORDS.length)]);
        }
        return b.toString();
    }
}
