package dev.ltx4j.simulator.workload;

import dev.ltx4j.ltx.LtxDecoder;
import dev.ltx4j.ltx.LtxHeader;
import dev.ltx4j.replica.LtxBody;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaException;
import dev.ltx4j.replica.ReplicaNotFoundException;
import dev.ltx4j.replica.ReplicaPermanentException;
import dev.ltx4j.replica.RestorePlanException;
import dev.ltx4j.replica.RestorePlanner;
import dev.ltx4j.replica.RestoreTarget;
import dev.ltx4j.simulator.InvariantViolation;
import dev.ltx4j.simulator.World;
import dev.ltx4j.simulator.store.SimObjectStore;
import dev.ltx4j.simulator.store.StoreJournal;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The compaction scenario's oracle over the bucket's true contents (no faults, no listing lag):
 * <ul>
 *   <li>{@code compaction-correct}: every file above level 0, applied to the model's state just before its range
 *       (the empty database for a snapshot), gives the model's state at its last TXID, and its header names the
 *       range of its key;</li>
 *   <li>{@code retention}: {@link RestorePlanner} over the files still in the bucket plans a restore of every TXID
 *       inside the retention window (every TXID whose level-0 file was created at or after the window's start)
 *       and of the latest TXID; {@code restore-equals-model}: applying that plan gives exactly the model's state
 *       at that TXID;</li>
 *   <li>{@code create-if-absent}: no name ever landed over a live object or came back with other bytes;</li>
 *   <li>{@code file-count-bound}: at most {@code slack} files that landed more than a window ago are still there.</li>
 * </ul>
 * Decoded files and restored states are memoised (a name always means the same bytes, which the third property
 * checks), so a check after every compactor step costs about one apply per new file and TXID.
 */
final class RetentionChecker {
    /** One decoded file: its header and its pages with their checksums. */
    private record Decoded(LtxHeader header, Map<Long, PageState.Page> pages) {}

    private final World world;
    private final SimObjectStore store;
    private final StoreJournal journal;
    private final ReplicaAuditor auditor;
    private final String prefix;
    private final int pageSize;
    private final Map<String, Decoded> decoded = new HashMap<>();
    private final Map<String, Boolean> verified = new HashMap<>();
    /** State after applying a file (by key and bytes) to a state (by digest). */
    private final Map<String, PageState> applied = new HashMap<>();
    private long checkedMutations = -1;
    private long checks;
    private long restores;

    RetentionChecker(World world, SimObjectStore store, StoreJournal journal, ReplicaAuditor auditor, String prefix,
            int pageSize) {
        this.world = world;
        this.store = store;
        this.journal = journal;
        this.auditor = auditor;
        this.prefix = prefix;
        this.pageSize = pageSize;
    }

    long checks() {
        return checks;
    }

    long restores() {
        return restores;
    }

    /**
     * Checks every property of the class comment unless nothing changed since the last check.
     *
     * @param windowStartMillis the earliest creation time (LTX header timestamp) of a level-0 file whose TXID must
     *                          still restore: the oldest retention window any compactor may be using
     */
    void check(long windowStartMillis, String when) {
        if (store.mutations() == checkedMutations) {
            return;
        }
        checkedMutations = store.mutations();
        checks++;
        auditor.audit();
        checkCreateIfAbsent();
        TreeMap<Integer, List<SimObjectStore.StoredObject>> byLevel = new TreeMap<>();
        for (int level = ReplicaClient.MIN_LEVEL; level <= ReplicaClient.MAX_LEVEL; level++) {
            byLevel.put(level, store.inspect(prefix, level));
        }
        for (int level = 1; level <= ReplicaClient.MAX_LEVEL; level++) {
            for (SimObjectStore.StoredObject f : byLevel.get(level)) {
                checkCompacted(f);
            }
        }
        long head = auditor.head();
        if (head == 0) {
            return;
        }
        View view = new View(byLevel);
        List<Long> points = new ArrayList<>();
        for (StoreJournal.Landing l : journal.everLanded(prefix, 0)) {
            if (l.maxTxid() <= head && l.createdAtMillis() >= windowStartMillis && l.maxTxid() != head) {
                points.add(l.maxTxid());
            }
        }
        points.add(head);
        for (long t : points) {
            restore(view, t, windowStartMillis, when);
        }
        world.reached("restores-verified", when + ": " + points.size() + " TXIDs from " + points.get(0));
    }

    private void checkCreateIfAbsent() {
        List<StoreJournal.Landing> r = journal.replacements();
        if (!r.isEmpty()) {
            StoreJournal.Landing l = r.get(0);
            throw new InvariantViolation("create-if-absent", l.key() + (l.replacedLive()
                    ? " landed over a live object (an unconditional PUT)"
                    : " was created again with other bytes than before its deletion"));
        }
    }

    private void checkCompacted(SimObjectStore.StoredObject f) {
        String id = id(f.key(), f.data());
        if (verified.containsKey(id)) {
            return;
        }
        Decoded d = decode(f.key(), f.data());
        LtxHeader h = d.header();
        if (h.minTxid() != f.minTxid() || h.maxTxid() != f.maxTxid() || h.pageSize() != pageSize) {
            throw new InvariantViolation("compaction-correct", f.key() + " holds TXIDs " + h.minTxid() + "-"
                    + h.maxTxid() + " with page size " + h.pageSize() + ", not what its name says");
        }
        if (f.maxTxid() > auditor.head()) {
            throw new InvariantViolation("compaction-correct", f.key() + " reaches TXID " + f.maxTxid()
                    + " beyond every level-0 file (head " + auditor.head() + ")");
        }
        PageState base = h.isSnapshot() ? PageState.empty(pageSize) : auditor.stateAt(f.minTxid() - 1);
        if (h.isSnapshot() && f.minTxid() != 1) {
            throw new InvariantViolation("compaction-correct", f.key() + " is a snapshot that does not start at 1");
        }
        PageState got = base.applyPages(d.pages(), h.commitPages());
        PageState want = auditor.stateAt(f.maxTxid());
        if (got.digest != want.digest) {
            throw new InvariantViolation("compaction-correct", f.key() + " applied to TXID " + (f.minTxid() - 1)
                    + " gives " + got + " but the model at TXID " + f.maxTxid() + " is " + want
                    + EngineOracle.firstDifference(got, want));
        }
        verified.put(id, true);
        world.reached("compacted-file-verified", "L" + f.level());
    }

    private void restore(View view, long t, long windowStartMillis, String when) {
        List<LtxFileInfo> plan;
        try {
            plan = new RestorePlanner(view).plan(RestoreTarget.txid(t));
        } catch (RestorePlanException | ReplicaException e) {
            throw new InvariantViolation("retention", when + ": TXID " + t + " (head " + auditor.head()
                    + ", window from " + windowStartMillis + " ms) cannot be restored: " + e.getMessage()
                    + "; the bucket holds " + view.summary() + level0History(t));
        }
        PageState s = PageState.empty(pageSize);
        for (LtxFileInfo f : plan) {
            SimObjectStore.StoredObject o = view.object(f);
            String memo = Long.toHexString(s.digest) + "/" + s.size + "/" + id(o.key(), o.data());
            PageState next = applied.get(memo);
            if (next == null) {
                Decoded d = decode(o.key(), o.data());
                next = (d.header().isSnapshot() ? PageState.empty(pageSize) : s).applyPages(d.pages(),
                        d.header().commitPages());
                if (applied.size() > 200_000) {
                    applied.clear();
                }
                applied.put(memo, next);
            }
            s = next;
        }
        restores++;
        PageState want = auditor.stateAt(t);
        if (s.digest != want.digest) {
            StringBuilder files = new StringBuilder();
            plan.forEach(f -> files.append(" L").append(f.level()).append('/').append(f.range().filename()));
            throw new InvariantViolation("restore-equals-model", when + ": the restore of TXID " + t + " from"
                    + files + " gives " + s + " but the model there is " + want + EngineOracle.firstDifference(s, want));
        }
    }

    /**
     * {@code file-count-bound}: live files that landed before {@code oldNanos} must be at most {@code slack}.
     *
     * @return the number of live files
     */
    int checkBound(long oldNanos, int slack, String when) {
        StringBuilder oldFiles = new StringBuilder();
        int[] counts = count(oldNanos, oldFiles);
        if (counts[1] > slack) {
            throw new InvariantViolation("file-count-bound", when + ": " + counts[1] + " of " + counts[0] + " files"
                    + " landed more than a window ago (bound " + slack + "):" + oldFiles + planSays());
        }
        return counts[0];
    }

    private java.util.function.Function<Map<Integer, List<LtxFileInfo>>, String> planner = m -> "";

    /** What the retention plan over the bucket's true contents says now, for a {@code file-count-bound} message. */
    void planner(java.util.function.Function<Map<Integer, List<LtxFileInfo>>, String> planner) {
        this.planner = planner;
    }

    private String planSays() {
        TreeMap<Integer, List<SimObjectStore.StoredObject>> byLevel = new TreeMap<>();
        for (int level = ReplicaClient.MIN_LEVEL; level <= ReplicaClient.MAX_LEVEL; level++) {
            byLevel.put(level, store.inspect(prefix, level));
        }
        View v = new View(byLevel);
        Map<Integer, List<LtxFileInfo>> files = new TreeMap<>();
        for (int level = ReplicaClient.MIN_LEVEL; level <= ReplicaClient.MAX_LEVEL; level++) {
            files.put(level, v.listFiles(level, 0, false));
        }
        return planner.apply(files) + "; the bucket holds" + v.summary();
    }

    /** Live files that landed before {@code oldNanos}. */
    int oldFiles(long oldNanos) {
        return count(oldNanos, new StringBuilder())[1];
    }

    /** {live files, live files landed before oldNanos}; names the first old ones in {@code oldFiles}. */
    private int[] count(long oldNanos, StringBuilder oldFiles) {
        Map<String, StoreJournal.Landing> landing = new HashMap<>();
        int live = 0;
        int old = 0;
        for (int level = ReplicaClient.MIN_LEVEL; level <= ReplicaClient.MAX_LEVEL; level++) {
            for (StoreJournal.Landing l : journal.everLanded(prefix, level)) {
                landing.put(l.key(), l);
            }
            for (SimObjectStore.StoredObject o : store.inspect(prefix, level)) {
                live++;
                StoreJournal.Landing l = landing.get(o.key());
                if (l == null || l.landedAtNanos() < oldNanos) {
                    old++;
                    if (oldFiles.length() < 400) {
                        oldFiles.append(' ').append(o.key().substring(o.key().indexOf("ltx/") + 4));
                    }
                }
            }
        }
        return new int[] {live, old};
    }

    /** When TXID {@code t}'s level-0 file was created and deleted (simulated ms), for a failure message. */
    private String level0History(long t) {
        for (StoreJournal.Landing l : journal.everLanded(prefix, 0)) {
            if (l.maxTxid() == t) {
                String deleted = journal.deletions().stream().filter(d -> d.key().equals(l.key()))
                        .map(d -> String.valueOf(d.deletedAtNanos() / 1_000_000)).reduce((a, b) -> b).orElse("never");
                return "; its level-0 file was created at " + l.createdAtMillis() + " ms (landed at "
                        + l.landedAtNanos() / 1_000_000 + " ms simulated), deleted at " + deleted + " ms simulated";
            }
        }
        return "";
    }

    private static String id(String key, byte[] data) {
        return key + "#" + Long.toHexString(ByteBuffer.wrap(data).getLong(data.length - 8)) + "#" + data.length;
    }

    private Decoded decode(String key, byte[] data) {
        String id = id(key, data);
        Decoded d = decoded.get(id);
        if (d != null) {
            return d;
        }
        TreeMap<Long, PageState.Page> pages = new TreeMap<>();
        LtxHeader h;
        try (LtxDecoder dec = new LtxDecoder(new ByteArrayInputStream(data), key)) {
            h = dec.header();
            byte[] buf = new byte[h.pageSize()];
            long pgno;
            while ((pgno = dec.readPage(buf, 0)) != 0) {
                pages.put(pgno, PageState.pageOf(h.pageSize(), pgno, buf.clone()));
            }
            dec.summary();
        } catch (IOException e) {
            throw new InvariantViolation("compaction-correct", key + " does not decode: " + e.getMessage());
        }
        d = new Decoded(h, pages);
        decoded.put(id, d);
        return d;
    }

    /** The bucket's true contents as a read-only replica client, for the restore planner. */
    private final class View implements ReplicaClient {
        private final TreeMap<Integer, List<SimObjectStore.StoredObject>> byLevel;
        private final Map<Integer, List<LtxFileInfo>> infos = new HashMap<>();
        private final Map<String, SimObjectStore.StoredObject> byKey = new HashMap<>();

        View(TreeMap<Integer, List<SimObjectStore.StoredObject>> byLevel) {
            this.byLevel = byLevel;
            byLevel.forEach((level, objs) -> {
                List<LtxFileInfo> l = new ArrayList<>();
                for (SimObjectStore.StoredObject o : objs) {
                    l.add(new LtxFileInfo(level, o.minTxid(), o.maxTxid(), o.data().length, store.createdAt(o.key())));
                    byKey.put(level + "/" + o.minTxid() + "/" + o.maxTxid(), o);
                }
                infos.put(level, List.copyOf(l));
            });
        }

        SimObjectStore.StoredObject object(LtxFileInfo f) {
            return byKey.get(f.level() + "/" + f.minTxid() + "/" + f.maxTxid());
        }

        String summary() {
            StringBuilder b = new StringBuilder();
            infos.forEach((level, l) -> {
                if (!l.isEmpty()) {
                    b.append(" L").append(level).append(':');
                    l.stream().limit(12).forEach(f -> b.append(' ').append(f.minTxid()).append('-').append(f.maxTxid()));
                    if (l.size() > 12) {
                        b.append(" ...(").append(l.size()).append(')');
                    }
                }
            });
            return b.toString();
        }

        @Override
        public String type() {
            return "sim-view";
        }

        @Override
        public List<LtxFileInfo> listFiles(int level, long seekTxid, boolean useMetadata) {
            return infos.get(level).stream().filter(f -> Long.compareUnsigned(f.minTxid(), seekTxid) >= 0).toList();
        }

        @Override
        public InputStream openFile(int level, long minTxid, long maxTxid, long offset, long length)
                throws ReplicaException {
            SimObjectStore.StoredObject o = byKey.get(level + "/" + minTxid + "/" + maxTxid);
            if (o == null) {
                throw new ReplicaNotFoundException("no such file in the view");
            }
            return new ByteArrayInputStream(o.data());
        }

        @Override
        public LtxFileInfo createFile(int level, long minTxid, long maxTxid, LtxBody body) throws ReplicaException {
            throw new ReplicaPermanentException("the checker's view is read-only");
        }

        @Override
        public void deleteFiles(Collection<LtxFileInfo> files) throws ReplicaException {
            throw new ReplicaPermanentException("the checker's view is read-only");
        }

        @Override
        public void deleteAll() throws ReplicaException {
            throw new ReplicaPermanentException("the checker's view is read-only");
        }

        @Override
        public void close() {
        }
    }
}
