package dev.ltx4j.pagestore;

/** When {@link WriteTransaction#commit(long)} may return. */
public enum Durability {
    /**
     * No fsync on commit: commit returns once the log write is issued. A power loss can lose recent commits, but
     * recovery still yields a committed prefix, never a partial transaction. Creation, markSynced and close
     * still force, as they are rare and their atomicity depends on it.
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
