package dev.ltx4j.pagestore;

import dev.ltx4j.pagestore.internal.LogFormat;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Objects;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;

/**
 * Settings for {@link WriteBuffer#open}. Immutable; build with {@link #builder()}.
 *
 * <p>{@code pageSize} and {@code initialBase} only matter when the buffer file does not exist yet; an existing
 * file keeps the values it was created with (a different page size is rejected).
 */
public final class WriteBufferOptions {
    private final int pageSize;
    private final Durability durability;
    private final BufferBase initialBase;
    private final Clock clock;
    private final Supplier<RandomGenerator> random;
    private final int stagingBytes;
    private final BufferRecovery recovery;
    private final BufferFaults faults;

    private WriteBufferOptions(Builder b) {
        this.faults = b.faults;
        this.recovery = b.recovery;
        this.pageSize = b.pageSize;
        this.durability = b.durability;
        this.initialBase = b.initialBase;
        this.clock = b.clock;
        this.random = b.random;
        this.stagingBytes = b.stagingBytes;
    }

    public static Builder builder() {
        return new Builder();
    }

    public int pageSize() {
        return pageSize;
    }

    public Durability durability() {
        return durability;
    }

    public BufferBase initialBase() {
        return initialBase;
    }

    public Clock clock() {
        return clock;
    }

    /** Source of salts and writer ids; called once per open. */
    public Supplier<RandomGenerator> random() {
        return random;
    }

    public int stagingBytes() {
        return stagingBytes;
    }

    /** What opening does with a damaged (not merely torn) buffer. */
    public BufferRecovery recovery() {
        return recovery;
    }

    /** Fault points (the simulator's bug switches); {@link BufferFaults#NONE} by default. */
    public BufferFaults faults() {
        return faults;
    }

    public static final class Builder {
        private int pageSize = 4096;
        private Durability durability = Durability.LOCAL;
        private BufferBase initialBase = BufferBase.EMPTY;
        private Clock clock = Clock.systemUTC();
        private Supplier<RandomGenerator> random = SecureRandom::new;
        private int stagingBytes = 1 << 20;
        private BufferRecovery recovery = BufferRecovery.REFUSE;
        private BufferFaults faults = BufferFaults.NONE;

        /** What opening does with a damaged buffer. Default {@link BufferRecovery#REFUSE}. */
        public Builder recovery(BufferRecovery recovery) {
            this.recovery = Objects.requireNonNull(recovery, "recovery");
            return this;
        }

        /** SQLite page size for a new buffer: a power of two in 512..65536. Default 4096. */
        public Builder pageSize(int pageSize) {
            if (!LogFormat.isValidPageSize(pageSize)) {
                throw new IllegalArgumentException("pageSize " + pageSize + " is not a power of two in 512..65536");
            }
            this.pageSize = pageSize;
            return this;
        }

        public Builder durability(Durability durability) {
            this.durability = Objects.requireNonNull(durability, "durability");
            return this;
        }

        /** Base recorded in a newly created buffer. Default {@link BufferBase#EMPTY}. */
        public Builder initialBase(BufferBase initialBase) {
            this.initialBase = Objects.requireNonNull(initialBase, "initialBase");
            return this;
        }

        /** Wall time of commit records; the engine passes its engine clock's wall time. Default the system clock. */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** Random source for salts and writer ids (tests pass a seeded generator). Default SecureRandom. */
        public Builder random(Supplier<RandomGenerator> random) {
            this.random = Objects.requireNonNull(random, "random");
            return this;
        }

        /**
         * Heap-free staging area for records of the open transaction, written to the file at commit or when
         * full. Default 1 MiB; always at least room for one page record and one commit record. It starts at 64 KiB (or
         * this, if less) and grows with the largest transaction up to this size, so a transaction that fits is written
         * once, at its commit; when the JVM refuses the memory to grow, the transaction is written in parts, and growth
         * is not tried again for a minute of the engine clock.
         */
        public Builder stagingBytes(int stagingBytes) {
            if (stagingBytes <= 0) {
                throw new IllegalArgumentException("stagingBytes must be positive: " + stagingBytes);
            }
            this.stagingBytes = stagingBytes;
            return this;
        }

        /** Fault points for the simulator's mutation tests. Default {@link BufferFaults#NONE}. */
        public Builder faults(BufferFaults faults) {
            this.faults = Objects.requireNonNull(faults, "faults");
            return this;
        }

        public WriteBufferOptions build() {
            return new WriteBufferOptions(this);
        }
    }
}
