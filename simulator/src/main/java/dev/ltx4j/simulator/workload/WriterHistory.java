package dev.ltx4j.simulator.workload;

import java.util.ArrayList;
import java.util.List;

/**
 * The {@link EngineWriter}'s reference model: the writer's states since its last base (index 0 is the base, the last
 * its latest commit), which of them are acknowledged (a crash or reopen may not take those back), and a commit that
 * failed part way (it may or may not have landed).
 */
final class WriterHistory {
    private final List<PageState> states = new ArrayList<>();
    private int acked;
    /**
     * The last state a force of the buffer may have covered: with durability NONE only an open (recovery) and a sync
     * round (its trim or adoption rewrites the log) force; later commits are unforced, so no stopped buffer's sync
     * may upload them (docs/write-buffer-recovery.md, "After a failed fsync").
     */
    private int forceable;
    private PageState candidate;

    PageState last() {
        return states.get(states.size() - 1);
    }

    /** The last state a crash or reopen may not take back. */
    PageState acknowledged() {
        return states.get(acked);
    }

    /** A commit returned; with {@code durableNow} (durability LOCAL or REMOTE) it is acknowledged at once. */
    void committed(PageState next, boolean durableNow) {
        states.add(next);
        if (durableNow) {
            acked = states.size() - 1;
        }
    }

    /** Everything committed so far is in the replica (a sync, a REMOTE commit). */
    void acknowledgeAll() {
        acked = states.size() - 1;
    }

    /**
     * Index of committed state {@code s} at or after the acknowledged one (never the failed candidate), else -1:
     * with durability NONE a stopped buffer's sync uploads only a forced prefix of the commits.
     */
    int committedAtOrAfterAcknowledged(PageState s) {
        for (int k = states.size() - 1; k >= acked; k--) {
            if (states.get(k).digest == s.digest) {
                return k;
            }
        }
        return -1;
    }

    /**
     * The lowest acknowledged-or-later state index whose digest matches, or -1: the lenient reading when two commits
     * left the same state (for the forceable bound, a repeat must not make a forced state look unforced).
     */
    int firstCommittedAtOrAfterAcknowledged(PageState s) {
        for (int k = acked; k < states.size(); k++) {
            if (states.get(k).digest == s.digest) {
                return k;
            }
        }
        return -1;
    }

    /** State {@code k} and those before it are in the replica. */
    void acknowledgeThrough(int k) {
        acked = Math.max(acked, k);
    }

    /** A sync round or an open starts: it may force everything committed so far. */
    void mayForceAll() {
        forceable = states.size() - 1;
    }

    /** The index of the last state a force may have covered (see {@link #mayForceAll}). */
    int forceable() {
        return forceable;
    }

    /** A commit failed part way: a later state may show it landed. */
    void failedPartWay(PageState next) {
        candidate = next;
    }

    /** Whether {@code s} is a state the writer's current history holds (committed since its last reopen or before). */
    boolean holds(PageState s) {
        for (PageState h : states) {
            if (h.digest == s.digest) {
                return true;
            }
        }
        return false;
    }

    /** Index of {@code s} in the history at or after the acknowledged one (the candidate appended), else -1. */
    int match(PageState s) {
        for (int k = states.size() - 1; k >= acked; k--) {
            if (states.get(k).digest == s.digest) {
                return k;
            }
        }
        if (candidate != null && candidate.digest == s.digest) {
            states.add(candidate);
            candidate = null;
            return states.size() - 1;
        }
        return -1;
    }

    /** The writer reopened showing state {@code k}: later ones are gone, and so is a failed commit. */
    void reopenedAt(int k) {
        while (states.size() > k + 1) {
            states.remove(states.size() - 1);
        }
        candidate = null;
        forceable = k; // the open forced what it recovered
    }

    /** Starts over on {@code base} (the start, a refresh, a reopen that took the replica). */
    void newBase(PageState base) {
        states.clear();
        states.add(base);
        acked = 0;
        forceable = 0;
        candidate = null;
    }
}
