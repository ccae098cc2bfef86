package dev.ltx4j.pagestore;

import static dev.ltx4j.pagestore.TestSupport.NAME;
import static dev.ltx4j.pagestore.TestSupport.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ltx4j.pagestore.internal.LogHeader;
import dev.ltx4j.pagestore.testkit.MemoryLogStorage;
import dev.ltx4j.pagestore.testkit.MemoryLogStorage.CrashPolicy;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class CrashRecoveryTest {
    private static final int PAGE = 512;
    /** Scale for the randomized runs: -Dltx4j.crash.iterations=N. */
    private static final int ITERATIONS = Integer.getInteger("ltx4j.crash.iterations", 300);

    /** Writes the workload; returns the end offset of each commit record (from the in-memory file). */
    private static long[] writeLog(MemoryLogStorage storage, Workload w) throws IOException {
        long[] ends = new long[w.txns.size()];
        try (WriteBuffer buffer = WriteBuffer.open(storage, NAME, options(PAGE, Durability.NONE, 21))) {
            for (int i = 0; i < w.txns.size(); i++) {
                w.apply(buffer, i, i + 1);
                ends[i] = storage.contents(NAME).length;
            }
        }
        return ends;
    }

    private static int committedWithin(long[] ends, long length) {
        int k = 0;
        while (k < ends.length && ends[k] <= length) {
            k++;
        }
        return k;
    }

    @Test
    void cutAtEveryByteRecoversExactlyTheCommittedPrefix() throws Exception {
        Workload w = Workload.random(5, PAGE, 7, 3, 12);
        MemoryLogStorage original = new MemoryLogStorage();
        long[] ends = writeLog(original, w);
        byte[] log = original.contents(NAME);
        assertThat(log.length).isEqualTo((int) ends[ends.length - 1]);
        for (int cut = LogHeader.SIZE; cut <= log.length; cut++) {
            MemoryLogStorage storage = new MemoryLogStorage();
            storage.putDurable(NAME, Arrays.copyOf(log, cut));
            int k = committedWithin(ends, cut);
            try (WriteBuffer buffer = WriteBuffer.open(storage, NAME, options(PAGE, Durability.NONE, 22))) {
                RecoveryReport r = buffer.recovery();
                assertThat(r.transactions()).as("cut %d", cut).isEqualTo(k);
                long validEnd = k == 0 ? LogHeader.SIZE : ends[k - 1];
                assertThat(r.validLength()).isEqualTo(validEnd);
                assertThat(r.truncatedBytes()).isEqualTo(cut - validEnd);
                assertThat(r.tail()).as("cut %d", cut).isEqualTo(cut == validEnd
                        ? RecoveryReport.TailStatus.CLEAN_END : RecoveryReport.TailStatus.TORN_TAIL);
                assertThat(r.corruptionDetected()).isFalse();
                w.assertHolds(buffer, 0, k, 1);
                assertThat(storage.contents(NAME)).hasSize((int) validEnd);
            }
        }
    }

    @Test
    void aZeroTailAfterAnyCutIsATornTailNotCorruption() throws Exception {
        // What a crash leaves in a preallocated log: records, maybe part of an open transaction, then zeros.
        Workload w = Workload.random(9, PAGE, 5, 3, 12);
        MemoryLogStorage original = new MemoryLogStorage();
        long[] ends = writeLog(original, w);
        byte[] log = original.contents(NAME);
        for (int cut = LogHeader.SIZE; cut <= log.length; cut += 37) {
            MemoryLogStorage storage = new MemoryLogStorage();
            byte[] crashed = Arrays.copyOf(Arrays.copyOf(log, cut), cut + 3 * PAGE); // zeros after the cut
            storage.putDurable(NAME, crashed);
            int k = committedWithin(ends, cut);
            try (WriteBuffer buffer = WriteBuffer.open(storage, NAME, options(PAGE, Durability.NONE, 23))) {
                RecoveryReport r = buffer.recovery();
                assertThat(r.transactions()).as("cut %d", cut).isEqualTo(k);
                assertThat(r.tail()).as("cut %d", cut).isEqualTo(RecoveryReport.TailStatus.TORN_TAIL);
                assertThat(r.corruptionDetected()).isFalse();
                w.assertHolds(buffer, 0, k, 1);
                assertThat(storage.contents(NAME)).hasSize((int) (k == 0 ? LogHeader.SIZE : ends[k - 1]));
            }
        }
    }

    @Test
    void aCutInsideTheHeaderIsReportedAsCorruptNotSilentlyReplaced() throws Exception {
        MemoryLogStorage original = new MemoryLogStorage();
        writeLog(original, Workload.random(6, PAGE, 1, 1, 3));
        byte[] log = original.contents(NAME);
        for (int cut : new int[] {0, 1, LogHeader.SIZE - 1}) {
            MemoryLogStorage storage = new MemoryLogStorage();
            storage.putDurable(NAME, Arrays.copyOf(log, cut));
            assertThatThrownBy(() -> WriteBuffer.open(storage, NAME, options(PAGE, Durability.NONE, 1)))
                    .isInstanceOf(BufferCorruptException.class)
                    .hasMessageContaining("memory:" + NAME)
                    .hasMessageContaining("header");
        }
    }

    @Test
    void bitFlipStopsRecoveryAtTheLastIntactCommitBeforeIt() throws Exception {
        Workload w = Workload.random(7, PAGE, 8, 3, 12);
        MemoryLogStorage original = new MemoryLogStorage();
        long[] ends = writeLog(original, w);
        byte[] log = original.contents(NAME);
        SplittableRandom rnd = new SplittableRandom(77);
        for (int i = 0; i < ITERATIONS; i++) {
            int at = LogHeader.SIZE + rnd.nextInt(log.length - LogHeader.SIZE);
            byte[] damaged = log.clone();
            damaged[at] ^= (byte) (1 << rnd.nextInt(8));
            MemoryLogStorage storage = new MemoryLogStorage();
            storage.putDurable(NAME, damaged);
            int k = committedWithin(ends, at); // transactions whose commit record ends at or before the flip
            try (WriteBuffer buffer = WriteBuffer.open(storage, NAME, options(PAGE, Durability.NONE, 23))) {
                RecoveryReport r = buffer.recovery();
                assertThat(r.transactions()).as("flip at %d", at).isEqualTo(k);
                assertThat(r.corruptionDetected()).as("flip at %d: %s", at, r).isTrue();
                assertThat(r.truncatedBytes()).isEqualTo(log.length - (k == 0 ? LogHeader.SIZE : ends[k - 1]));
                assertThat(r.stopOffset()).isLessThanOrEqualTo(at);
                w.assertHolds(buffer, 0, k, 1);
            }
        }
    }

    @Test
    void garbageAfterTheLogIsDroppedAndNeverThrows() throws Exception {
        Workload w = Workload.random(9, PAGE, 4, 3, 12);
        MemoryLogStorage original = new MemoryLogStorage();
        writeLog(original, w);
        byte[] log = original.contents(NAME);
        SplittableRandom rnd = new SplittableRandom(90);
        for (int i = 0; i < ITERATIONS; i++) {
            byte[] tail = new byte[1 + rnd.nextInt(3 * (PAGE + 16))];
            for (int j = 0; j < tail.length; j++) {
                tail[j] = (byte) rnd.nextInt(256);
            }
            tail[0] = switch (rnd.nextInt(3)) { // make it look like a record start most of the time
                case 0 -> (byte) 'P';
                case 1 -> (byte) 'C';
                default -> tail[0];
            };
            byte[] damaged = Arrays.copyOf(log, log.length + tail.length);
            System.arraycopy(tail, 0, damaged, log.length, tail.length);
            MemoryLogStorage storage = new MemoryLogStorage();
            storage.putDurable(NAME, damaged);
            try (WriteBuffer buffer = WriteBuffer.open(storage, NAME, options(PAGE, Durability.NONE, 24))) {
                assertThat(buffer.recovery().transactions()).isEqualTo(4);
                assertThat(buffer.recovery().truncatedBytes()).isEqualTo(tail.length);
                w.assertHolds(buffer, 0, 4, 1);
            }
        }
    }

    @Test
    void flippedHeaderIsRejectedWithTheFileNamed() throws Exception {
        MemoryLogStorage original = new MemoryLogStorage();
        writeLog(original, Workload.random(8, PAGE, 2, 1, 3));
        byte[] log = original.contents(NAME);
        log[45] ^= 1; // inside the base TXID
        MemoryLogStorage storage = new MemoryLogStorage();
        storage.putDurable(NAME, log);
        assertThatThrownBy(() -> WriteBuffer.open(storage, NAME, options(PAGE, Durability.NONE, 1)))
                .isInstanceOf(BufferCorruptException.class).hasMessageContaining("header checksum mismatch");
    }

    /**
     * Power loss at a random point of a run: any subset of the unforced writes survives, the last one possibly
     * torn, directory operations survive as a prefix. With LOCAL durability every commit that returned must
     * survive; in every mode the result is an exact committed prefix.
     */
    @Test
    void randomPowerLossLeavesACommittedPrefixAndKeepsEveryAcknowledgedLocalCommit() throws Exception {
        SplittableRandom seeds = new SplittableRandom(99);
        for (int i = 0; i < ITERATIONS; i++) {
            long seed = seeds.nextLong();
            SplittableRandom rnd = new SplittableRandom(seed);
            Durability durability = rnd.nextBoolean() ? Durability.LOCAL : Durability.NONE;
            Workload w = Workload.random(seed, PAGE, 1 + rnd.nextInt(10), 4, 16);
            MemoryLogStorage storage = new MemoryLogStorage();
            int budgetOps = 1 + rnd.nextInt(60);
            storage.setOperationBudget(budgetOps);
            int acknowledged = 0;
            boolean opened = false;
            try (WriteBuffer buffer = WriteBuffer.open(storage, NAME, options(PAGE, durability, seed))) {
                opened = true;
                for (int t = 0; t < w.txns.size(); t++) {
                    w.apply(buffer, t, t + 1);
                    acknowledged = t + 1;
                }
            } catch (IOException | IllegalStateException stopped) {
                // the simulated machine stopped; whatever was in flight is decided by recovery
            }
            storage.crash(CrashPolicy.random(new java.util.Random(seed), rnd.nextDouble()));
            try (WriteBuffer buffer = WriteBuffer.open(storage, NAME, options(PAGE, durability, seed))) {
                int k = buffer.recovery().transactions();
                String context = "seed " + seed + " " + durability + " budget " + budgetOps + " " + buffer.recovery();
                assertThat(k).as(context).isBetween(0, w.txns.size());
                if (durability == Durability.LOCAL && opened) {
                    assertThat(k).as(context).isGreaterThanOrEqualTo(acknowledged);
                }
                assertThat(buffer.recovery().corruptionDetected() && durability == Durability.LOCAL
                        && k < acknowledged).as(context).isFalse();
                w.assertHolds(buffer, 0, k, 1);
                // The recovered log accepts new commits that survive a clean restart.
                long next = buffer.lastCommittedSeq() + 1;
                try (WriteTransaction tx = buffer.begin()) {
                    tx.writePage(1, TestSupport.page(PAGE, 5));
                    assertThat(tx.commit(Math.max(1, buffer.commitSize()))).isEqualTo(next);
                }
            }
        }
    }

    @Test
    void failedForceStopsTheBufferAndReopenRecoversAPrefix() throws Exception {
        Workload w = Workload.random(31, PAGE, 6, 3, 10);
        MemoryLogStorage storage = new MemoryLogStorage();
        WriteBuffer buffer = WriteBuffer.open(storage, NAME, options(PAGE, Durability.LOCAL, 31));
        w.apply(buffer, 0, 3);
        storage.setFaults((op, name) -> op == MemoryLogStorage.Operation.FORCE);
        assertThatThrownBy(() -> w.apply(buffer, 3, 4)).isInstanceOf(BufferFailedException.class)
                .hasMessageContaining("log force").hasMessageContaining("memory:" + NAME);
        byte[] dst = new byte[PAGE];
        assertThatThrownBy(() -> buffer.readPage(1, dst)).isInstanceOf(BufferFailedException.class);
        assertThatThrownBy(buffer::begin).isInstanceOf(BufferFailedException.class);
        assertThatThrownBy(buffer::snapshot).isInstanceOf(BufferFailedException.class);
        buffer.close();
        storage.setFaults((op, name) -> false);
        storage.crash(CrashPolicy.loseAllUnforced());
        try (WriteBuffer reopened = WriteBuffer.open(storage, NAME, options(PAGE, Durability.LOCAL, 32))) {
            assertThat(reopened.recovery().transactions()).isEqualTo(3);
            w.assertHolds(reopened, 0, 3, 1);
        }
    }

    @Test
    void failedWriteStopsTheBufferWithoutCorruptingTheCommittedPrefix() throws Exception {
        Workload w = Workload.random(32, PAGE, 6, 3, 10);
        MemoryLogStorage storage = new MemoryLogStorage();
        WriteBuffer buffer = WriteBuffer.open(storage, NAME, options(PAGE, Durability.LOCAL, 33));
        w.apply(buffer, 0, 2);
        storage.setFaults((op, name) -> op == MemoryLogStorage.Operation.WRITE);
        assertThatThrownBy(() -> w.apply(buffer, 2, 3)).isInstanceOf(BufferFailedException.class)
                .hasMessageContaining("log write");
        buffer.close();
        storage.setFaults((op, name) -> false);
        storage.crash(CrashPolicy.keepAll());
        try (WriteBuffer reopened = WriteBuffer.open(storage, NAME, options(PAGE, Durability.LOCAL, 34))) {
            w.assertHolds(reopened, 0, 2, 1);
        }
    }

    /**
     * Stops the machine at every storage operation of a markSynced (and the commits around it), under several
     * crash policies: recovery must give either the old state (old base, all transactions) or the new one (new
     * base, only the unsynced transactions), never a mix, never losing a transaction it acknowledged.
     */
    @Test
    void markSyncedCrashAtEveryStepRecoversOldOrNewStateOnly() throws Exception {
        Workload w = Workload.random(41, PAGE, 6, 3, 10);
        BufferBase oldBase = new BufferBase(5, 0x8000_0000_0000_0005L, 0);
        BufferBase newBase = new BufferBase(9, 0x8000_0000_0000_0009L, w.txns.get(2).commitSize());
        // Count the operations of a full run to know every stopping point.
        MemoryLogStorage probe = new MemoryLogStorage();
        long total = runSyncScenario(probe, w, oldBase, Long.MAX_VALUE).mutations;
        assertThat(total).isGreaterThan(10);
        List<CrashPolicy> policies = List.of(CrashPolicy.keepAll(), CrashPolicy.loseAllUnforced(),
                CrashPolicy.random(new java.util.Random(1), 0.5), CrashPolicy.random(new java.util.Random(2), 0.9));
        int sawOld = 0;
        int sawNew = 0;
        for (long budget = 0; budget <= total; budget++) {
            for (CrashPolicy policy : policies) {
                MemoryLogStorage storage = new MemoryLogStorage();
                Outcome o = runSyncScenario(storage, w, oldBase, budget);
                storage.crash(policy);
                if (!o.created) {
                    continue; // the buffer never finished opening: nothing was promised
                }
                try (WriteBuffer buffer = WriteBuffer.open(storage, NAME, options(PAGE, Durability.LOCAL, 43))) {
                    String ctx = "budget " + budget + " outcome " + o + " recovery " + buffer.recovery();
                    if (buffer.base().equals(oldBase)) {
                        sawOld++;
                        assertThat(o.syncReturned).as(ctx).isFalse().as(ctx);
                        int k = buffer.recovery().transactions();
                        assertThat(k).as(ctx).isGreaterThanOrEqualTo(o.acknowledged);
                        w.assertHolds(buffer, 0, k, 1);
                    } else {
                        sawNew++;
                        assertThat(buffer.base()).as(ctx).isEqualTo(newBase);
                        int k = 3 + buffer.recovery().transactions();
                        assertThat(k).as(ctx).isGreaterThanOrEqualTo(o.acknowledged);
                        w.assertHolds(buffer, 3, k, 4);
                    }
                }
            }
        }
        assertThat(sawOld).isPositive();
        assertThat(sawNew).isPositive();
    }

    record Outcome(boolean created, int acknowledged, boolean syncReturned, long mutations) {}

    /** Commit 4 transactions, sync the first 3, commit 2 more; stop the storage after {@code budget} ops. */
    private static Outcome runSyncScenario(MemoryLogStorage storage, Workload w, BufferBase base, long budget) {
        storage.setOperationBudget(budget);
        boolean created = false;
        int acknowledged = 0;
        boolean syncReturned = false;
        try (WriteBuffer buffer = WriteBuffer.open(storage, NAME, options(PAGE, Durability.LOCAL, 42, base))) {
            created = true;
            for (int t = 0; t < 4; t++) {
                w.apply(buffer, t, t + 1);
                acknowledged++;
            }
            SyncSnapshot snap = buffer.snapshot(3);
            assertThat(snap.transactionCount()).isEqualTo(3);
            buffer.markSynced(3, 9, 0x8000_0000_0000_0009L);
            syncReturned = true;
            for (int t = 4; t < 6; t++) {
                w.apply(buffer, t, t + 1);
                acknowledged++;
            }
        } catch (IOException | IllegalStateException stopped) {
            // machine stopped
        }
        return new Outcome(created, acknowledged, syncReturned, storage.mutationCount());
    }

    @Test
    void staleRecordsOfAnOlderGenerationNeverValidate() throws Exception {
        // Build a long log, sync most of it (new generation with a new salt), then splice the old tail bytes
        // behind the new file's end: they must be rejected, not replayed.
        Workload w = Workload.random(51, PAGE, 8, 2, 6);
        MemoryLogStorage storage = new MemoryLogStorage();
        byte[] oldLog;
        try (WriteBuffer buffer = WriteBuffer.open(storage, NAME, options(PAGE, Durability.LOCAL, 52))) {
            w.apply(buffer, 0, 8);
            oldLog = storage.contents(NAME);
            buffer.markSynced(2, 3, 0);
        }
        byte[] fresh = storage.contents(NAME);
        byte[] spliced = Arrays.copyOf(fresh, Math.max(fresh.length, oldLog.length));
        System.arraycopy(oldLog, fresh.length, spliced, fresh.length, Math.max(0, oldLog.length - fresh.length));
        List<Integer> cuts = new ArrayList<>();
        cuts.add(spliced.length);
        MemoryLogStorage copy = new MemoryLogStorage();
        copy.putDurable(NAME, spliced);
        try (WriteBuffer buffer = WriteBuffer.open(copy, NAME, options(PAGE, Durability.LOCAL, 53))) {
            assertThat(buffer.recovery().transactions()).isEqualTo(6);
            assertThat(buffer.recovery().validLength()).isEqualTo(fresh.length);
            w.assertHolds(buffer, 2, 8, 3);
        }
    }
}
