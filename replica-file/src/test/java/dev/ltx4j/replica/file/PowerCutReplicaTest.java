package dev.ltx4j.replica.file;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ltx4j.conformance.LtxTestFiles;
import dev.ltx4j.replica.LtxBody;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaOutcomeUnknownException;
import dev.ltx4j.replica.ReplicaTransientException;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A {@code file://} replica on a file system that forgets what was not fsynced, as a power cut does (the power-cut
 * FUSE file system of pagestore's tests, {@code pagestore/src/test/resources/power-cut-fuse.py}): L0 files, a
 * compaction into L1 and the deletion of what it covers; the power is cut after every mutating call in turn (clean,
 * torn every third) and after the reboot every file whose create returned is listed, whole, with its mtime, or
 * covered by the L1 file that replaced it (docs/replica-file-verification.md, "Power cuts").
 */
class PowerCutReplicaTest {
    private static final long TS = 1_700_000_000_456L;
    private static final Path SCRIPT = Path.of("..", "pagestore", "src", "test", "resources", "power-cut-fuse.py");

    @TempDir
    Path scratch;

    @Test
    void everyCutPointKeepsEveryPublishedFile() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")) && Files.exists(Path.of("/dev/fuse"))
                && new ProcessBuilder("/usr/bin/python3", "-c", "import fusepy").start().waitFor() == 0,
                "mounting a FUSE file system needs root, /dev/fuse and python3-fusepy");
        assertThat(SCRIPT).as("the power-cut FUSE file system (run from the replica-file module)").isRegularFile();
        Path mnt = Files.createDirectories(scratch.resolve("mnt"));
        Process fuse = new ProcessBuilder("/usr/bin/python3", SCRIPT.toString(), mnt.toString())
                .redirectError(scratch.resolve("fuse.log").toFile()).start();
        Writer commands = new OutputStreamWriter(fuse.getOutputStream(), StandardCharsets.UTF_8);
        BufferedReader answers = new BufferedReader(new InputStreamReader(fuse.getInputStream(), StandardCharsets.UTF_8));
        try {
            awaitMount(mnt, fuse, scratch.resolve("fuse.log"));
            Path ground = mnt.resolve("runs");
            Files.createDirectories(ground);
            try (FileChannel root = FileChannel.open(mnt, StandardOpenOption.READ)) {
                root.force(true);
            }
            long before = ops(commands, answers);
            List<LtxFileInfo> all = new ArrayList<>();
            workload(ground.resolve("count").resolve("replica"), all);
            long calls = ops(commands, answers) - before;
            int runs = 0;
            for (long k = 1; k <= calls; k++) {
                long seed = k % 3 == 0 ? k : -1;
                command(commands, answers, "arm " + k + (seed >= 0 ? " torn " + seed : ""));
                Path root = ground.resolve("cut-" + k).resolve("replica");
                List<LtxFileInfo> published = new ArrayList<>();
                try {
                    workload(root, published);
                } catch (Exception e) {
                    if (!command(commands, answers, "status").contains("dead")) {
                        throw new AssertionError("the workload failed before the cut (call " + k + ")", e);
                    }
                }
                if (!command(commands, answers, "status").contains("dead")) {
                    command(commands, answers, "cut");
                }
                command(commands, answers, "revive");
                check(root, published, "cut after call " + k + (seed >= 0 ? ", torn (seed " + seed + ")" : ""));
                runs++;
            }
            assertThat(runs).isGreaterThan(20);
        } finally {
            new ProcessBuilder("fusermount", "-u", "-z", mnt.toString()).inheritIO().start().waitFor();
            if (!fuse.waitFor(10, TimeUnit.SECONDS)) {
                fuse.destroy();
            }
        }
    }

    /**
     * The publish's directory fsync fails once (EIO): the create is an unknown outcome, and until a retried fsync
     * succeeds no list, open or create may vouch for the file, or the syncer's read-back would find it in the page
     * cache, call it its own and drop the commits from the buffer while a power cut could still take it. Before the
     * fix the open after the failed create succeeded and no directory fsync ever followed: the cut took the file.
     */
    @Test
    void aFileWhoseDirectorySyncFailedIsNotVouchedForUntilTheSyncSucceeds() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")) && Files.exists(Path.of("/dev/fuse"))
                && new ProcessBuilder("/usr/bin/python3", "-c", "import fusepy").start().waitFor() == 0,
                "mounting a FUSE file system needs root, /dev/fuse and python3-fusepy");
        Path mnt = Files.createDirectories(scratch.resolve("mnt"));
        Process fuse = new ProcessBuilder("/usr/bin/python3", SCRIPT.toString(), mnt.toString())
                .redirectError(scratch.resolve("fuse.log").toFile()).start();
        Writer commands = new OutputStreamWriter(fuse.getOutputStream(), StandardCharsets.UTF_8);
        BufferedReader answers = new BufferedReader(new InputStreamReader(fuse.getInputStream(), StandardCharsets.UTF_8));
        try {
            awaitMount(mnt, fuse, scratch.resolve("fuse.log"));
            Path root = mnt.resolve("replica");
            FileReplicaClient client = new FileReplicaClient(root);
            client.createFile(0, 1, 1, body(1, 1)); // the level directory exists and is durable
            command(commands, answers, "failsync ltx/0 1");
            assertThatThrownBy(() -> client.createFile(0, 2, 2, body(2, 2)))
                    .isInstanceOf(ReplicaOutcomeUnknownException.class).hasMessageContaining("could not be synced");
            command(commands, answers, "failsync ltx/0 1"); // the first retry fails too
            assertThatThrownBy(() -> client.openFile(0, 2, 2, 0, 0)).as("a read-back while the entry is not durable")
                    .isInstanceOf(ReplicaTransientException.class).hasMessageContaining("ltx/0");
            try (InputStream in = client.openFile(0, 2, 2, 0, 0)) { // this retry syncs the directory
                assertThat(in.readAllBytes()).isEqualTo(LtxTestFiles.body(2, 2, TS, 300, 7));
            }
            command(commands, answers, "cut");
            command(commands, answers, "revive");
            assertThat(new FileReplicaClient(root).listFiles(0, 0, false)).as("L0 after the cut")
                    .extracting(LtxFileInfo::maxTxid).containsExactly(1L, 2L);
        } finally {
            new ProcessBuilder("fusermount", "-u", "-z", mnt.toString()).inheritIO().start().waitFor();
            if (!fuse.waitFor(10, TimeUnit.SECONDS)) {
                fuse.destroy();
            }
        }
    }

    /** Fails, with the FUSE process's log, when the mount does not appear. */
    private static void awaitMount(Path mnt, Process fuse, Path log) throws Exception {
        for (int i = 0; i < 200 && fuse.isAlive(); i++) {
            if (Files.readString(Path.of("/proc/self/mounts")).contains(" " + mnt + " ")) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("the power-cut FUSE file system did not mount at " + mnt + "; its log:\n"
                + Files.readString(log));
    }

    private static LtxBody body(long min, long max) {
        return LtxBody.of(LtxTestFiles.body(min, max, TS, 300, 7));
    }

    /** L0 1..4, L1 1-4 (a compaction), the L0 files it covers deleted, L0 5..6: each create that returns is added. */
    private static void workload(Path root, List<LtxFileInfo> published) throws Exception {
        FileReplicaClient client = new FileReplicaClient(root);
        for (long t = 1; t <= 4; t++) {
            published.add(client.createFile(0, t, t, body(t, t)));
        }
        published.add(client.createFile(1, 1, 4, body(1, 4)));
        client.deleteFiles(published.subList(0, 4));
        for (long t = 5; t <= 6; t++) {
            published.add(client.createFile(0, t, t, body(t, t)));
        }
    }

    private static void check(Path root, List<LtxFileInfo> published, String when) throws Exception {
        FileReplicaClient client = new FileReplicaClient(root);
        boolean compacted = published.stream().anyMatch(f -> f.level() == 1);
        List<LtxFileInfo> listed = new ArrayList<>();
        if (Files.exists(root)) {
            listed.addAll(client.listFiles(0, 0, false));
            listed.addAll(client.listFiles(1, 0, false));
        }
        for (LtxFileInfo f : listed) {
            byte[] bytes;
            try (InputStream in = client.openFile(f.level(), f.minTxid(), f.maxTxid(), 0, 0)) {
                bytes = in.readAllBytes();
            }
            assertThat(bytes).as("%s: L%d %d-%d whole", when, f.level(), f.minTxid(), f.maxTxid())
                    .isEqualTo(LtxTestFiles.body(f.minTxid(), f.maxTxid(), TS, 300, 7));
            assertThat(f.createdAt().toEpochMilli()).as("%s: its mtime (createdAt)", when).isEqualTo(TS);
        }
        for (LtxFileInfo p : published) {
            boolean there = listed.stream().anyMatch(f -> f.level() == p.level() && f.minTxid() == p.minTxid()
                    && f.maxTxid() == p.maxTxid());
            boolean covered = compacted && p.level() == 0 && p.maxTxid() <= 4
                    && listed.stream().anyMatch(f -> f.level() == 1 && f.maxTxid() == 4);
            assertThat(there || covered).as("%s: published L%d %d-%d after the reboot; listed %s", when, p.level(),
                    p.minTxid(), p.maxTxid(), listed).isTrue();
        }
    }

    private static long ops(Writer commands, BufferedReader answers) throws Exception {
        return Long.parseLong(command(commands, answers, "status").split(" ")[2]);
    }

    private static String command(Writer commands, BufferedReader answers, String line) throws Exception {
        commands.write(line + "\n");
        commands.flush();
        String answer = answers.readLine();
        assertThat(answer).as("power-cut FUSE command %s", line).startsWith("ok");
        return answer;
    }
}
