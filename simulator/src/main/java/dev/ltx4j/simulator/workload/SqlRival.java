package dev.ltx4j.simulator.workload;

import dev.ltx4j.replica.LtxBody;
import dev.ltx4j.replica.ReplicaException;
import dev.ltx4j.simulator.World;
import dev.ltx4j.simulator.store.SimObjectStore;
import java.io.IOException;
import java.sql.SQLException;
import java.util.List;
import java.util.TreeSet;

/**
 * The sql scenario's rival writer: real SQLite transactions on a copy of the replica's head, landed as the next
 * LTX file (as a {@link SqlScenario.Rival} action, or first on a name the writer is creating, the store's create
 * race). Its files carry {@link SqlReplica#RIVAL_NODE}, so a conflict can be told from a false one.
 */
final class SqlRival {
    private final World world;
    private final SimObjectStore store;
    private final SqlReplica replica;
    private final String prefix;
    /** TXIDs the rival landed (for messages; the oracle reads the store itself). */
    final TreeSet<Long> landed = new TreeSet<>();

    SqlRival(World world, SimObjectStore store, SqlReplica replica, String prefix) {
        this.world = world;
        this.store = store;
        this.replica = replica;
        this.prefix = prefix;
        store.setRival((p, level, min, max) -> raceFor(level, min, max));
    }

    /** Runs {@code stmts} on the head and creates the next file (the store's faults apply to the create). */
    void commit(List<SqlScenario.Stmt> stmts) throws IOException, SQLException {
        SqlReplica.Restored head = replica.restore(0);
        if (head == null) {
            return;
        }
        long txid = head.txid();
        head.delete();
        byte[] body = replica.rivalFile(txid, stmts, world.clock().millis());
        if (body == null) {
            return;
        }
        try {
            store.client(prefix).createFile(0, txid + 1, txid + 1, LtxBody.of(body));
            landed.add(txid + 1);
            world.reached("rival-landed", "TXID " + (txid + 1));
        } catch (ReplicaException e) {
            world.reached("rival-failed", e.getClass().getSimpleName());
        }
    }

    /** The store's create race: the rival lands a valid transaction on the name first. */
    private byte[] raceFor(int level, long min, long max) {
        if (level != 0 || min != max || min < 2) {
            return null;
        }
        try {
            byte[] body = replica.rivalFile(min - 1, List.of(new SqlScenario.Upsert((int) (min % SqlScenario.KEYS),
                    min * 31, 20)), world.clock().millis());
            if (body != null) {
                landed.add(min);
            }
            return body;
        } catch (IOException | SQLException e) {
            return null;
        }
    }
}
