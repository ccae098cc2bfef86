package dev.ltx4j.simulator.workload;

import dev.ltx4j.pagestore.Durability;
import dev.ltx4j.simulator.World;
import java.io.IOException;
import java.time.Duration;
import java.util.TreeMap;

/**
 * A deliberate case of the compaction scenario (durability NONE), the one behind compaction seed 5048: the writer's
 * sync creates L0/N, the create lands but its response is lost and the read-back fails, so the outcome stays unknown;
 * the machine crashes, taking every commit since the last sync (none was forced), and the writer reopens while the
 * listing does not show L0/N yet, so it stays on base N - 1 with nothing pending. The application commits the lost
 * changes again as one transaction that rewrites every page (other bytes than L0/N, the same database), the listing
 * catches up and the writer syncs: it must adopt its own L0/N, which holds exactly its state, instead of raising a
 * conflict no rival caused ({@code false-conflict}; switch {@code forget-own-state-after-restart}). With another
 * durability the crash keeps the commits (the buffer's bytes prove the upload), so the step is then a plain commit.
 */
final class LostUploadRestart {
    private LostUploadRestart() {}

    /** Runs the step: {@code commit} first, then the case if the writer can reach it. */
    static void run(World world, EngineWriter writer, LostCreateClient client, ReplicaAuditor auditor,
            EngineOracle oracle, CompactorActor inWriter, EngineScenario.Commit commit, Duration syncInterval,
            int pageSize) throws IOException {
        writer.commit(commit);
        if (writer.durability() != Durability.NONE || writer.pendingIfWritable() <= 0) {
            return;
        }
        PageState lost = writer.last();
        client.loseNextCreateResponse();
        try {
            writer.syncTick();
        } finally {
            client.hideFromListings(client.landed()); // reads work again; -1 (nothing landed): no fault left
        }
        long n = client.landed();
        auditor.audit();
        if (n < 0 || auditor.head() < n || auditor.stateAt(n).digest != lost.digest) {
            client.reset(); // the create failed before landing, or the file holds another state: no case
            return;
        }
        world.reached("lost-upload-response-lost", "L0/" + n);
        writer.crashLosingUnforced();
        if (inWriter != null) {
            inWriter.kill(0);
        }
        if (writer.pendingIfWritable() < 0) {
            client.reset(); // the reopen found a conflict (the oracle checked it): no case
            return;
        }
        // Without faults from here to the sync: a failed commit or a further crash would leave the writer without the
        // state its own L0/N holds, another case (a lost commit on the replica, a real fork) than this step's. An
        // earlier crash's reopen may have kept older commits pending (forced by a rewrite): the recommit goes on top,
        // and the whole buffer then makes L0/N's state.
        oracle.faultsOff(true);
        try {
            if (writer.last().digest != lost.digest) {
                TreeMap<Long, byte[]> writes = new TreeMap<>();
                for (long p = 1; p <= lost.size; p++) {
                    byte[] image = lost.page(p);
                    writes.put(p, image == null ? new byte[pageSize] : image);
                }
                writer.commitWrites(writes, lost.size);
                world.reached("lost-upload-recommitted", "on base " + writer.replicaTxid() + ", L0/" + n);
            }
            client.reset(); // the listing catches up
            for (int i = 0; i < 20 && writer.pendingIfWritable() > 0; i++) {
                world.clock().advance(syncInterval);
                writer.syncTick();
            }
        } finally {
            oracle.faultsOff(false);
        }
        if (writer.pendingIfWritable() == 0) {
            world.reached("lost-upload-adopted", "L0/" + n);
        }
    }
}
