package dev.ltx4j.pagestore.replica;

import java.io.IOException;

/**
 * Fault points of a {@link Hydrator} for the simulator: crash points it may throw from, and bug switches that
 * re-introduce the mistakes the design avoids. {@link #NONE} in production.
 */
public interface HydrationFaults {
    HydrationFaults NONE = new HydrationFaults() {};

    /** Where a crash may be injected. */
    enum Point { AFTER_PAGE_WRITE, AFTER_FILE_APPLIED, BEFORE_SIDECAR }

    /** Called at {@code point}; throw to simulate a crash there (the hydrator is then abandoned, not closed). */
    default void at(Point point) throws IOException {}

    /** Bug switch: serve a page from the local file whenever it holds one, whatever version the reader pinned. */
    default boolean ignorePinnedVersion() {
        return false;
    }

    /** Bug switch: reuse a file after a restart on its sidecar's word, without checking the file's checksum. */
    default boolean trustSidecar() {
        return false;
    }
}
