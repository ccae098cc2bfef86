package dev.ltx4j.simulator.store;

import dev.ltx4j.ltx.TxidRange;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A checker's record of everything that ever landed in (or left) a {@link SimObjectStore}, bypassing faults and
 * listing lag: every landing with its bytes, simulated time and whether it replaced a live object (which only a
 * non-conditional PUT can do), and every deletion. Pure observation: it draws no random numbers, so turning it on
 * never changes a run's trace. Oracles of workloads that delete files (compaction and retention) read the history
 * of a level here instead of its current contents.
 */
public final class StoreJournal {
    /** One object as it landed. */
    public record Landing(String key, int level, long minTxid, long maxTxid, byte[] data, long createdAtMillis,
            long landedAtNanos, boolean replacedLive) {}

    /** One removal. */
    public record Deletion(String key, long deletedAtNanos) {}

    private final TreeMap<String, Landing> latest = new TreeMap<>();
    private final List<Landing> replacements = new ArrayList<>();
    private final List<Deletion> deletions = new ArrayList<>();
    private long landings;

    synchronized void landed(String key, byte[] data, long createdAtMillis, long nowNanos, boolean replacedLive) {
        int slash = key.lastIndexOf('/');
        int levelSlash = key.lastIndexOf('/', slash - 1);
        TxidRange r = TxidRange.parseFilename(key.substring(slash + 1)).orElse(null);
        int level;
        try {
            level = Integer.parseInt(key.substring(levelSlash + 1, slash));
        } catch (NumberFormatException e) {
            return; // not an LTX file
        }
        if (r == null) {
            return;
        }
        Landing l = new Landing(key, level, r.minTxid(), r.maxTxid(), data.clone(), createdAtMillis, nowNanos,
                replacedLive);
        Landing before = latest.put(key, l);
        if (replacedLive || before != null && !Arrays.equals(before.data(), l.data())) {
            replacements.add(l);
        }
        landings++;
    }

    synchronized void deleted(String key, long nowNanos) {
        deletions.add(new Deletion(key, nowNanos));
    }

    /**
     * The last landing of every key that ever landed under {@code prefix} at {@code level}, deleted ones included,
     * in TXID-range order.
     */
    public synchronized List<Landing> everLanded(String prefix, int level) {
        String dir = SimObjectStore.levelKey(prefix, level);
        List<Landing> out = new ArrayList<>();
        for (Map.Entry<String, Landing> e : SimObjectStore.under(latest, dir).entrySet()) {
            if (!e.getKey().substring(dir.length()).contains("/")) {
                out.add(e.getValue());
            }
        }
        out.sort((a, b) -> new TxidRange(a.minTxid(), a.maxTxid()).compareTo(new TxidRange(b.minTxid(), b.maxTxid())));
        return out;
    }

    /**
     * Landings that replaced a live object, or re-created a deleted name with other bytes: a name must always mean
     * the same bytes, or a reader holding the old listing reads another file than it planned with.
     */
    public synchronized List<Landing> replacements() {
        return List.copyOf(replacements);
    }

    /** The last landing of {@code key}, or null when it never landed. */
    public synchronized Landing landing(String key) {
        return latest.get(key);
    }

    /** Every deletion so far, oldest first. */
    public synchronized List<Deletion> deletions() {
        return List.copyOf(deletions);
    }

    /** Landings so far (re-creations included). */
    public synchronized long landings() {
        return landings;
    }
}
