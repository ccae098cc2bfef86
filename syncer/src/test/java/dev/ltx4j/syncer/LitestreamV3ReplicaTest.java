package dev.ltx4j.syncer;

import static dev.ltx4j.syncer.Kit.commitPages;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ltx4j.pagestore.testkit.MemoryLogStorage;
import dev.ltx4j.replica.CountingReplicaClient;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaException;
import dev.ltx4j.replica.file.FileReplicaClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Round 8 (a new user, docs/field-probes.md): a Litestream v0.3 replica (only {@code generations/...}) opened in read
 * mode said "holds no LTX files" with write-mode advice. One more listing, only when the replica holds no LTX file,
 * tells the v0.3 layout apart; a replica with files never pays it.
 */
class LitestreamV3ReplicaTest {
    private static final int PS = 4096;

    @TempDir
    Path tmp;

    final Kit.ManualClock clock = new Kit.ManualClock(1_700_000_000_000L);
    final AtomicInteger asked = new AtomicInteger();

    /** A file replica counted as the engine's requests, and counting the generations question itself. */
    private CountingReplicaClient client(Path root) {
        return new CountingReplicaClient(new ForwardingClient(new FileReplicaClient(root)) {
            @Override
            public boolean holdsLitestreamV3Generations() throws ReplicaException {
                asked.incrementAndGet();
                return super.holdsLitestreamV3Generations();
            }
        });
    }

    private static Path v3Replica(Path root) throws Exception {
        // The v0.3 layout: generations/<16 hex>/snapshots/<index>.snapshot.lz4 and wal/<index>/<offset>.wal.lz4
        Path gen = Files.createDirectories(root.resolve("generations").resolve("a1b2c3d4e5f60718"));
        Files.write(Files.createDirectories(gen.resolve("snapshots")).resolve("00000000.snapshot.lz4"), new byte[] {4});
        Files.write(Files.createDirectories(gen.resolve("wal").resolve("00000000")).resolve("00000000.wal.lz4"),
                new byte[] {4});
        return root;
    }

    @Test
    void aV3ReplicaInReadModeSaysItIsV3WithOneMoreListing() throws Exception {
        Path plain = Files.createDirectories(tmp.resolve("empty"));
        CountingReplicaClient empty = client(plain);
        assertThatThrownBy(() -> Database.open(empty, "app.db", Kit.reader(clock).build()))
                .isInstanceOf(DatabaseNotFoundException.class).hasMessageContaining("holds no LTX files (nothing to read");
        long emptyLists = empty.snapshot().lists();

        CountingReplicaClient v3 = client(v3Replica(tmp.resolve("v3")));
        assertThatThrownBy(() -> Database.open(v3, "app.db", Kit.reader(clock).build()))
                .isInstanceOf(DatabaseNotFoundException.class)
                .satisfies(e -> System.out.println("refusal: " + e.getMessage()))
                .hasMessageContaining("holds no LTX files but a generations/ folder: it is a Litestream v0.3 replica")
                .hasMessageContaining("neither ltx4j nor Litestream 0.5 reads")
                .hasMessageNotContaining("LITESTREAM_WRITE_ENABLED");
        assertThat(asked.get()).as("one generations listing per empty open").isEqualTo(2);
        assertThat(v3.snapshot().lists()).as("the same requests as any empty replica").isEqualTo(emptyLists);
        assertThat(v3.snapshot().requests()).isEqualTo(empty.snapshot().requests());
    }

    @Test
    void aReplicaWithFilesNeverAsks() throws Exception {
        Path root = Files.createDirectories(tmp.resolve("mixed"));
        ReplicaClient replica = client(root);
        MemoryLogStorage buffer = new MemoryLogStorage();
        try (Database w = Database.open(replica, "app.db",
                Kit.writer(buffer, tmp.resolve("conflicts"), clock, 42).build())) {
            commitPages(w, PS, 1, 1);
            w.syncOnce(clock.instant());
        }
        assertThat(asked.get()).as("the write-mode open of the empty replica").isEqualTo(1);
        v3Replica(root); // a v0.3 folder beside v0.5 files: the files decide
        try (Database w = Database.open(replica, "app.db",
                Kit.writer(buffer, tmp.resolve("conflicts"), clock, 42).build())) {
            assertThat(w.status().txid()).isEqualTo(1);
        }
        try (Database r = Database.open(replica, "app.db", Kit.reader(clock).build())) {
            assertThat(r.status().txid()).isEqualTo(1);
        }
        assertThat(asked.get()).as("opens of a replica with files never ask").isEqualTo(1);
    }

    /**
     * Round 9 (leftovers): a write-mode open of a v0.3 replica went on as an empty database, and its first commit
     * started a v0.5 chain beside the old data. Now refused naming the layout and what to do, nothing written.
     */
    @Test
    void aV3ReplicaInWriteModeIsRefusedAndNothingIsWritten() throws Exception {
        Path root = v3Replica(tmp.resolve("v3w"));
        java.util.List<Path> before;
        try (var files = Files.walk(root)) {
            before = files.sorted().toList();
        }
        CountingReplicaClient v3 = client(root);
        assertThatThrownBy(() -> Database.open(v3, "app.db",
                Kit.writer(new MemoryLogStorage(), tmp.resolve("conflicts"), clock, 42).build()))
                .isInstanceOf(DatabaseNotFoundException.class)
                .satisfies(e -> System.out.println("refusal: " + e.getMessage()))
                .hasMessageContaining("for writing")
                .hasMessageContaining("it is a Litestream v0.3 replica")
                .hasMessageContaining("nothing was written")
                .hasMessageContaining("Restore it with Litestream v0.3")
                .hasMessageContaining("point this writer at an empty prefix");
        assertThat(asked.get()).isEqualTo(1);
        try (var files = Files.walk(root)) {
            assertThat(files.sorted().toList()).as("the replica is untouched").isEqualTo(before);
        }
    }

    /** The mends-lo review: any key under generations/ (a console folder object, a stray file) refused the open. */
    @Test
    void onlyAGenerationShapedEntryMakesAV3Replica() throws Exception {
        Path root = Files.createDirectories(tmp.resolve("stray"));
        Files.write(Files.createDirectories(root.resolve("generations")).resolve("README.txt"), new byte[] {1});
        Files.createDirectories(root.resolve("generations").resolve("notes"));
        Files.write(root.resolve("generations").resolve("0123456789abcdef"), new byte[] {1}); // a file, not a folder
        try (Database w = Database.open(client(root), "app.db",
                Kit.writer(new MemoryLogStorage(), tmp.resolve("conflicts"), clock, 42).build())) {
            assertThat(w.status().txid()).isZero();
        }
        assertThat(asked.get()).isEqualTo(1);
        assertThat(dev.ltx4j.replica.support.LitestreamV3Keys.isGenerationEntry("a1b2c3d4e5f60718/snapshots/0.lz4"))
                .isTrue();
        assertThat(dev.ltx4j.replica.support.LitestreamV3Keys.isGenerationEntry("")).isFalse(); // "generations/"
        assertThat(dev.ltx4j.replica.support.LitestreamV3Keys.isGenerationEntry("other.txt")).isFalse();
    }

    /**
     * The mends-lo review: a failed generations/ listing let a write-mode open go on as an empty database (its first
     * commit makes the replica "have files" for good). A transient failure refuses the open; a permanent one (an IAM
     * policy that denies the listing) opens with a warning.
     */
    @Test
    void aFailedGenerationsListingRefusesWhenTransientAndOpensWhenPermanent() throws Exception {
        Path root = v3Replica(tmp.resolve("v3fail"));
        ReplicaClient transientFailure = new ForwardingClient(new FileReplicaClient(root)) {
            @Override
            public boolean holdsLitestreamV3Generations() throws ReplicaException {
                asked.incrementAndGet();
                throw new dev.ltx4j.replica.ReplicaTransientException("503 Slow Down");
            }
        };
        assertThatThrownBy(() -> Database.open(transientFailure, "app.db",
                Kit.writer(new MemoryLogStorage(), tmp.resolve("conflicts"), clock, 42).build()))
                .satisfies(e -> System.out.println("refusal: " + e.getMessage()))
                .hasMessageContaining("for writing").hasMessageContaining("Litestream v0.3")
                .hasMessageContaining("503 Slow Down").hasMessageContaining("try again later");
        assertThat(asked.get()).isPositive();
        ReplicaClient denied = new ForwardingClient(new FileReplicaClient(Files.createDirectories(tmp.resolve("iam")))) {
            @Override
            public boolean holdsLitestreamV3Generations() throws ReplicaException {
                throw new dev.ltx4j.replica.ReplicaPermanentException("AccessDenied");
            }
        };
        try (Database w = Database.open(denied, "app.db",
                Kit.writer(new MemoryLogStorage(), tmp.resolve("conflicts"), clock, 42).build())) {
            assertThat(w.status().txid()).isZero();
        }
    }
}
