package dev.ltx4j.simulator;

import java.util.Arrays;
import java.util.Locale;

/** Every fault the simulator can inject, by the component that injects it. */
public enum FaultKind {
    // ---- object store
    /** A request takes much longer than usual (simulated time jumps). */
    LATENCY_SPIKE(Component.STORE),
    /** A request fails with a retryable error (5xx, connection reset) before doing anything. */
    TRANSIENT_ERROR(Component.STORE),
    /** A request is throttled (503 SlowDown / 429): retryable, after extra latency. */
    THROTTLE(Component.STORE),
    /** A create lands but its response is lost: {@code ReplicaOutcomeUnknownException} while the object exists. */
    LOST_RESPONSE(Component.STORE),
    /** A create times out before landing: {@code ReplicaOutcomeUnknownException} while nothing was written. */
    UNKNOWN_NOT_LANDED(Component.STORE),
    /** A rival's create of the same name lands between the caller's check and its own create. */
    CREATE_RACE(Component.STORE),
    /** A ranged read ends early, inside the object (the contract allows short reads only at end of file). */
    SHORT_READ(Component.STORE),
    /** A read fails: at open, or with an I/O error part way through the stream. */
    FAILED_READ(Component.STORE),
    /** A listing leaves out an object created (or still shows one deleted) within the lag window. */
    LISTING_LAG(Component.STORE),
    /** Stored bytes of an object are flipped at rest; readers must notice by checksum. */
    CORRUPT_AT_REST(Component.STORE),
    // ---- local disk
    /** The machine stops; unsynced writes survive in any subset. */
    CRASH(Component.DISK),
    /** A crash dropped at least one write that was not yet forced. */
    LOST_UNSYNCED_WRITE(Component.DISK),
    /** A crash kept only part of the last surviving write of a file. */
    TORN_WRITE(Component.DISK),
    /** An fsync of a file reports failure. */
    FSYNC_FAILURE(Component.DISK),
    /** An fsync of the directory (making creates and renames durable) reports failure. */
    DIRECTORY_SYNC_FAILURE(Component.DISK),
    /** A write (or truncate, rename) reports failure. */
    WRITE_FAILURE(Component.DISK),
    /**
     * A write finds the disk full after a random prefix of its bytes landed (log-writer scenario only): the buffer
     * must fail that transaction alone, cut the partial records off and work on.
     */
    DISK_FULL(Component.DISK),
    /**
     * A bit of the write buffer flips at rest inside records that were forced (media or firmware damage), found
     * at the next restart; recovery must refuse the buffer, not silently drop the commits after it.
     */
    BIT_ROT(Component.DISK),
    // ---- clocks
    /**
     * A process's wall clock steps forward or back by 2 s to 3 days (an NTP correction, a VM resumed after hours, a
     * container restored from a checkpoint) while monotonic time runs on (compaction scenario: the compactor
     * processes' clocks; docs/simulator-structure.md, "Clock steps").
     */
    CLOCK_STEP(Component.CLOCK);

    /** Who injects the fault. */
    public enum Component { STORE, DISK, CLOCK }

    private final Component component;

    FaultKind(Component component) {
        this.component = component;
    }

    public Component component() {
        return component;
    }

    /** The command-line name: lower case with dashes ({@code lost-response}). */
    public String cliName() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** Parses a command-line name or enum name. */
    public static FaultKind parse(String name) {
        String key = name.trim().toUpperCase(Locale.ROOT).replace('-', '_');
        for (FaultKind k : values()) {
            if (k.name().equals(key)) {
                return k;
            }
        }
        throw new IllegalArgumentException("unknown fault kind \"" + name + "\"; known: "
                + Arrays.stream(values()).map(FaultKind::cliName).toList());
    }
}
