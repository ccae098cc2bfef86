package dev.ltx4j.simulator.workload;

import dev.ltx4j.ltx.Ltx;
import dev.ltx4j.ltx.LtxDecoder;
import dev.ltx4j.ltx.LtxHeader;
import dev.ltx4j.ltx.LtxSummary;
import dev.ltx4j.simulator.InvariantViolation;
import dev.ltx4j.simulator.store.SimObjectStore;
import dev.ltx4j.simulator.store.StoreJournal;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The engine scenario's view of the replica's truth: reads level 0 of the simulated bucket without faults,
 * decodes each new file once and keeps the database state at every TXID. Checks, on every audit:
 * <ul>
 *   <li>{@code no-fork}: TXIDs 1..n, one single-TXID file each; a file once seen is never replaced; a writer's
 *       file builds on a state the writer had seen (else it silently overwrote a rival's history);</li>
 *   <li>{@code checksum-chain}: each tracked file's pre-apply checksum is the previous state's checksum and its
 *       post-apply checksum that of the state it produces; the decoder verifies the file checksum;</li>
 *   <li>{@code atomicity}: the state at every TXID is one some writer committed (a commit boundary);</li>
 *   <li>{@code lost-acknowledged-write}: every rival file whose create was acknowledged is still in place.</li>
 * </ul>
 */
final class ReplicaAuditor {
    /** One decoded file of the chain. */
    record Entry(long txid, long nodeId, long fileChecksum, PageState state) {}

    private final SimObjectStore store;
    private final String prefix;
    private final int pageSize;
    private final long rivalNodeId;
    private final List<Entry> chain = new ArrayList<>();
    private final PageState empty;
    /** Digest of every state a writer committed: writer states map to an ordinal, rival states to -1. */
    private final Map<Long, Long> committed = new HashMap<>();
    /** Digests of states the engine writer built on (its bases and its own commits). */
    private final Set<Long> writerKnown = new HashSet<>();
    private final TreeMap<Long, Long> rivalAcks = new TreeMap<>();
    private long lastMutations = -1;
    private long lastWriterOrdinal = -1;
    private long writerOrdinals;
    /** Non-null when files may be deleted (compaction, retention): level 0's history comes from here. */
    private final StoreJournal journal;

    ReplicaAuditor(SimObjectStore store, String prefix, int pageSize, long rivalNodeId) {
        this(store, prefix, pageSize, rivalNodeId, null);
    }

    /**
     * With {@code journal} non-null the auditor models a replica whose files may be deleted: it reads every level-0
     * file that ever landed (deleted ones included) from the journal, so the state at every TXID stays known after
     * retention removed its file; whether the replica still restores it is the compaction scenario's check.
     */
    ReplicaAuditor(SimObjectStore store, String prefix, int pageSize, long rivalNodeId, StoreJournal journal) {
        this.journal = journal;
        this.store = store;
        this.prefix = prefix;
        this.pageSize = pageSize;
        this.rivalNodeId = rivalNodeId;
        this.empty = PageState.empty(pageSize);
        committed.put(empty.digest, 0L);
        writerKnown.add(empty.digest);
    }

    /** Registers a state the engine writer committed (or may have committed). */
    void writerCommitted(PageState s) {
        committed.putIfAbsent(s.digest, ++writerOrdinals);
        writerKnown.add(s.digest);
    }

    /** Registers a state the writer builds on (after open or refresh). */
    void writerBuildsOn(PageState s) {
        writerKnown.add(s.digest);
    }

    /** Registers a state a rival produced. */
    void rivalCommitted(PageState s) {
        committed.putIfAbsent(s.digest, -1L);
    }

    /** A rival's create of {@code txid} was acknowledged with this file checksum. */
    void rivalAcknowledged(long txid, long fileChecksum) {
        rivalAcks.put(txid, fileChecksum);
    }

    long head() {
        return chain.size();
    }

    PageState stateAt(long txid) {
        return txid == 0 ? empty : chain.get((int) txid - 1).state();
    }

    Entry entry(long txid) {
        return chain.get((int) txid - 1);
    }

    boolean isRival(Entry e) {
        return e.nodeId() == rivalNodeId;
    }

    /** Writer-authored files in the chain. */
    long writerFiles() {
        return chain.stream().filter(e -> !isRival(e)).count();
    }

    /** Re-reads the bucket if it changed and checks every property in the class comment. */
    void audit() {
        if (store.mutations() == lastMutations) {
            return;
        }
        lastMutations = store.mutations();
        List<SimObjectStore.StoredObject> files = journal == null ? store.inspect(prefix, 0)
                : journal.everLanded(prefix, 0).stream().map(l -> new SimObjectStore.StoredObject(l.key(), 0,
                        l.minTxid(), l.maxTxid(), l.data(), false)).toList();
        if (files.size() < chain.size()) {
            throw new InvariantViolation("durability", "level 0 shrank from " + chain.size() + " to " + files.size()
                    + " files");
        }
        for (int i = 0; i < files.size(); i++) {
            SimObjectStore.StoredObject f = files.get(i);
            if (f.minTxid() != i + 1 || f.maxTxid() != f.minTxid()) {
                throw new InvariantViolation("no-fork", "level 0 file #" + (i + 1) + " is " + f.key()
                        + "; expected TXID " + (i + 1) + " alone (a gap, or two files claim one TXID)");
            }
            long sum = ByteBuffer.wrap(f.data()).getLong(f.data().length - 8);
            if (i < chain.size()) {
                if (chain.get(i).fileChecksum() != sum) {
                    throw new InvariantViolation("no-fork", f.key() + " was replaced after it landed (file checksum "
                            + Long.toHexString(chain.get(i).fileChecksum()) + " became " + Long.toHexString(sum) + ")");
                }
                continue;
            }
            chain.add(decode(f, sum));
        }
        for (Map.Entry<Long, Long> a : rivalAcks.entrySet()) {
            long txid = a.getKey();
            if (txid > chain.size() || chain.get((int) txid - 1).fileChecksum() != a.getValue()) {
                throw new InvariantViolation("lost-acknowledged-write", "a rival's acknowledged file at TXID " + txid
                        + " is " + (txid > chain.size() ? "gone" : "replaced by node "
                        + Long.toHexString(chain.get((int) txid - 1).nodeId())));
            }
        }
    }

    private Entry decode(SimObjectStore.StoredObject f, long fileChecksum) {
        long txid = f.minTxid();
        PageState prev = stateAt(txid - 1);
        LtxHeader h;
        LtxSummary summary;
        TreeMap<Long, byte[]> pages = new TreeMap<>();
        try (LtxDecoder d = new LtxDecoder(new ByteArrayInputStream(f.data()), f.key())) {
            h = d.header();
            if (h.pageSize() != pageSize) {
                throw new InvariantViolation("no-fork", f.key() + " has page size " + h.pageSize() + ", the database "
                        + pageSize);
            }
            byte[] buf = new byte[pageSize];
            long pgno;
            while ((pgno = d.readPage(buf, 0)) != 0) {
                pages.put(pgno, buf.clone());
            }
            summary = d.summary();
        } catch (IOException e) {
            throw new InvariantViolation("checksum-chain", f.key() + " does not decode: " + e.getMessage());
        }
        long commit = h.commitPages();
        PageState next;
        if (h.isSnapshot()) {
            for (long p = 1; p <= commit; p++) {
                if (!pages.containsKey(p) && p != Ltx.lockPgno(pageSize)) {
                    throw new InvariantViolation("atomicity", f.key() + " is a snapshot without page " + p);
                }
            }
            next = empty.apply(pages, commit);
        } else {
            for (long p = prev.size + 1; p <= commit; p++) {
                if (!pages.containsKey(p)) {
                    throw new InvariantViolation("atomicity", f.key() + " grows the database to " + commit
                            + " pages without page " + p);
                }
            }
            next = prev.apply(pages, commit);
        }
        if (!h.noChecksum()) {
            if (txid > 1 && h.preApplyChecksum() != prev.digest) {
                throw new InvariantViolation("checksum-chain", f.key() + " pre-apply checksum "
                        + Long.toHexString(h.preApplyChecksum()) + " but TXID " + (txid - 1) + " ends at "
                        + Long.toHexString(prev.digest));
            }
            if (summary.postApplyChecksum() != next.digest) {
                throw new InvariantViolation("checksum-chain", f.key() + " post-apply checksum "
                        + Long.toHexString(summary.postApplyChecksum()) + " but its pages give "
                        + Long.toHexString(next.digest));
            }
        }
        Long ordinal = committed.get(next.digest);
        if (ordinal == null) {
            throw new InvariantViolation("atomicity", "replica at TXID " + txid + " (" + f.key() + ", node "
                    + Long.toHexString(h.nodeId()) + ") holds " + next + ", a state no transaction committed");
        }
        if (h.nodeId() != rivalNodeId) {
            if (!writerKnown.contains(prev.digest)) {
                throw new InvariantViolation("no-fork", "the writer's " + f.key() + " builds on TXID " + (txid - 1)
                        + " (" + prev + "), a state the writer never saw: it wrote over a rival's history");
            }
            if (ordinal >= 0) {
                if (ordinal <= lastWriterOrdinal) {
                    throw new InvariantViolation("atomicity", "the writer's " + f.key() + " holds its commit #"
                            + ordinal + " after commit #" + lastWriterOrdinal + " (out of order)");
                }
                lastWriterOrdinal = ordinal;
            }
        }
        return new Entry(txid, h.nodeId(), fileChecksum, next);
    }

    /** Decodes an LTX file (a conflict file) and applies it to the state at its base TXID. */
    PageState applyFile(InputStream in, String name) throws IOException {
        try (LtxDecoder d = new LtxDecoder(in, name)) {
            LtxHeader h = d.header();
            TreeMap<Long, byte[]> pages = new TreeMap<>();
            byte[] buf = new byte[h.pageSize()];
            long pgno;
            while ((pgno = d.readPage(buf, 0)) != 0) {
                pages.put(pgno, buf.clone());
            }
            PageState base = h.isSnapshot() ? empty : stateAt(h.minTxid() - 1);
            return base.apply(pages, h.commitPages());
        }
    }
}
