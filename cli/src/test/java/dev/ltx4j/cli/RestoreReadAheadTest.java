package dev.ltx4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ltx4j restore} reads a long chain ahead of the restorer (PrefetchedChain): several files in flight at once,
 * still one read per file, within a byte budget, large files streamed by the restorer itself, and each error at the
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

    /** Listed bytes of files read and not yet closed by the restorer, checked at every read against the budget. */
    @Test
    void readAheadStaysWithinItsByteBudgetAndStreamsLargeFiles() throws Exception {
        List<LtxFileInfo> plan = plan();
        long[] sizes = plan.stream().mapToLong(LtxFileInfo::size).sorted().toArray();
        long wholeMax = sizes[sizes.length - 2]; // only the largest file is streamed
        long budget = 3 * wholeMax;
        assertThat(sizes[sizes.length - 1]).isGreaterThan(wholeMax);
        // Bytes of small files opened and not yet read through, counted exactly: summing a concurrent set while
        // another thread removes one file and (after the budget freed) adds the next can count both at once.
        AtomicLong open = new AtomicLong();
        AtomicLong worst = new AtomicLong();
        List<String> threadsOfLarge = new ArrayList<>();
        try (ReplicaClient base = ReplicaClients.open(fileUrl)) {
            ReplicaClient watched = new ForwardingReplicaClient(base) {
                @Override
                public InputStream openFile(int level, long min, long max, long offset, long length)
                        throws ReplicaException {
                    LtxFileInfo f = plan.stream().filter(p -> p.level() == level && p.minTxid() == min
                            && p.maxTxid() == max).findFirst().orElseThrow();
                    if (f.size() > wholeMax) {
                        threadsOfLarge.add(Thread.currentThread().getName());
                    } else {
                        worst.accumulateAndGet(open.addAndGet(f.size()), Math::max);
                    }
                    return super.openFile(level, min, max, offset, length);
                }
            };
            try (PrefetchedChain chain = new PrefetchedChain(watched, plan, 16, budget, wholeMax, i -> { })) {
                List<LtxSource> sources = chain.sources();
                for (int i = 0; i < sources.size(); i++) {
                    try (InputStream in = sources.get(i).open()) {
                        in.readAllBytes();
                        if (plan.get(i).size() <= wholeMax) {
                            open.addAndGet(-plan.get(i).size()); // before close() frees its budget
                        }
                    }
                }
            }
        }
        assertThat(worst.get()).as("held bytes").isPositive().isLessThanOrEqualTo(budget);
        assertThat(threadsOfLarge).containsExactly(Thread.currentThread().getName());
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
