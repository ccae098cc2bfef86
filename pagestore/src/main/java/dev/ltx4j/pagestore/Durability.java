package dev.ltx4j.pagestore;

/** When {@link WriteTransaction#commit(long)} may return. */
public enum Durability {
    /**
     * No fsync: commit returns once the log write is issued. A crash can lose recent commits, but recovery still
     * yields a committed prefix, never a partial transaction.
     */
    NONE,
    /** Commit returns after the log is forced to local disk (concurrent committers share one force). */
    LOCAL,
    /**
     * Commit should wait for the replica upload; that wait belongs to the syncer, so the buffer itself behaves
     * as {@link #LOCAL}.
     */
    REMOTE
}
