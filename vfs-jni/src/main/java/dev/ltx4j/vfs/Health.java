package dev.ltx4j.vfs;

import java.util.Objects;

/**
 * A database's health for a framework's health endpoint (Spring Boot, MicroProfile, a load balancer probe): a
 * state and, unless {@link State#UP}, the reason and what to do. Depends on no framework; map it in a few lines.
 *
 * @param state  UP, DEGRADED or DOWN
 * @param reason why not UP, with the recovery; empty when UP
 */
public record Health(State state, String reason) {
    /** How usable the database is. */
    public enum State {
        /** Reads and writes work and syncs keep up. */
        UP,
        /**
         * Works locally, but the replica is behind: the last sync or poll failed (retried every interval) or
         * committed transactions wait longer than the allowed lag. Writes are still accepted and kept locally.
         */
        DEGRADED,
        /**
         * Writes (or reads) fail until someone acts: a conflict (call {@link LitestreamDatabase#refresh()}), a
         * stopped write buffer (disk full or I/O error; refresh or reopen), a diverged replica whose reads are
         * refused, or the handle is closed.
         */
        DOWN
    }

    public Health {
        Objects.requireNonNull(state, "state");
        reason = reason == null ? "" : reason;
    }

    static Health up() {
        return new Health(State.UP, "");
    }

    /** True when UP. */
    public boolean isUp() {
        return state == State.UP;
    }
}
