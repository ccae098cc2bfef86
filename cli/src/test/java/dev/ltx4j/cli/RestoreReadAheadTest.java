package dev.ltx4j.cli;

import dev.ltx4j.ltx.LtxRestorer;
import dev.ltx4j.ltx.LtxSource;
import dev.ltx4j.replica.ForwardingReplicaClient;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaClients;
import dev.ltx4j.replica.ReplicaException;
import dev.ltx4j.replica.ReplicaNotFoundException;
import dev.ltx4j.replica.RestorePlanner;
import dev.ltx4j.replica.RestoreTarget;
import dev.ltx4j.replica.internal.PrefetchedChain;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code ltx4j restore} reads a long chain ahead of the restorer (PrefetchedChain): several files in flight at once,
 * still one read per small file, within a byte budget, large files in parallel ranged reads, and each error at the
 * file it belongs to.
 */
class RestoreReadAheadTest {
    @TempDir
    Path tmp;

    private Path replica;
    private String fileUrl;

    @BeforeEach
    void chain() throws Exception {
        replica = tmp.resolve("replica");
        fileUrl = replica.toUri().toString();
        CompactRetainCommandTest.writeWithEngine(fileUrl, Files.createDirectories(tmp.resolve("writer")), 40);
    }

    private List<LtxFileInfo> plan() throws Exception {
        try (ReplicaClient c = ReplicaClients.open(fileUrl)) {
            return new RestorePlanner(c).plan(RestoreTarget.latest());
        }
    }

    /** The same plan applied one file at a time straight from the files: what the restore must produce. */
    private byte[] sequentialRestore(List<LtxFileInfo> plan) throws Exception {
        List<LtxSource> chain = new ArrayList<>();
        for (LtxFileInfo f : plan) {
            chain.add(LtxSource.ofPath(replica.resolve("ltx/" + f.level() + "/" + f.filename())));
        }
        Path out = tmp.resolve("sequential.db");
        LtxRestorer.restore(chain, out);
        return Files.readAllBytes(out);
    }

    @Test
    void aLongChainIsReadAheadWithOneReadPerFile() throws Exception {
        List<LtxFileInfo> plan = plan();
        assertThat(plan).hasSizeGreaterThan(30);
        GatedReplicaProvider.reset(2);
        Path out = tmp.resolve("out.db");
        CliRun run = CliRun.of("restore", "gated://" + replica, "-o", out.toString());
        assertThat(run.exitCode()).as(run.err()).isZero();
        // Sequential (before): the first file's read waited its 10 s with no other read started.
        assertThat(GatedReplicaProvider.seenWhileFirstWaited.get()).as("reads started while the first was pending")
                .isEqualTo(2);
        assertThat(GatedReplicaProvider.reads.get()).as("reads per restore").isEqualTo(plan.size());
        assertThat(Files.readAllBytes(out)).isEqualTo(sequentialRestore(plan));
        assertThat(DemoCommand.integrityCheck(out)).isEqualTo("ok");
    }

    @Test
    void aDamagedFileInTheMiddleIsNamedAsBefore() throws Exception {
        List<LtxFileInfo> plan = plan();
        LtxFileInfo bad = plan.get(plan.size() / 2);
        Path file = replica.resolve("ltx/" + bad.level() + "/" + bad.filename());
        byte[] b = Files.readAllBytes(file);
        b[b.length / 2] ^= 0x40;
        Files.write(file, b);
        CliRun run = CliRun.of("restore", fileUrl, "-o", tmp.resolve("out.db").toString());
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).contains(bad.toString());
        assertThat(tmp.resolve("out.db")).doesNotExist();
    }

    /**
     * Held bytes stay within the budget, the largest file (over the whole-file limit) is read in ranged pieces on the
     * fetch threads (it was streamed by the restorer's own thread before), one read per piece, and the restore is
     * byte for byte the sequential one.
     */
    @Test
    void readAheadStaysWithinItsByteBudgetAndReadsLargeFilesInRanges() throws Exception {
        List<LtxFileInfo> plan = plan();
        long[] sizes = plan.stream().mapToLong(LtxFileInfo::size).sorted().toArray();
        long wholeMax = sizes[sizes.length - 2]; // only the largest file is read in ranges
        long budget = 3 * wholeMax;
        LtxFileInfo large = plan.stream().filter(f -> f.size() > wholeMax).findFirst().orElseThrow();
        int chunk = (int) Math.max(1, large.size() / 3);
        List<String> threadsOfLarge = new ArrayList<>();
        AtomicLong reads = new AtomicLong();
        Path out = tmp.resolve("out.db");
        try (ReplicaClient base = ReplicaClients.open(fileUrl)) {
            ReplicaClient watched = new ForwardingReplicaClient(base) {
                @Override
                public InputStream openFile(int level, long min, long max, long offset, long length)
                        throws ReplicaException {
                    reads.incrementAndGet();
                    if (level == large.level() && min == large.minTxid() && max == large.maxTxid()) {
                        synchronized (threadsOfLarge) {
                            threadsOfLarge.add(Thread.currentThread().getName() + " " + offset + "+" + length);
                        }
                    }
                    return super.openFile(level, min, max, offset, length);
                }
            };
            try (PrefetchedChain chain = new PrefetchedChain(watched, plan,
                    new PrefetchedChain.Limits(16, budget, wholeMax, chunk), null, i -> { })) {
                LtxRestorer.restore(chain.sources(), out);
                assertThat(chain.maxHeldBytes()).as("held bytes").isPositive().isLessThanOrEqualTo(budget);
            }
        }
        long used = Math.min(chunk, budget / 4); // a chunk is at most a quarter of the budget
        int pieces = (int) ((large.size() + used - 1) / used);
        assertThat(pieces).isGreaterThanOrEqualTo(3);
        assertThat(threadsOfLarge).hasSize(pieces).allMatch(t -> t.startsWith("ltx4j-restore-fetch-"))
                .anyMatch(t -> t.endsWith(" 0+" + used));
        assertThat(reads.get()).as("reads per restore").isEqualTo(plan.size() - 1 + pieces);
        assertThat(Files.readAllBytes(out)).isEqualTo(sequentialRestore(plan));
    }

    @Test
    void aFileGoneSinceThePlanFailsWhenTheRestorerReachesIt() throws Exception {
        List<LtxFileInfo> plan = plan();
        LtxFileInfo gone = plan.get(5);
        Files.delete(replica.resolve("ltx/" + gone.level() + "/" + gone.filename()));
        try (ReplicaClient c = ReplicaClients.open(fileUrl);
                PrefetchedChain chain = new PrefetchedChain(c, plan, i -> { })) {
            List<LtxSource> sources = chain.sources();
            for (int i = 0; i < 5; i++) {
                try (InputStream in = sources.get(i).open()) {
                    assertThat(in.readAllBytes()).hasSize((int) plan.get(i).size());
                }
            }
            assertThatThrownBy(() -> sources.get(5).open()).isInstanceOf(ReplicaNotFoundException.class)
                    .hasMessageContaining(gone.filename());
        }
    }
}
