package dev.ltx4j.pagestore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ltx4j.pagestore.storage.SecureFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Durability {@code local} against a real power cut: a FUSE file system that drops every byte and directory entry
 * not made durable ({@link PowerCutFs}). The buffer's directory is created as the engine creates its default one
 * (SecureFiles), commits, two sync rounds (rewrite, rename, spare reuse), more commits; the power is cut after
 * every mutating call in turn, clean or with torn writes, and after the reboot every acknowledged commit must be
 * there (docs/write-buffer-recovery.md, "Power cuts"). A longer exploration: {@code -Dltx4j.powercut.stride=1
 * -Dltx4j.powercut.seeds=20}.
 */
class PowerCutTest {
    static final int PS = 4096;
    static final int COMMITS = 12;

    @TempDir
    static Path scratch;
    static PowerCutFs fs;

    @BeforeAll
    static void mount() throws Exception {
        assumeTrue(PowerCutFs.available(), "mounting a FUSE file system needs root, /dev/fuse and python3-fusepy");
        fs = new PowerCutFs(scratch);
    }

    @AfterAll
    static void unmount() throws Exception {
        if (fs != null) {
            fs.close();
        }
    }

    /** Before the fix the buffer directory's own entry was never fsynced: the cut took it, and every commit. */
    @Test
    void commitsAcknowledgedRightAfterTheBufferWasCreatedSurviveACut() throws Exception {
        Path dir = PowerCutFs.durableDirectory(fs.mount.resolve("created")).resolve("ltx4j-root");
        SecureFiles.privateDirectory(dir, true); // as LocalFiles for the default buffer path
        WriteBuffer buf = WriteBuffer.open(dir.resolve(TestSupport.NAME), TestSupport.options(PS, Durability.LOCAL, 1));
        for (int i = 1; i <= 3; i++) {
            TestSupport.commit(buf, 4, new long[] {i % 4 + 1}, i);
        }
        fs.cut(-1);
        closeDead(buf);
        fs.revive();
        assertThat(dir).as("the buffer directory, after a power cut following three durable commits").isDirectory();
        check(dir, 3, 3, "cut after three commits");
    }

    /**
     * A directory the user (or a run that crashed before syncing it) made just before the first open: the open itself
     * makes its entry durable ({@code LogStorage.syncDirectoryEntry}), whoever created it.
     */
    @Test
    void aDirectoryMadeJustBeforeTheOpenSurvivesWithTheCommits() throws Exception {
        Path dir = PowerCutFs.durableDirectory(fs.mount.resolve("user")).resolve("made-by-mkdir");
        Files.createDirectory(dir); // its parent is not fsynced
        WriteBuffer buf = WriteBuffer.open(dir.resolve(TestSupport.NAME), TestSupport.options(PS, Durability.LOCAL, 4));
        for (int i = 1; i <= 2; i++) {
            TestSupport.commit(buf, 4, new long[] {i % 4 + 1}, i);
        }
        fs.cut(-1);
        closeDead(buf);
        fs.revive();
        assertThat(dir).as("a directory made just before the buffer's open, after a cut following two commits")
                .isDirectory();
        check(dir, 2, 2, "cut after two commits in a directory made by mkdir");
    }

    /**
     * A buffer path through a symbolic link (buffer_path=/srv/app/buf/db with buf -> /mnt/ssd/ltx): the real
     * directory's parent is the one to sync. Before the fix the link's parent was synced and the cut took the real
     * directory with both commits.
     */
    @Test
    void aDirectoryReachedThroughASymbolicLinkSurvivesWithTheCommits() throws Exception {
        Path real = PowerCutFs.durableDirectory(fs.mount.resolve("linked")).resolve("real");
        Files.createDirectory(real); // not synced
        Path link = Files.createSymbolicLink(scratch.resolve("link-to-real"), real); // off the mount
        WriteBuffer buf = WriteBuffer.open(link.resolve(TestSupport.NAME), TestSupport.options(PS, Durability.LOCAL, 4));
        for (int i = 1; i <= 2; i++) {
            TestSupport.commit(buf, 4, new long[] {i % 4 + 1}, i);
        }
        fs.cut(-1);
        closeDead(buf);
        fs.revive();
        assertThat(real).as("a directory opened through a symbolic link, after a cut following two commits")
                .isDirectory();
        check(real, 2, 2, "cut after two commits through a symbolic link");
    }

    /** {@code mkdir -p ground/a/b} just before the open: every new level lasts, not only {@code b}'s entry in a. */
    @Test
    void everyNewAncestorOfTheBufferDirectorySurvives() throws Exception {
        Path ground = PowerCutFs.durableDirectory(fs.mount.resolve("deep"));
        Path dir = Files.createDirectories(ground.resolve("a").resolve("b")); // none synced
        WriteBuffer buf = WriteBuffer.open(dir.resolve(TestSupport.NAME), TestSupport.options(PS, Durability.LOCAL, 4));
        TestSupport.commit(buf, 4, new long[] {2}, 1);
        fs.cut(-1);
        closeDead(buf);
        fs.revive();
        assertThat(dir).as("a/b made by mkdir -p before the open, after a cut following a commit").isDirectory();
        check(dir, 1, 1, "cut after a commit in a directory made by mkdir -p");
    }

    /** Directories ltx4j creates with missing parents (conflicts/, spools, a deeper default) last, each level. */
    @Test
    void directoriesCreatedWithTheirMissingParentsSurviveACut() throws Exception {
        Path top = PowerCutFs.durableDirectory(fs.mount.resolve("nested"));
        Path deep = top.resolve("a").resolve("b").resolve("c");
        SecureFiles.createMissing(deep);
        fs.cut(-1);
        fs.revive();
        assertThat(deep).as("a/b/c made by SecureFiles.createMissing, after a cut").isDirectory();
    }

    /** A cut after each mutating call of a buffer's life (clean, and torn every third call). */
    @Test
    void everyCutPointKeepsEveryAcknowledgedCommit() throws Exception {
        Path ground = PowerCutFs.durableDirectory(fs.mount.resolve("sweep"));
        long before = fs.operations();
        List<Integer> acked = new ArrayList<>();
        workload(ground.resolve("count"), acked);
        long calls = fs.operations() - before;
        assertThat(acked).hasSize(COMMITS);
        int stride = Integer.getInteger("ltx4j.powercut.stride", 1);
        int seeds = Integer.getInteger("ltx4j.powercut.seeds", 1);
        int runs = 0;
        for (long k = 1; k <= calls; k += stride) {
            for (int s = 0; s < seeds; s++) {
                long seed = s == 0 && k % 3 != 0 ? -1 : k * 31 + s;
                Path dir = ground.resolve("cut-" + k + "-" + s);
                fs.command("arm " + k + (seed >= 0 ? " torn " + seed : ""));
                List<Integer> ok = new ArrayList<>();
                try {
                    workload(dir, ok);
                } catch (Exception e) {
                    if (!fs.dead()) {
                        throw new AssertionError("the workload failed before the cut (call " + k + ")", e);
                    }
                }
                if (!fs.dead()) {
                    fs.cut(-1); // the calls of this run differed from the counting run's
                }
                fs.revive();
                check(dir, ok.size(), COMMITS, "cut after call " + k + (seed >= 0 ? ", torn (seed " + seed + ")" : ""));
                runs++;
            }
        }
        assertThat(runs).isGreaterThan(20);
    }

    /**
     * Creates the buffer directory as the engine does, then commits (durable) page {@code i % 4 + 1} filled with
     * {@code i}; after commits 5 and 9 a sync round marks them synced (a rewrite to .next, a rename, the spare kept
     * and reused). Each commit that returns is added to {@code acked}.
     */
    static void workload(Path dir, List<Integer> acked) throws Exception {
        SecureFiles.privateDirectory(dir, true);
        WriteBuffer buf = WriteBuffer.open(dir.resolve(TestSupport.NAME), TestSupport.options(PS, Durability.LOCAL, 2));
        try {
            for (int i = 1; i <= COMMITS; i++) {
                long seq = TestSupport.commit(buf, 4, new long[] {i % 4 + 1}, i);
                acked.add(i);
                if (i == 5 || i == 9) {
                    buf.markSynced(seq, i, 0);
                }
            }
            buf.close();
        } catch (Exception | Error e) {
            closeDead(buf);
            throw e;
        }
    }

    /** Reopens the buffer in {@code dir} (as the engine would) and checks every acknowledged commit is there. */
    static void check(Path dir, int acked, int attempted, String when) throws Exception {
        if (acked == 0 && !Files.exists(dir)) {
            return; // cut before anything was acknowledged
        }
        SecureFiles.privateDirectory(dir, true);
        try (WriteBuffer buf = WriteBuffer.open(dir.resolve(TestSupport.NAME),
                TestSupport.options(PS, Durability.LOCAL, 3))) {
            long base = buf.base().txid();
            long total = base + buf.transactions().size();
            assertThat(total).as("%s: acknowledged %d commits; the reopened buffer holds base %d + %d (%s)", when,
                    acked, base, buf.transactions().size(), buf.recovery()).isBetween((long) acked, (long) attempted);
            byte[] page = new byte[PS];
            for (long pgno = 1; pgno <= 4; pgno++) {
                int last = 0;
                for (int i = 1; i <= total; i++) {
                    if (i % 4 + 1 == pgno) {
                        last = i;
                    }
                }
                if (last > base) {
                    assertThat(buf.readPage(pgno, page)).as("%s: page %d", when, pgno).isTrue();
                    assertThat(page[0] & 0xff).as("%s: page %d holds commit %d", when, pgno, last).isEqualTo(last);
                }
            }
        }
    }

    /** A buffer whose machine died: closing it fails (EIO), which is expected; its lock is released all the same. */
    static void closeDead(WriteBuffer buf) {
        try {
            buf.close();
        } catch (Exception | Error expected) {
            // the handles died with the machine
        }
    }
}
