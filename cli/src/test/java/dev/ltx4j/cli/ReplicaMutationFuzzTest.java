package dev.ltx4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ltx4j.compaction.CompactionSettings;
import dev.ltx4j.ltx.LtxDecoder;
import dev.ltx4j.vfs.LitestreamVfs;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Field probe round 7 (docs/field-probes.md, "Round 7: hostile and unusual inputs"): one LTX file of a real file
 * replica (six level-0 files written by the VFS) mutated per case (flips, bytes, header fields, LZ4 lengths and the
 * index size field that lie, truncation, extension, a splice of another file of the replica), then every reader a
 * user reaches: {@code ltx4j ltx verify <url>}, {@code ltx4j restore} (latest, and {@code --txid} before the damage),
 * a read-mode open through the VFS reading the latest state, and time travel ({@code PRAGMA litestream_time}) to a
 * time before the damaged file's commit and to one after it (never answered with an older state). Required: every reader refuses naming the file ({@code L0/<name>}) or answers
 * exactly what the undamaged replica holds; a restore that refuses leaves no output; states that do not need the
 * damaged file stay readable by restore. Default 24 cases; {@code -Dltx.fuzz.replicaCases=N} and
 * {@code -Dltx.fuzz.seed=S} for longer runs.
 */
class ReplicaMutationFuzzTest {
    private static final int CASES = Integer.getInteger("ltx.fuzz.replicaCases", 24);
    private static final long SEED = Long.getLong("ltx.fuzz.seed", 20261206L);
    private static final Instant T0 = Instant.parse("2026-12-01T10:00:00Z");
    private static final int TXIDS = 6;

    @TempDir
    Path dir;

    private static final class StepClock extends Clock {
        volatile Instant now = T0;

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    private static final String FINGERPRINT = "select count(*) || ':' || total(length(v)) || ':' || "
            + "coalesce(group_concat(substr(hex(v), 1, 12), ','), '') from t";

    /** Writes TXIDs 1..6 (TXID n at T0 + n-1 minutes) and returns each state's fingerprint, index = TXID. */
    private List<String> write(Path replica) throws Exception {
        StepClock clock = new StepClock();
        LitestreamVfs.Registration w = LitestreamVfs.builder().replica(replica.toUri().toString()).writeEnabled(true)
                .syncInterval(Duration.ofHours(1)).compaction(CompactionSettings.off()).bufferPath(dir.resolve("buf"))
                .clock(clock).register("fuzz-writer");
        List<String> states = new ArrayList<>(List.of(""));
        Random rnd = new Random(SEED);
        try (Connection c = w.connect(dir.resolve("w.db")); Statement s = c.createStatement()) {
            s.execute("create table t(v)");
            s.executeQuery("select litestream_sync()").close();
            states.add(query(s, FINGERPRINT));
            for (int n = 2; n <= TXIDS; n++) {
                clock.now = T0.plus(Duration.ofMinutes(n - 1));
                s.execute("insert into t values (X'" + hex(rnd, 100 + rnd.nextInt(9000)) + "')"); // replays exactly
                s.execute("insert into t values (zeroblob(" + (100 + rnd.nextInt(3000)) + "))");
                s.executeQuery("select litestream_sync()").close();
                states.add(query(s, FINGERPRINT));
            }
        } finally {
            w.unregister();
        }
        return states;
    }

    @Test
    void aMutatedReplicaFileIsRefusedNamingItByEveryReaderOrReadExactly() throws Exception {
        Path pristine = dir.resolve("pristine");
        List<String> states = write(pristine);
        List<Path> files;
        try (Stream<Path> s = Files.list(pristine.resolve("ltx/0"))) {
            files = s.filter(p -> p.toString().endsWith(".ltx")).sorted().toList();
        }
        assertThat(files).hasSize(TXIDS);
        Random rnd = new Random(SEED);
        Map<String, Integer> outcomes = new TreeMap<>();
        Assertions.assertTimeoutPreemptively(Duration.ofMinutes(15), () -> { // a hang guard, not a speed check
            for (int c = 0; c < CASES; c++) {
                Path replica = dir.resolve("case" + c);
                copy(pristine, replica);
                int victim = 1 + rnd.nextInt(TXIDS - 1); // TXID 2..6: an earlier state stays restorable
                victim++;
                Path file = replica.resolve("ltx/0").resolve(files.get(victim - 1).getFileName());
                byte[] original = Files.readAllBytes(file);
                byte[] other = Files.readAllBytes(files.get(rnd.nextInt(TXIDS)));
                String[] m = mutate(original, other, rnd);
                byte[] bad = m[1].getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
                Files.write(file, bad);
                String key = "L0/" + file.getFileName();
                String what = "case " + c + " (seed " + SEED + "): TXID " + victim + " " + m[0];
                boolean damaged = damaged(bad);
                count(outcomes, "decoder " + (damaged ? "refuses" : "accepts"));
                count(outcomes, "verify " + verify(replica, key, damaged, what));
                count(outcomes, "restore " + restore(replica, key, damaged, states, victim, what, c));
                String read = read(replica, key, damaged, states, victim, what, c);
                count(outcomes, "read " + read);
                if (read.contains("past refused naming the file")) {
                    count(outcomes, PAST_REFUSED);
                }
            }
        });
        System.out.println("replica mutation fuzz, " + CASES + " cases, seed " + SEED + ": " + outcomes);
        // Time travel to a time between the state before the damaged file and the next intact one may be the
        // damaged state's (its commit time is in the file the damage made unreadable): refused naming the file, which
        // read() asserts; counted to show how often (field-probes.md, round 8). A time after the damaged file answers
        // its state or is refused naming it, never an older state.
    }

    private static final String PAST_REFUSED = "time travel before the damaged file refused naming it";

    /** {@code n} bytes from {@code rnd} in hex (SQLite's randomblob would not replay). */
    private static String hex(Random rnd, int n) {
        byte[] b = new byte[n];
        rnd.nextBytes(b);
        return java.util.HexFormat.of().formatHex(b);
    }

    private static boolean damaged(byte[] bad) {
        try {
            LtxDecoder.verify(new ByteArrayInputStream(bad), "x");
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    private static String verify(Path replica, String key, boolean damaged, String what) {
        CliRun r = CliRun.of("ltx", "verify", replica.toUri().toString());
        if (!damaged) {
            assertThat(r.exitCode()).as(what + ": verify of an intact replica: " + r.err()).isZero();
            return "ok";
        }
        assertThat(r.exitCode()).as(what + ": verify passed a damaged file").isNotZero();
        assertThat(r.out() + r.err()).as(what + ": verify names the file").contains(key);
        return "refused naming the file";
    }

    private String restore(Path replica, String key, boolean damaged, List<String> states, int victim,
            String what, int c) throws Exception {
        Path out = dir.resolve("restore" + c + ".db");
        CliRun r = CliRun.of("restore", replica.toUri().toString(), "-o", out.toString());
        String result;
        if (r.exitCode() == 0) {
            assertThat(damaged).as(what + ": restore took a damaged file").isFalse();
            assertThat(fingerprint(out)).as(what + ": restored state").isEqualTo(states.get(TXIDS));
            result = "latest";
        } else {
            assertThat(damaged).as(what + ": restore of an intact replica failed: " + r.err()).isTrue();
            assertThat(r.err()).as(what + ": restore names the file").contains(key);
            assertThat(out).as(what + ": a refused restore left its output").doesNotExist();
            result = "refused naming the file";
        }
        Path before = dir.resolve("before" + c + ".db");
        String txid = String.format("%016x", victim - 1);
        CliRun b = CliRun.of("restore", replica.toUri().toString(), "-o", before.toString(), "--txid", txid);
        assertThat(b.exitCode()).as(what + ": restore --txid " + txid + " before the damage: " + b.err()).isZero();
        assertThat(fingerprint(before)).as(what + ": restore --txid " + txid).isEqualTo(states.get(victim - 1));
        return result;
    }

    private String read(Path replica, String key, boolean damaged, List<String> states, int victim, String what,
            int c) throws Exception {
        LitestreamVfs.Registration r = LitestreamVfs.builder().replica(replica.toUri().toString())
                .register("fuzz-reader-" + c);
        try (Connection conn = r.connect(dir.resolve("reader" + c + ".db")); Statement s = conn.createStatement()) {
            String latest;
            try {
                latest = query(s, FINGERPRINT);
            } catch (SQLException e) {
                String last = query(s, "pragma litestream_last_error");
                assertThat(damaged).as(what + ": read of an intact replica failed: " + e + " / " + last).isTrue();
                assertThat(e.getMessage() + " " + last).as(what + ": the read error names the file").contains(key);
                latest = null;
            }
            if (latest != null) {
                assertThat(latest).as(what + ": latest state read").isEqualTo(states.get(TXIDS));
            }
            // Time travel to the state before the damaged file: it does not need that file.
            Instant at = T0.plus(Duration.ofMinutes(victim - 2)).plusSeconds(30);
            String past;
            try {
                query(s, "pragma litestream_time = '" + at + "'");
                past = query(s, FINGERPRINT);
                assertThat(past).as(what + ": time travel to TXID " + (victim - 1)).isEqualTo(states.get(victim - 1));
                past = "past ok";
            } catch (SQLException e) {
                String last = query(s, "pragma litestream_last_error");
                assertThat(e.getMessage() + " " + last).as(what + ": the time travel error names the file")
                        .contains(key);
                past = "past refused naming the file";
            }
            // A time after the damaged file's commit time must not answer an older state (its own, or refused).
            at = T0.plus(Duration.ofMinutes(victim - 1)).plusSeconds(30);
            String after;
            try {
                query(s, "pragma litestream_time = '" + at + "'");
                String state = query(s, FINGERPRINT);
                assertThat(state).as(what + ": a time after the damaged file must not answer an older state")
                        .isEqualTo(states.get(victim));
                after = "after ok";
            } catch (SQLException e) {
                String last = query(s, "pragma litestream_last_error");
                assertThat(e.getMessage() + " " + last).as(what + ": the time travel error names the file")
                        .contains(key);
                after = "after refused naming the file";
            }
            return (latest == null ? "latest refused naming the file" : "latest") + ", " + past + ", " + after;
        } catch (SQLException e) {
            assertThat(damaged).as(what + ": open of an intact replica failed: " + e).isTrue();
            assertThat(e.getMessage()).as(what + ": the open error names the file").contains(key);
            return "open refused naming the file";
        } finally {
            r.unregister();
        }
    }

    /** {kind, mutated bytes as ISO-8859-1}. */
    private static String[] mutate(byte[] f, byte[] other, Random rnd) {
        byte[] b = f.clone();
        String kind;
        ByteBuffer h = ByteBuffer.wrap(b);
        int frame = 100 + 6; // the first frame's compressed size field
        switch (rnd.nextInt(9)) {
            case 0 -> {
                int i = rnd.nextInt(b.length);
                b[i] ^= (byte) (1 << rnd.nextInt(8));
                kind = "flip at " + i;
            }
            case 1 -> {
                int i = 100 + rnd.nextInt(b.length - 100);
                b[i] = (byte) rnd.nextInt(256);
                kind = "byte at " + i;
            }
            case 2 -> {
                int[] at = {8, 12, 16, 24, 32};
                int i = at[rnd.nextInt(at.length)];
                long v = new long[] {0, 1, 512, 65536, 0x7FFFFFFFL, -1}[rnd.nextInt(6)];
                if (i >= 16) {
                    h.putLong(i, v);
                } else {
                    h.putInt(i, (int) v);
                }
                kind = "header field at " + i + " = " + v;
            }
            case 3 -> {
                int v = new int[] {0, 1, 0x7FFFFFFF, -1, 4129, h.getInt(frame) + 1}[rnd.nextInt(6)];
                h.putInt(frame, v);
                kind = "first compressed size = " + Integer.toUnsignedString(v);
            }
            case 4 -> {
                long v = new long[] {0, b.length - 24, b.length / 2, 0x7FFFFFFFFFFFFFFFL}[rnd.nextInt(4)];
                h.putLong(b.length - 24, v);
                kind = "index size = " + v;
            }
            case 5 -> {
                int len = rnd.nextInt(b.length);
                b = Arrays.copyOf(b, len);
                kind = "truncated to " + len;
            }
            case 6 -> {
                int extra = 1 + rnd.nextInt(5000);
                b = Arrays.copyOf(b, b.length + extra);
                kind = "extended by " + extra;
            }
            case 7 -> {
                int len = 1 + rnd.nextInt(Math.min(other.length, f.length) / 2);
                int at = rnd.nextInt(b.length - len);
                System.arraycopy(other, rnd.nextInt(other.length - len), b, at, len);
                kind = "splice of " + len + " at " + at;
            }
            default -> {
                b[b.length - 1 - rnd.nextInt(16)] ^= 1;
                kind = "trailer";
            }
        }
        return new String[] {kind, new String(b, java.nio.charset.StandardCharsets.ISO_8859_1)};
    }

    private static String fingerprint(Path db) throws SQLException {
        try (Connection c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + db);
                Statement s = c.createStatement()) {
            return query(s, FINGERPRINT);
        }
    }

    private static String query(Statement s, String sql) throws SQLException {
        try (ResultSet rs = s.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        }
    }

    private static void copy(Path from, Path to) throws IOException {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path t = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(t);
                } else {
                    Files.copy(p, t);
                }
            }
        }
    }

    private static void count(Map<String, Integer> m, String k) {
        m.merge(k, 1, Integer::sum);
    }
}
