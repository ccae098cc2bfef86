package dev.ltx4j.simulator.workload;

import dev.ltx4j.replica.ForwardingReplicaClient;
import dev.ltx4j.replica.LtxBody;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaException;
import dev.ltx4j.replica.ReplicaTransientException;
import dev.ltx4j.simulator.FaultKind;
import dev.ltx4j.simulator.InvariantViolation;
import dev.ltx4j.simulator.World;
import dev.ltx4j.syncer.EngineOptions;
import java.io.IOException;
import java.time.Duration;
import java.util.TreeMap;

/**
 * The compaction scenario's deliberate step {@link CompactionScenario.CloseUnderClockStep}: the writer's own clock
 * steps, or its host is suspended (monotonic time stands still while the world, its compactors and followers, runs
 * on), while close's final sync retries against an unreachable store. Close's retries are timed on monotonic time
 * (docs/simulator-structure.md, "Clock steps"): oracle {@code close-retries}, the close gives up no earlier than its
 * timeout of the writer's monotonic time and no later than one retry after it, whatever the wall clock does.
 */
final class CloseUnderClockStep {
    /** The close timeout of the step's writer (the scenario's writer otherwise closes with a timeout of zero). */
    static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(3);
    /** One retry past the timeout: the last failed round (its client's bounded retries) and close's 100 ms wait. */
    static final Duration SLACK = Duration.ofSeconds(5);

    /** The writer's store while the step holds it down: every upload fails as a store that does not answer. */
    static final class OutageClient extends ForwardingReplicaClient {
        private boolean down;

        OutageClient(ReplicaClient delegate) {
            super(delegate);
        }

        @Override
        public LtxFileInfo createFile(int level, long minTxid, long maxTxid, LtxBody body) throws ReplicaException {
            if (down) {
                throw new ReplicaTransientException("simulated outage: the store does not answer (close-under-clock-step)");
            }
            return delegate.createFile(level, minTxid, maxTxid, body);
        }
    }

    private final World world;
    private final SteppingClock writerClock;
    private final OutageClient outage;
    /** How far the writer's monotonic time is behind the world's: the suspends so far. */
    private long suspendedNanos;
    private boolean closing;
    private boolean fired;
    private long startedNanos;
    private CompactionScenario.CloseUnderClockStep step;

    CloseUnderClockStep(World world, SteppingClock writerClock, OutageClient outage) {
        this.world = world;
        this.writerClock = writerClock;
        this.outage = outage;
    }

    /** The writer's monotonic time (its engine clock's {@code nanoTime}). */
    long writerNanoTime() {
        return world.clock().nanoTime() - suspendedNanos;
    }

    /**
     * The writer's engine clock waits. Outside the step nothing passes (as before: the scenario's writer never waits on
     * its engine clock); inside it the wait passes simulated time, and the first one carries the step or suspend.
     */
    void paused(Duration d) {
        if (!closing) {
            return;
        }
        world.clock().advance(d);
        if (!fired) {
            fired = true;
            if (step.stepMillis() != 0) {
                writerClock.step(step.stepMillis());
                world.fired(FaultKind.CLOCK_STEP, "writer " + Duration.ofMillis(step.stepMillis()) + " in close's retries");
            }
            if (step.suspendMillis() > 0) {
                world.clock().advance(Duration.ofMillis(step.suspendMillis()));
                suspendedNanos += step.suspendMillis() * 1_000_000L;
                world.reached("writer-suspended", Duration.ofMillis(step.suspendMillis()) + " in close's retries");
            }
        }
        long elapsed = writerNanoTime() - startedNanos;
        if (elapsed > CLOSE_TIMEOUT.plus(SLACK).toNanos()) {
            throw new InvariantViolation("close-retries", "close still retries after " + Duration.ofNanos(elapsed)
                    + " of the writer's monotonic time, its timeout is " + CLOSE_TIMEOUT + " (" + step + ")");
        }
    }

    /**
     * The step: the writer reopens with a close timeout, commits {@code page} while the store is down, closes (its
     * final sync retries), and reopens with {@code normal} once the store is back.
     */
    void run(EngineWriter writer, CompactionScenario.CloseUnderClockStep s, EngineOptions closingOptions,
            EngineOptions normal, int pageSize) throws IOException {
        this.step = s;
        writer.reopenWith(closingOptions, "for a close under a clock step");
        try {
            closeWhileDown(writer, s, pageSize);
        } finally {
            closing = false;
            outage.down = false;
        }
        // The step lasted through the close: corrected before the writer stamps files again (a writer's stamps off by
        // hours would keep its files that long, which file-count-bound does not model).
        if (writerClock.offsetMillis() != writerClock.baseMillis()) {
            writerClock.step(writerClock.baseMillis() - writerClock.offsetMillis());
        }
        writer.reopenWith(normal, "after a close under a clock step");
    }

    private void closeWhileDown(EngineWriter writer, CompactionScenario.CloseUnderClockStep s, int pageSize)
            throws IOException {
        if (writer.pendingIfWritable() < 0) {
            world.reached("close-under-clock-step-skipped", "writer conflicted");
            return;
        }
        outage.down = true;
        TreeMap<Long, byte[]> writes = new TreeMap<>();
        writes.put(1L, EngineRun.page(0xC105_E000_0000L + world.clock().nanoTime(), pageSize));
        writer.commitWrites(writes, Math.max(1, writer.last().size));
        long pending = writer.pendingIfWritable();
        if (pending <= 0) {
            world.reached("close-under-clock-step-skipped", "nothing pending");
            return;
        }
        closing = true;
        fired = false;
        startedNanos = writerNanoTime();
        IOException failed = writer.closeForStep();
        long elapsed = writerNanoTime() - startedNanos;
        closing = false;
        if (failed == null) {
            throw new InvariantViolation("close-retries", "close succeeded with " + pending + " commit(s) pending"
                    + " while the store was down (" + s + ")");
        }
        if (elapsed < CLOSE_TIMEOUT.toNanos()) {
            throw new InvariantViolation("close-retries", "close gave up after " + Duration.ofNanos(elapsed)
                    + " of the writer's monotonic time, its timeout is " + CLOSE_TIMEOUT + " (" + s + "): " + failed);
        }
        // The upper bound too: the retry waits check it, but a close that overran without another wait ends here.
        if (elapsed > CLOSE_TIMEOUT.plus(SLACK).toNanos()) {
            throw new InvariantViolation("close-retries", "close gave up only after " + Duration.ofNanos(elapsed)
                    + " of the writer's monotonic time, its timeout is " + CLOSE_TIMEOUT + " (" + s + "): " + failed);
        }
        world.reached("close-retried-through-clock-step", Duration.ofNanos(elapsed) + " " + s);
    }
}
