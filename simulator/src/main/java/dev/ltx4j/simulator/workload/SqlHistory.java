package dev.ltx4j.simulator.workload;

import dev.ltx4j.simulator.InvariantViolation;
import dev.ltx4j.simulator.World;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * The sql scenario's model: the writer's table states since its last base (commits are serialised by SQLite's
 * write lock, so they form one line), which of them returned and which a crash may not take back, and the oracles
 * that compare them with the replica and with the files saved under conflicts/.
 */
final class SqlHistory {
    private final World world;
    private final SqlReplica replica;
    private final Path conflictDir;
    private final Set<Path> knownConflictFiles = new TreeSet<>();
    private final List<TreeMap<Integer, String>> states = new ArrayList<>();
    /** Index of the last commit that returned. */
    int returned;
    /** Index of the last commit a crash may not take back. */
    int durable;
    /** A commit that failed with an I/O error: recovery may or may not find it. */
    TreeMap<Integer, String> candidate;

    SqlHistory(World world, SqlReplica replica, Path conflictDir) {
        this.world = world;
        this.replica = replica;
        this.conflictDir = conflictDir;
        states.add(new TreeMap<>());
    }

    TreeMap<Integer, String> last() {
        return states.get(states.size() - 1);
    }

    int size() {
        return states.size();
    }

    TreeMap<Integer, String> at(int k) {
        return states.get(k);
    }

    /** A commit returned; with {@code durableNow} (durability LOCAL or REMOTE) a crash may not take it back. */
    void committed(TreeMap<Integer, String> state, boolean durableNow) {
        states.add(state);
        returned = states.size() - 1;
        if (durableNow) {
            durable = returned;
        }
    }

    /** A commit that failed yet landed (not acknowledged, but the writer shows it). */
    void landed(TreeMap<Integer, String> state) {
        states.add(state);
    }

    /** A sync that started at state {@code index} succeeded: that much is in the replica. */
    void synced(int index) {
        durable = Math.max(durable, Math.min(index, returned));
    }

    /** Index of {@code s} at or after {@code from}, else -1. */
    int match(TreeMap<Integer, String> s, int from) {
        for (int k = states.size() - 1; k >= from; k--) {
            if (states.get(k).equals(s)) {
                return k;
            }
        }
        return -1;
    }

    /** The writer showed state {@code k} after a reopen: later ones are gone. */
    void reopenedAt(int k) {
        while (states.size() > k + 1) {
            states.remove(states.size() - 1);
        }
        returned = k;
        durable = Math.min(durable, k);
    }

    /**
     * Property {@code durability}: a writer reopened without a conflict shows {@code got}, which is a state at or
     * after its last durable one, a failed commit that landed after all, or the replica at {@code txid} it adopted.
     */
    void reopened(TreeMap<Integer, String> got, long txid, String why) throws IOException, SQLException {
        int k = match(got, durable);
        if (k < 0 && candidate != null && candidate.equals(got)) {
            landed(candidate);
            k = size() - 1;
            world.reached("failed-commit-recovered", why);
        }
        candidate = null;
        if (k < 0 && adoptedReplica(got, txid)) {
            world.reached("recovery-adopted-remote", "TXID " + txid);
            newBase(txid);
            return;
        }
        if (k < 0) {
            throw new InvariantViolation("durability", "writer reopened " + why + " at TXID " + txid
                    + " showing " + describe(got) + ", but its last durable state is " + describe(at(durable))
                    + " (last returned " + describe(at(returned)) + ")");
        }
        reopenedAt(k);
    }

    /**
     * A writer reopened conflicted: what its buffer kept is saved now, but a crash may have taken what was not
     * durable (durability NONE), and a commit that failed with an I/O error may be among what was kept.
     */
    void reopenedConflicted() {
        returned = durable;
        if (candidate != null) {
            landed(candidate);
            candidate = null;
        }
    }

    static String describe(TreeMap<Integer, String> m) {
        return "keys " + m.keySet() + " (hash " + Integer.toHexString(m.hashCode()) + ")";
    }

    /** Starts over on the replica's state at {@code txid} (after a refresh, or a reopen that took the replica). */
    void newBase(long txid) throws IOException, SQLException {
        TreeMap<Integer, String> base = null;
        SqlReplica.Restored r = replica.restore(txid);
        if (r != null) {
            base = SqlReplica.kv(r.file());
            r.delete();
        }
        states.clear();
        states.add(base == null ? new TreeMap<>() : base);
        returned = 0;
        durable = 0;
        candidate = null;
    }

    /**
     * Issue 8 item 3, checked when a refresh dropped the writer's state: a file saved under conflicts/ since the
     * last check (applied to the replica at its base), or the replica itself, holds a state at or after the last
     * commit that returned, so every acknowledged commit is kept somewhere.
     */
    void checkPreserved(String what) throws IOException, SQLException {
        List<String> seen = new ArrayList<>();
        for (Path f : newConflictFiles()) {
            TreeMap<Integer, String> saved = replica.savedState(f);
            if (match(saved, returned) >= 0) {
                world.reached("conflict-preserved", f.getFileName().toString());
                return;
            }
            seen.add(f.getFileName() + ": " + describe(saved));
        }
        SqlReplica.Restored head = replica.restore(0);
        long headTxid = head == null ? 0 : head.txid();
        if (head != null) {
            head.delete();
        }
        if (replicaHolds(headTxid, returned)) {
            world.reached("conflict-nothing-pending", "");
            return;
        }
        throw new InvariantViolation("conflict-preserved", what + ": the refresh dropped the writer's state, but"
                + " neither the replica nor a conflict file saved since holds the last acknowledged commit "
                + describe(states.get(returned)) + " (files: " + seen + ")");
    }

    /**
     * Whether a reopened writer legitimately shows the replica at {@code txid} instead of its own history: with
     * nothing pending it takes the replica as it is (a rival may have moved it), which must hold its durable state
     * at that TXID or an earlier one.
     */
    boolean adoptedReplica(TreeMap<Integer, String> got, long txid) throws IOException, SQLException {
        SqlReplica.Restored at = replica.restore(txid);
        if (at == null) {
            return false;
        }
        try {
            TreeMap<Integer, String> kv = SqlReplica.kv(at.file());
            if (kv == null || !kv.equals(got)) {
                return false;
            }
        } finally {
            at.delete();
        }
        return replicaHolds(txid, durable);
    }

    /**
     * {@code false-conflict}: a conflict on {@code base} is real only when a rival's file lies beyond it, or a file of
     * the writer's own there holds a state its history no longer has: uploaded before a crash took those commits from
     * the buffer (durability none, or an upload whose outcome was lost), after which the writer committed something
     * else on the old base. That is a real fork like a rival's file (README Limitations), classified as the engine
     * and the engine scenario's oracle do ({@code EngineWriter.onConflict}): reached as
     * {@code conflict-own-lost-commits}.
     */
    void checkConflictIsReal(long base, String where, String rivalNote) throws IOException, SQLException {
        if (replica.rivalBeyond(base)) {
            return;
        }
        long lost = lostOwnStateBeyond(base);
        if (lost > 0) {
            world.reached("conflict-own-lost-commits", where + " base " + base + " own TXID " + lost);
            return;
        }
        throw new InvariantViolation("false-conflict", where + " reported a conflict on base TXID " + base
                + " but no rival file lies beyond it, and every file of the writer's own there holds a state its"
                + " history still has (" + rivalNote + ")");
    }

    /**
     * The first TXID beyond {@code base} at which the replica (the writer's own files: the caller has found no rival's
     * there) holds a table state that none of the writer's states since its base has, or 0: a state the writer
     * uploaded and then lost (a crash took those commits from the buffer before they were durable).
     */
    long lostOwnStateBeyond(long base) throws IOException, SQLException {
        SqlReplica.Restored head = replica.restore(0);
        long headTxid = head == null ? 0 : head.txid();
        if (head != null) {
            head.delete();
        }
        for (long t = base + 1; t <= headTxid; t++) {
            SqlReplica.Restored r = replica.restore(t);
            TreeMap<Integer, String> kv = r == null ? null : SqlReplica.kv(r.file());
            if (r != null) {
                r.delete();
            }
            if (kv != null && match(kv, 0) < 0) {
                return t;
            }
        }
        return 0;
    }

    /** Whether the replica at {@code maxTxid} or one of the 64 TXIDs before holds a state at or after {@code from}. */
    private boolean replicaHolds(long maxTxid, int from) throws IOException, SQLException {
        for (long t = maxTxid; t >= 1 && t > maxTxid - 64; t--) {
            SqlReplica.Restored r = replica.restore(t);
            TreeMap<Integer, String> kv = r == null ? null : SqlReplica.kv(r.file());
            if (r != null) {
                r.delete();
            }
            if (kv != null && match(kv, from) >= 0) {
                return true;
            }
        }
        return false;
    }

    private List<Path> newConflictFiles() throws IOException {
        List<Path> fresh = new ArrayList<>();
        if (!Files.isDirectory(conflictDir)) {
            return fresh;
        }
        try (Stream<Path> s = Files.list(conflictDir)) {
            for (Path p : s.filter(p -> p.toString().endsWith(".ltx")).sorted().toList()) {
                if (knownConflictFiles.add(p)) {
                    fresh.add(p);
                }
            }
        }
        return fresh;
    }
}
