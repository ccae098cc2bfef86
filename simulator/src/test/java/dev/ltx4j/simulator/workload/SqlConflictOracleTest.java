package dev.ltx4j.simulator.workload;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ltx4j.ltx.Ltx;
import dev.ltx4j.ltx.LtxEncoder;
import dev.ltx4j.ltx.LtxHeader;
import dev.ltx4j.replica.LtxBody;
import dev.ltx4j.simulator.FaultPlan;
import dev.ltx4j.simulator.InvariantViolation;
import dev.ltx4j.simulator.World;
import dev.ltx4j.simulator.store.SimObjectStore;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sql scenario's {@code false-conflict} oracle classifies conflicts as the engine does: a file of the writer's own
 * beyond its base holding a state its history no longer has (uploaded, then lost from the buffer by a crash) is a
 * real fork ({@code conflict-own-lost-commits}), not a false conflict; a conflict with only files whose states the
 * history still has is still flagged. The old rule (a rival's file beyond the base, else a violation) flagged the fork.
 */
class SqlConflictOracleTest {
    private static final long OWN_NODE = 7;
    private static final int PS = 4096;

    @TempDir
    Path tmp;

    private final World world = new World(1, FaultPlan.none());
    private final SimObjectStore store = new SimObjectStore(world);

    /** Uploads the pages of {@code db} that differ from {@code before} as the writer's own L0 file {@code txid}. */
    private void upload(Path db, long txid, byte[] before) throws Exception {
        byte[] after = Files.readAllBytes(db);
        long commit = after.length / PS;
        LtxHeader h = LtxHeader.of(Ltx.HEADER_FLAG_NO_CHECKSUM, PS, commit, txid, txid, 1_700_000_000_000L + txid, 0)
                .withNodeId(OWN_NODE);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        LtxEncoder enc = new LtxEncoder(out, h, h.range().filename());
        for (long p = 1; p <= commit; p++) {
            int off = (int) ((p - 1) * PS);
            boolean changed = off + PS > before.length || !Arrays.equals(before, off, off + PS, after, off, off + PS);
            if (changed && p != Ltx.lockPgno(PS)) {
                enc.writePage(p, Arrays.copyOfRange(after, off, off + PS), 0);
            }
        }
        enc.finish(0);
        store.client("db").createFile(0, txid, txid, LtxBody.of(out.toByteArray()));
    }

    private static void sql(Path db, String... statements) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement s = c.createStatement()) {
            for (String q : statements) {
                s.execute(q);
            }
        }
    }

    /** TXID 1: the table; TXID 2 (the writer's own): a row the writer's restarted history does not have. */
    private SqlHistory forkedReplica() throws Exception {
        Path db = tmp.resolve("writer.db");
        sql(db, "pragma page_size=" + PS, "create table kv(k integer primary key, v text)");
        upload(db, 1, new byte[0]);
        byte[] base = Files.readAllBytes(db);
        sql(db, "insert into kv values (1, 'uploaded, then lost from the buffer')");
        upload(db, 2, base);
        SqlReplica replica = new SqlReplica(store, "db", Files.createDirectories(tmp.resolve("restores")));
        SqlHistory model = new SqlHistory(world, replica, tmp.resolve("conflicts"));
        model.newBase(1); // the writer restarted on TXID 1: its history no longer has TXID 2's state
        assertThat(replica.rivalBeyond(1)).as("no rival's file: the old rule flagged this conflict").isFalse();
        return model;
    }

    @Test
    void aForkWithTheWritersOwnLostCommitsIsARealConflict() throws Exception {
        SqlHistory model = forkedReplica();
        model.committed(new TreeMap<>(Map.of(2, "committed after the restart")), true);
        model.checkConflictIsReal(1, "open", "no rival");
        assertThat(world.stats().stateCount("conflict-own-lost-commits")).isEqualTo(1);
    }

    @Test
    void aConflictOverFilesTheHistoryStillHasIsFalse() throws Exception {
        SqlHistory model = forkedReplica();
        model.committed(new TreeMap<>(Map.of(1, "uploaded, then lost from the buffer")), true);
        assertThatThrownBy(() -> model.checkConflictIsReal(1, "sync", "no rival"))
                .isInstanceOf(InvariantViolation.class).hasMessageContaining("false-conflict");
    }
}
