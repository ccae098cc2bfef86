package dev.ltx4j.pagestore;

import static dev.ltx4j.pagestore.TestSupport.NAME;
import static dev.ltx4j.pagestore.TestSupport.options;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ltx4j.pagestore.testkit.MemoryLogStorage;
import dev.ltx4j.pagestore.testkit.MemoryLogStorage.CrashPolicy;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The crash matrix over log rewrites that write into the previous log file (docs/sync-cost.md): four syncs in a row,
 * so the third and fourth write into reused files whose older records lie beyond the new end, the machine stopped
 * at every storage operation, under several crash policies. Recovery gives a state some sync left (never a mix) with
 * every acknowledged commit; and after a crash that lost and tore nothing, or lost exactly the unforced writes, it
 * reports at most a torn tail, never corruption, although an older generation's bytes follow the log.
 */
class SpareReuseCrashTest {
    private static final int PAGE = 512;
    private static final int ROUNDS = 4;
    private static final int PER_ROUND = 3;
    private static final long BASE_TXID = 5;

    record Outcome(boolean created, int acknowledged, int syncsReturned, long mutations) {}

    /** ROUNDS x (commit PER_ROUND, sync them all), then two unsynced commits; stops after {@code budget} ops. */
    private static Outcome run(MemoryLogStorage storage, Workload w, long budget) {
        storage.setOperationBudget(budget);
        boolean created = false;
        int acknowledged = 0;
        int syncs = 0;
        try (WriteBuffer buffer = WriteBuffer.open(storage, NAME,
                options(PAGE, Durability.LOCAL, 42, new BufferBase(BASE_TXID, 0, 0)))) {
            created = true;
            for (int r = 0; r < ROUNDS; r++) {
                for (int t = 0; t < PER_ROUND; t++) {
                    w.apply(buffer, acknowledged, acknowledged + 1);
                    acknowledged++;
                }
                buffer.markSynced(buffer.lastCommittedSeq(), BASE_TXID + 1 + r, 0);
                syncs++;
            }
            for (int t = 0; t < 2; t++) {
                w.apply(buffer, acknowledged, acknowledged + 1);
                acknowledged++;
            }
        } catch (IOException | IllegalStateException stopped) {
            // the simulated machine stopped; whatever was in flight is decided by recovery
        }
        return new Outcome(created, acknowledged, syncs, storage.mutationCount());
    }

    @Test
    void aCrashAtEveryStepOfSyncsIntoReusedFilesRecoversASyncsStateAndReportsNoCorruption() throws Exception {
        Workload w = Workload.random(77, PAGE, ROUNDS * PER_ROUND + 2, 3, 10);
        long total = run(new MemoryLogStorage(), w, Long.MAX_VALUE).mutations();
        assertThat(total).isGreaterThan(40);
        // A process kill, and a power loss that took exactly what was not forced: neither can leave corruption.
        List<CrashPolicy> clean = List.of(CrashPolicy.keepAll(), CrashPolicy.loseAllUnforced());
        List<CrashPolicy> policies = List.of(clean.get(0), clean.get(1),
                CrashPolicy.random(new java.util.Random(1), 0.5), CrashPolicy.random(new java.util.Random(2), 0.9));
        int staleTails = 0;
        for (long budget = 0; budget <= total; budget++) {
            for (CrashPolicy policy : policies) {
                MemoryLogStorage storage = new MemoryLogStorage();
                Outcome o = run(storage, w, budget);
                storage.crash(policy);
                if (!o.created()) {
                    continue; // the buffer never finished opening: nothing was promised
                }
                try (WriteBuffer buffer = WriteBuffer.open(storage, NAME, options(PAGE, Durability.LOCAL, 43))) {
                    RecoveryReport r = buffer.recovery();
                    String ctx = "budget " + budget + " " + o + " recovery " + r + " header " + buffer.header;
                    int synced = (int) (buffer.base().txid() - BASE_TXID);
                    assertThat(synced).as(ctx).isBetween(o.syncsReturned(), Math.min(ROUNDS, o.syncsReturned() + 1));
                    int first = synced * PER_ROUND;
                    int k = r.transactions();
                    assertThat(first + k).as(ctx).isGreaterThanOrEqualTo(o.acknowledged());
                    w.assertHolds(buffer, first, first + k, first + 1);
                    if (clean.contains(policy)) {
                        assertThat(r.corruptionDetected()).as(ctx).isFalse();
                    }
                    if (buffer.header.staleEnd() > 0 && r.validLength() < r.originalLength()) {
                        staleTails++;
                    }
                }
            }
        }
        assertThat(staleTails).as("recoveries of a reused file with older bytes after the log").isPositive();
    }
}
