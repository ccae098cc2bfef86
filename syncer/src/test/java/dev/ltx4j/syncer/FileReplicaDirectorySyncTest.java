package dev.ltx4j.syncer;

import static dev.ltx4j.syncer.Kit.commitPages;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ltx4j.compaction.CompactionSettings;
import dev.ltx4j.pagestore.testkit.MemoryLogStorage;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.file.FileReplicaClient;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A {@code file://} replica whose level directory fsync fails after an L0 file was published, on the power-cut FUSE
 * file system of pagestore's tests: the syncer settles the unknown outcome by reading the file back, which the page
 * cache answers. The commits must stay in the buffer until the directory sync succeeded, and the file must survive a
 * power cut after that (docs/replica-file-verification.md, "Power cuts"). Before the fix the first round's read-back
 * called the file its own and dropped the commits, and no directory fsync ever followed: a cut lost the file.
 */
class FileReplicaDirectorySyncTest {
    static final int PS = 4096;
    static final Path SCRIPT = Path.of("..", "pagestore", "src", "test", "resources", "power-cut-fuse.py");

    @TempDir
    Path tmp;

    final Kit.ManualClock clock = new Kit.ManualClock(1_700_000_000_000L);
    final MemoryLogStorage storage = new MemoryLogStorage();

    @Test
    void commitsStayInTheBufferUntilTheDirectorySyncSucceeded() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")) && Files.exists(Path.of("/dev/fuse"))
                && new ProcessBuilder("/usr/bin/python3", "-c", "import fusepy").start().waitFor() == 0,
                "mounting a FUSE file system needs root, /dev/fuse and python3-fusepy");
        Path mnt = Files.createDirectories(tmp.resolve("mnt"));
        Path log = tmp.resolve("fuse.log");
        Process fuse = new ProcessBuilder("/usr/bin/python3", SCRIPT.toString(), mnt.toString())
                .redirectError(log.toFile()).start();
        Writer commands = new OutputStreamWriter(fuse.getOutputStream(), StandardCharsets.UTF_8);
        BufferedReader answers = new BufferedReader(new InputStreamReader(fuse.getInputStream(), StandardCharsets.UTF_8));
        try {
            boolean mounted = false;
            for (int i = 0; i < 200 && fuse.isAlive() && !mounted; i++) {
                mounted = Files.readString(Path.of("/proc/self/mounts")).contains(" " + mnt + " ");
                Thread.sleep(mounted ? 0 : 50);
            }
            assertThat(mounted).as("the power-cut FUSE file system mounted; its log: %s", Files.readString(log)).isTrue();
            Path root = mnt.resolve("replica");
            FileReplicaClient client = new FileReplicaClient(root, clock);
            try (Database db = Database.open(client, "app.db", Kit.writer(storage, tmp.resolve("conflicts"), clock, 7)
                    .clock(Kit.monotonic(clock)).compaction(CompactionSettings.off()).build())) {
                commitPages(db, PS, 1, 1, 2, 2);
                assertThat(db.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.SYNCED);
                commitPages(db, PS, 2, 20);
                command(commands, answers, "failsync ltx/0 1000"); // the publish's sync and every retry fail
                for (int round = 1; round <= 2; round++) {
                    db.syncOnce(clock.instant());
                    assertThat(db.status().pendingCommits())
                            .as("round %d: commits in the buffer while the L0 directory is not synced", round)
                            .isEqualTo(1);
                }
                command(commands, answers, "failsync ltx/0 0"); // the disk recovers
                db.syncOnce(clock.instant());
                assertThat(db.status().pendingCommits()).as("after the directory sync succeeded").isZero();
            }
            command(commands, answers, "cut");
            command(commands, answers, "revive");
            assertThat(new FileReplicaClient(root, clock).listFiles(0, 0, false)).as("L0 after the cut")
                    .extracting(LtxFileInfo::maxTxid).contains(2L);
        } finally {
            new ProcessBuilder("fusermount", "-u", "-z", mnt.toString()).inheritIO().start().waitFor();
            if (!fuse.waitFor(10, TimeUnit.SECONDS)) {
                fuse.destroy();
            }
        }
    }

    private static String command(Writer commands, BufferedReader answers, String line) throws Exception {
        commands.write(line + "\n");
        commands.flush();
        String answer = answers.readLine();
        assertThat(answer).as("power-cut FUSE command %s", line).startsWith("ok");
        return answer;
    }
}
