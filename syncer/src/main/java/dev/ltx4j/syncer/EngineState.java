package dev.ltx4j.syncer;

/**
 * The engine's bookkeeping as one immutable value, swapped only through {@link Database#updateState} (see
 * docs/engine-invariants.md, I1). Readers take one snapshot and see fields that belong together.
 *
 * @param conflict        the sticky conflict (write mode), or null; cleared only by refresh (I6)
 * @param savedThroughSeq the last buffer sequence number saved under {@code conflicts/} (refresh may drop what is
 *                        synced or saved, never more: I7)
 * @param tracked         whether uploads carry database checksums (false once the replica's state has none)
 * @param lastSyncMillis  clock time of the last sync that reached the replica, -1 if none
 * @param refreshes       completed refreshes (see {@link Database#refreshCount()})
 * @param bufferRecovery  what the last buffer open dropped or found, or null
 * @param lastError       for status: the last sync, poll or relocation error, or null
 */
record EngineState(ConflictInfo conflict, long savedThroughSeq, boolean tracked, long lastSyncMillis, long refreshes,
        String bufferRecovery, String lastError) {

    static final EngineState INITIAL = new EngineState(null, 0, false, -1, 0, null, null);

    EngineState withConflict(ConflictInfo c) {
        return new EngineState(c, savedThroughSeq, tracked, lastSyncMillis, refreshes, bufferRecovery, lastError);
    }

    EngineState withSavedThrough(long seq) {
        return new EngineState(conflict, seq, tracked, lastSyncMillis, refreshes, bufferRecovery, lastError);
    }

    EngineState withTracked(boolean t) {
        return new EngineState(conflict, savedThroughSeq, t, lastSyncMillis, refreshes, bufferRecovery, lastError);
    }

    EngineState withLastSync(long millis) {
        return new EngineState(conflict, savedThroughSeq, tracked, millis, refreshes, bufferRecovery, lastError);
    }

    EngineState withBufferRecovery(String what) {
        return new EngineState(conflict, savedThroughSeq, tracked, lastSyncMillis, refreshes, what, lastError);
    }

    EngineState withLastError(String error) {
        return new EngineState(conflict, savedThroughSeq, tracked, lastSyncMillis, refreshes, bufferRecovery, error);
    }

    /** A refresh completed: the conflict is cleared and the refresh counted. */
    EngineState refreshed() {
        return new EngineState(null, savedThroughSeq, tracked, lastSyncMillis, refreshes + 1, bufferRecovery,
                lastError);
    }
}
