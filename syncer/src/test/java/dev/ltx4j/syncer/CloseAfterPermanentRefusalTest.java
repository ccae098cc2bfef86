package dev.ltx4j.syncer;

import static dev.ltx4j.syncer.Kit.commitPages;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ltx4j.compaction.CompactionSettings;
import dev.ltx4j.pagestore.Durability;
import dev.ltx4j.replica.LtxBody;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaException;
import dev.ltx4j.replica.ReplicaPermanentException;
import dev.ltx4j.replica.file.FileReplicaClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Field probes, round 7 (docs/field-probes.md, "Round 7: stores, the rest"): a writer whose replica refuses every
 * upload for good (here the file backend whose level directory became a plain file, as a replica volume replaced by
 * something else; on S3 access denied or a bucket gone) used to retry its final sync every 100 ms until the close
 * timeout and then say "timed out ... could not be reached". Now the close stops at the first permanent refusal and
 * says so, with the reason and where the commits are kept; a later open uploads them once the replica takes them.
 */
class CloseAfterPermanentRefusalTest {
    static final int PS = 4096;

    @TempDir
    Path tmp;

    final Kit.ManualClock clock = new Kit.ManualClock(1_700_000_000_000L);

    /** The real file backend, counting the creates it is asked for. */
    class Counting extends ForwardingClient {
        final AtomicInteger creates = new AtomicInteger();

        Counting(ReplicaClient raw) {
            super(raw);
        }

        @Override
        public LtxFileInfo createFile(int level, long min, long max, LtxBody body) throws ReplicaException {
            creates.incrementAndGet();
            return super.createFile(level, min, max, body);
        }
    }

    Database open(ReplicaClient client) throws Exception {
        return Database.open(client, "app.db", EngineOptions.builder().writeEnabled(true)
                .durability(Durability.LOCAL).bufferPath(tmp.resolve("app.buffer"))
                .conflictDirectory(tmp.resolve("conflicts")).clock(Kit.advancing(clock)).seed(3)
                .closeTimeout(Duration.ofSeconds(3)).compaction(CompactionSettings.off()).build());
    }

    @Test
    void aCloseWhoseReplicaRefusesForGoodFailsAtOnceNamingTheReasonAndTheBuffer() throws Exception {
        Path root = tmp.resolve("replica");
        Counting client = new Counting(new FileReplicaClient(root, clock));
        Database db = open(client);
        commitPages(db, PS, 1, 1);
        assertThat(db.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.SYNCED); // TXID 1
        commitPages(db, PS, 2, 2);
        commitPages(db, PS, 3, 3);
        // The level directory is replaced by a plain file: every later create fails the same way.
        Path level0 = root.resolve("ltx").resolve("0");
        Path aside = tmp.resolve("level0-aside");
        Files.move(level0, aside);
        Files.writeString(level0, "not a directory");
        int before = client.creates.get();
        CapturedLogs.clear();
        assertThatThrownBy(db::close).isInstanceOf(SyncFailedException.class)
                .hasMessageContaining("close of database \"app.db\" failed with 2 unsynced transaction(s) kept in "
                        + tmp.resolve("app.buffer"))
                .hasMessageContaining("uploaded at the next open")
                .hasMessageContaining("the replica refused it permanently")
                .hasMessageContaining(level0.toString())
                .hasMessageContaining("not a directory")
                .hasMessageNotContaining("timed out");
        assertThat(client.creates.get() - before).as("creates tried by the close").isLessThanOrEqualTo(1);
        List<String> closing = CapturedLogs.lines().stream()
                .filter(l -> l.startsWith("WARN") && l.contains("closed with")).toList();
        assertThat(closing).singleElement().asString()
                .contains("2 committed transaction(s) not on the replica", "refused the final sync permanently",
                        tmp.resolve("app.buffer").toString())
                .doesNotContain("could not be reached");
        // Nothing lost: once the replica takes files again, the next open uploads them.
        Files.delete(level0);
        Files.move(aside, level0);
        try (Database again = open(new FileReplicaClient(root, clock))) {
            assertThat(again.status().pendingCommits()).isEqualTo(2);
            assertThat(again.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.SYNCED);
            assertThat(again.current().txid()).isEqualTo(2);
        }
    }

    /** Refuses the next {@code refusals} creates as a credential source that is away would (S3, Azure backends). */
    final class CredentialsAway extends Counting {
        final AtomicInteger refusals;

        CredentialsAway(ReplicaClient raw, int refusals) {
            super(raw);
            this.refusals = new AtomicInteger(refusals);
        }

        @Override
        public LtxFileInfo createFile(int level, long min, long max, LtxBody body) throws ReplicaException {
            if (refusals.getAndDecrement() > 0) {
                creates.incrementAndGet();
                throw ReplicaPermanentException.credentialsMayRenew("s3: no credentials for the replica from the"
                        + " container credential endpoint: connect timed out; create was not sent", null);
            }
            return super.createFile(level, min, max, body);
        }
    }

    /**
     * A pod's SIGTERM while its cached credentials expired and the metadata endpoint is briefly away: the backend
     * reports it as permanent, but the source may renew. The close stopped at once (store-rest); it now retries it
     * until the close timeout like an unreachable store, and catches the renewal.
     */
    @Test
    void aCloseKeepsRetryingACredentialSourceThatIsAwayAndCatchesTheRenewal() throws Exception {
        Path root = tmp.resolve("replica");
        CredentialsAway client = new CredentialsAway(new FileReplicaClient(root, clock), 0);
        Database db = open(client);
        commitPages(db, PS, 1, 1);
        commitPages(db, PS, 2, 2);
        client.refusals.set(5);
        db.close();
        assertThat(client.creates.get()).as("refused creates, then the one that landed").isEqualTo(6);
        try (Database again = open(new FileReplicaClient(root, clock))) {
            assertThat(again.status().pendingCommits()).isZero();
            assertThat(again.current().txid()).isEqualTo(1);
        }
    }

    /** A credential source that stays away: the close ends at the close timeout, naming the credentials. */
    @Test
    void aCredentialSourceThatStaysAwayEndsTheCloseAtItsTimeoutNamingIt() throws Exception {
        CredentialsAway client = new CredentialsAway(new FileReplicaClient(tmp.resolve("replica"), clock),
                Integer.MAX_VALUE);
        Database db = open(client);
        commitPages(db, PS, 1, 1);
        assertThatThrownBy(db::close).isInstanceOf(SyncFailedException.class)
                .hasMessageContaining("timed out with 1 unsynced transaction(s) kept in")
                .hasMessageContaining("container credential endpoint");
        assertThat(client.creates.get()).as("retried until the close timeout").isGreaterThan(1);
    }
}
