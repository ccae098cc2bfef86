package dev.ltx4j.syncer;

import static dev.ltx4j.syncer.Kit.commitPages;
import static dev.ltx4j.syncer.Kit.readAll;
import static dev.ltx4j.syncer.Kit.restore;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ltx4j.conformance.InMemoryReplicaClient;
import dev.ltx4j.pagestore.testkit.MemoryLogStorage;
import dev.ltx4j.replica.ForwardingReplicaClient;
import dev.ltx4j.replica.LtxBody;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaException;
import dev.ltx4j.replica.ReplicaOutcomeUnknownException;
import dev.ltx4j.replica.ReplicaTransientException;
import java.io.InputStream;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The full-disk hold (docs/write-buffer-full-disk.md) after a sync's upload landed but its buffer trim ran out of
 * space: once space is freed the next sync round retries the trim (a local rewrite) before it lists the replica, so
 * an unreachable replica no longer keeps every write transaction at SQLITE_FULL.
 */
class RewriteHoldOfflineTest {
    static final int PS = 4096;

    @TempDir
    Path tmp;

    @Test
    void freedSpaceReleasesTheHoldWhileTheReplicaIsUnreachable() throws Exception {
        Kit.ManualClock clock = new Kit.ManualClock(1_700_000_000_000L);
        InMemoryReplicaClient.Bucket bucket = new InMemoryReplicaClient.Bucket();
        InMemoryReplicaClient replica = bucket.client("");
        MemoryLogStorage storage = new MemoryLogStorage();
        try (Database w = Database.open(replica, "app.db", Kit.writer(storage, tmp.resolve("c"), clock, 3).build())) {
            commitPages(w, PS, 1, 1);
            assertThat(w.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.SYNCED);
            commitPages(w, PS, 2, 2);
            storage.setFullDisk((file, length) -> file.endsWith(".next") ? 0 : -1);
            assertThat(w.syncOnce(clock.instant()).status()).as("upload landed, trim short of space")
                    .isEqualTo(SyncOutcome.Status.FAILED);
            assertThatThrownBy(() -> commitPages(w, PS, 3, 3)).hasMessageContaining("holds new transactions back");

            bucket.setReachable(false);
            storage.setFullDisk((file, length) -> -1); // the operator frees space; the network is still down
            w.syncOnce(clock.instant());
            // Before: the round failed listing the replica and the hold stayed: SQLITE_FULL until it was back.
            commitPages(w, PS, 3, 3);

            bucket.setReachable(true);
            assertThat(w.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.SYNCED);
            assertThat(replica.listFiles(0, 0, false)).hasSize(3);
            assertThat(restore(replica, 0, tmp)).isEqualTo(readAll(w));
        }
    }

    /**
     * The same after an adoption: the upload of TXID 2 landed but its response was lost and reading it back failed,
     * so the next round found it on the replica and adopted it, and that adoption's rewrite ran short of space. Once
     * space is freed the next sync round retries the adoption locally (the file was seen on the replica) before it
     * lists the replica, which is unreachable now.
     */
    @Test
    void freedSpaceReleasesAnAdoptionsHoldWhileTheReplicaIsUnreachable() throws Exception {
        Kit.ManualClock clock = new Kit.ManualClock(1_700_000_000_000L);
        InMemoryReplicaClient.Bucket bucket = new InMemoryReplicaClient.Bucket();
        InMemoryReplicaClient replica = bucket.client("");
        long[] loseResponseOf = {-1};
        int[] readFailures = {0};
        ForwardingReplicaClient client = new ForwardingReplicaClient(replica) {
            @Override
            public LtxFileInfo createFile(int level, long min, long max, LtxBody body) throws ReplicaException {
                LtxFileInfo info = super.createFile(level, min, max, body);
                if (min == loseResponseOf[0]) {
                    loseResponseOf[0] = -1;
                    throw new ReplicaOutcomeUnknownException("response to the create of L0/" + min + " lost");
                }
                return info;
            }

            @Override
            public InputStream openFile(int level, long min, long max, long offset, long length)
                    throws ReplicaException {
                if (readFailures[0] > 0) {
                    readFailures[0]--;
                    throw new ReplicaTransientException("simulated 503 reading L" + level + "/" + min);
                }
                return super.openFile(level, min, max, offset, length);
            }
        };
        MemoryLogStorage storage = new MemoryLogStorage();
        try (Database w = Database.open(client, "app.db", Kit.writer(storage, tmp.resolve("c"), clock, 3)
                .clock(Kit.advancing(clock)).build())) {
            commitPages(w, PS, 1, 1);
            assertThat(w.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.SYNCED);
            commitPages(w, PS, 2, 2);
            loseResponseOf[0] = 2;
            readFailures[0] = 1;
            assertThat(w.syncOnce(clock.instant()).status()).as("landed, outcome unknown")
                    .isEqualTo(SyncOutcome.Status.FAILED);
            storage.setFullDisk((file, length) -> file.endsWith(".next") ? 0 : -1);
            assertThat(w.syncOnce(clock.instant()).status()).as("adopted, rewrite short of space")
                    .isEqualTo(SyncOutcome.Status.FAILED);
            assertThatThrownBy(() -> commitPages(w, PS, 3, 3)).hasMessageContaining("holds new transactions back");

            bucket.setReachable(false);
            storage.setFullDisk((file, length) -> -1); // the operator frees space; the network is still down
            w.syncOnce(clock.instant());
            // Before: the round failed listing the replica and the hold stayed: SQLITE_FULL until it was back.
            commitPages(w, PS, 3, 3);

            bucket.setReachable(true);
            assertThat(w.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.SYNCED);
            assertThat(replica.listFiles(0, 0, false)).hasSize(3);
            assertThat(restore(replica, 0, tmp)).isEqualTo(readAll(w));
        }
    }

    /**
     * A reset (refresh) short of space held new transactions back too, and only the next refresh, which reads the
     * replica, released it: a sync with nothing to upload rewrites nothing. A reset copies no transaction, so what is
     * committed after it does not make the next one need more space: it no longer holds.
     */
    @Test
    void aResetShortOfSpaceDoesNotHoldTransactionsBack() throws Exception {
        Kit.ManualClock clock = new Kit.ManualClock(1_700_000_000_000L);
        InMemoryReplicaClient.Bucket bucket = new InMemoryReplicaClient.Bucket();
        InMemoryReplicaClient replica = bucket.client("");
        MemoryLogStorage storage = new MemoryLogStorage();
        try (Database w = Database.open(replica, "app.db", Kit.writer(storage, tmp.resolve("c"), clock, 3).build())) {
            commitPages(w, PS, 1, 1);
            assertThat(w.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.SYNCED);
            storage.setFullDisk((file, length) -> file.endsWith(".next") ? 0 : -1);
            assertThatThrownBy(w::refresh).hasMessageContaining("db.buffer.next");

            bucket.setReachable(false);
            storage.setFullDisk((file, length) -> -1); // the operator frees space; the network is down
            w.syncOnce(clock.instant());
            // Before: "holds new transactions back" until a refresh could read the replica again.
            commitPages(w, PS, 2, 2);

            bucket.setReachable(true);
            assertThat(w.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.SYNCED);
            w.refresh();
            assertThat(restore(replica, 0, tmp)).isEqualTo(readAll(w));
        }
    }
}
