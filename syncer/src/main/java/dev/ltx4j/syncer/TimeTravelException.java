package dev.ltx4j.syncer;

import java.time.Instant;

/**
 * A time travel target the replica cannot serve: a time in the future, a time before the oldest state the replica
 * can still restore (named in the message and in {@link #oldestAvailable()}), or a replica with no restorable state.
 */
public final class TimeTravelException extends EngineException {
    private final transient Instant oldestAvailable;

    public TimeTravelException(String message, Instant oldestAvailable) {
        super(message, null);
        this.oldestAvailable = oldestAvailable;
    }

    /** The commit time of the oldest restorable state, when the target was before it; else null. */
    public Instant oldestAvailable() {
        return oldestAvailable;
    }
}
