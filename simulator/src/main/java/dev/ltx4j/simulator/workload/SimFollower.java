package dev.ltx4j.simulator.workload;

import dev.ltx4j.replica.EngineClock;
import dev.ltx4j.simulator.World;
import dev.ltx4j.simulator.store.SimReplicaClient;
import dev.ltx4j.syncer.Database;
import dev.ltx4j.syncer.EngineFaults;
import dev.ltx4j.syncer.EngineOptions;
import dev.ltx4j.syncer.PollOutcome;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;

/**
 * A read-mode follower, the actor both the {@link EngineRun} and the {@link FollowerRun} poll on its own interval:
 * it opens its database on the replica once it may, polls once per turn, and then has its state checked against
 * the run's model ({@link #check()}, the run's oracle).
 */
abstract class SimFollower {
    final World world;
    final String name;
    final SimReplicaClient client;
    final EngineOptions options;
    Database db;
    /** The TXID last observed (-1: none yet). */
    long seenTxid = -1;
    /**
     * Whether the last poll was a quick one (one request, nothing new, the held state not re-checked): until the next
     * complete check, a file of the held state replaced under the same name may fail to read (never read mixed).
     */
    boolean lastPollQuick;

    SimFollower(World world, String name, SimReplicaClient client, EngineOptions options) {
        this.world = world;
        this.name = name;
        this.client = client;
        this.options = options;
    }

    /** Read mode on the run's replica ({@code prefix}), with the follower's own clock. */
    static EngineOptions options(String prefix, Clock c, World world, Duration pollInterval, long cache, int i,
            EngineFaults faults) {
        return EngineOptions.builder()
                    .writeEnabled(false).pollInterval(pollInterval)
                    .clock(EngineClock.of(c, world.clock()::nanoTime, x -> { })).cacheBytes(cache).seed(i)
                    .replicaIdentity("sim://" + prefix).faults(faults).background(Runnable::run).build();
    }

    void poll() throws IOException {
        if (db == null) {
            if (!mayOpen()) {
                return;
            }
            try {
                db = Database.open(client, "db", options);
                world.reached("follower-opened", name + " at TXID " + db.current().txid());
            } catch (IOException e) {
                world.reached("follower-open-failed", e.getClass().getSimpleName());
                return;
            }
        } else {
            PollOutcome o = db.pollTick(options.clock().instant()); // the scheduled poll, as in production
            lastPollQuick = o == null ? lastPollQuick : o.quick();
            if (o != null && !o.ok()) {
                world.reached("poll-failed", o.error().getClass().getSimpleName());
                if (!checkAfterFailedPoll()) {
                    return;
                }
            }
        }
        check();
    }

    /** Whether the follower may open its database now. */
    boolean mayOpen() {
        return true;
    }

    /** After a failed poll: whether the follower's state is checked all the same. */
    abstract boolean checkAfterFailedPoll();

    /** Checks what the follower shows against the run's model. */
    abstract void check() throws IOException;
}
