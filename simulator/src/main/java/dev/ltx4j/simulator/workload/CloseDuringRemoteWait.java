package dev.ltx4j.simulator.workload;

import dev.ltx4j.simulator.InvariantViolation;
import dev.ltx4j.simulator.World;
import dev.ltx4j.simulator.disk.SimDisk;
import dev.ltx4j.syncer.Database;
import dev.ltx4j.syncer.EngineFaults;
import dev.ltx4j.syncer.SyncOutcome;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;

/**
 * The engine scenario's restart under durability REMOTE: the application closes the database (on another thread)
 * while a commit waits for the replica. The commit's create lands but its response is lost and the read-back fails,
 * so the commit pauses between its rounds (docs/remote-durability-unknown-outcome.md) without the writer slot or
 * {@code syncLock}; the engine clock's pause runs the close. At close's release point (after its final sync, before
 * it closes the buffer) the waiting commit's thread would run its next round, with the replica answering again: a
 * sync step stands for it here (the simulator is single-threaded). No round may run on a database close marked
 * closed (docs/engine-invariants.md I13): one that does adopts the landed file into generations close already
 * dropped, and the buffer handle it opens is never closed ({@code resource-leak}; switch {@code round-after-close}).
 * The commit itself must end as committed locally (a {@code SyncFailedException}), and the reopen finds it.
 */
final class CloseDuringRemoteWait {
    private final World world;
    private final SimDisk disk;
    private final LostCreateClient client;
    private final Clock clock;
    private final EngineOracle oracle;
    /** The database the step closes, while its commit waits; null outside the step. */
    private Database closing;
    private boolean closeInPause;
    private boolean roundAtRelease;
    private boolean closed;

    CloseDuringRemoteWait(World world, SimDisk disk, LostCreateClient client, Clock clock, EngineOracle oracle) {
        this.world = world;
        this.oracle = oracle;
        this.disk = disk;
        this.client = client;
        this.clock = clock;
    }

    /** The writer's engine clock sleeps: a remote commit's pause between its rounds. */
    void paused(Duration d) {
        if (!closeInPause || closing == null) {
            return;
        }
        closeInPause = false;
        world.reached("close-during-remote-wait", "pause " + d.toMillis() + " ms");
        try {
            closing.close();
        } catch (IOException | RuntimeException e) {
            world.reached("close-kept-commits", e.getClass().getSimpleName()); // the replica could not be read
        }
        closed = true;
    }

    /** The writer engine's preemption points. */
    void preempted(EngineFaults.Point at) {
        if (at != EngineFaults.Point.CLOSE_RELEASE || !roundAtRelease || closing == null) {
            return;
        }
        roundAtRelease = false;
        client.reset(); // the replica answers again
        oracle.faultsOff(true); // and reliably: the case is the round, not another fault
        try {
            SyncOutcome o = closing.syncOnce(clock.instant()); // the waiting commit's next round, as its thread runs it
            world.reached("round-at-close-release", o.status().name());
        } finally {
            oracle.faultsOff(false);
        }
    }

    /** Runs the step on {@code writer}'s open database: a commit of {@code writes}, closed while it waits. */
    void run(EngineWriter writer, java.util.TreeMap<Long, byte[]> writes, long newSize) throws IOException {
        closing = writer.database();
        closeInPause = true;
        roundAtRelease = true;
        closed = false;
        client.loseNextCreateResponse();
        int handlesBefore = disk.openHandles();
        try {
            writer.commitClosedMeanwhile(writes, newSize);
        } finally {
            closing = null;
            closeInPause = false;
            roundAtRelease = false;
            client.reset();
        }
        if (!closed) {
            world.reached("close-during-remote-wait-missed", ""); // the create failed outright: no pause
            writer.closeQuietlyForStep();
            return;
        }
        writer.closeQuietlyForStep(); // already closed: forgets the database
        if (disk.openHandles() != 0) {
            throw new InvariantViolation("resource-leak", disk.openHandles() + " write buffer file handle(s) still"
                    + " open after the writer's close returned (" + handlesBefore + " before the step): a sync"
                    + " round ran on the closing database and opened a buffer generation nobody releases");
        }
    }
}
