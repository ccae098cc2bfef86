package dev.ltx4j.ltx;

import static dev.ltx4j.ltx.TestLtx.fill;
import static dev.ltx4j.ltx.TestLtx.pages;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RestorerTest {
    private static final long F = Ltx.CHECKSUM_FLAG;
    @TempDir
    Path dir;

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            b.writeBytes(p);
        }
        return b.toByteArray();
    }

    private static LtxSource src(String name, LtxHeader h, Map<Long, byte[]> pages, long post) throws IOException {
        return LtxSource.ofBytes(name, TestLtx.encode(h, pages, post));
    }

    @Test
    void restoresTrackedChainWithGrowthAndShrink() throws IOException {
        int ps = 512;
        var snapPages = pages(1, fill(ps, 1), 2, fill(ps, 2), 3, fill(ps, 3));
        long s1 = TestLtx.rolling(ps, snapPages);
        var snap = src("snap", LtxHeader.of(0, ps, 3, 1, 1, 0, 0), snapPages, s1);
        // TXID 2: grow to 5, change page 2.
        var db2 = pages(1, fill(ps, 1), 2, fill(ps, 0x22), 3, fill(ps, 3), 4, fill(ps, 4), 5, fill(ps, 5));
        long s2 = TestLtx.rolling(ps, db2);
        var inc2 = src("inc2", LtxHeader.of(0, ps, 5, 2, 2, 0, s1), pages(2, fill(ps, 0x22), 4, fill(ps, 4), 5, fill(ps, 5)), s2);
        // TXID 3: shrink to 4 pages, change page 1.
        var db3 = pages(1, fill(ps, 0x11), 2, fill(ps, 0x22), 3, fill(ps, 3), 4, fill(ps, 4));
        long s3 = TestLtx.rolling(ps, db3);
        var inc3 = src("inc3", LtxHeader.of(0, ps, 4, 3, 3, 0, s2), pages(1, fill(ps, 0x11)), s3);

        Path out = dir.resolve("db.sqlite");
        Files.write(out, new byte[] {9, 9, 9});
        LtxRestorer.Result r = LtxRestorer.restore(List.of(snap, inc2, inc3), out);
        assertThat(Files.readAllBytes(out)).isEqualTo(concat(fill(ps, 0x11), fill(ps, 0x22), fill(ps, 3), fill(ps, 4)));
        assertThat(r).isEqualTo(new LtxRestorer.Result(ps, 4, 1, 3, s3));
        try (var list = Files.list(dir)) {
            assertThat(list).containsExactly(out);
        }
    }

    @Test
    void restoreFailsOnBadChecksumAndLeavesTargetUntouched() throws IOException {
        int ps = 512;
        var snapPages = pages(1, fill(ps, 1));
        long s1 = TestLtx.rolling(ps, snapPages);
        var snap = src("snap", LtxHeader.of(0, ps, 1, 1, 1, 0, 0), snapPages, s1);
        var wrongPre = src("inc.ltx", LtxHeader.of(0, ps, 1, 2, 2, 0, F | 12345), pages(1, fill(ps, 2)), F | 3);
        Path out = dir.resolve("db");
        Files.write(out, new byte[] {7});
        assertThatThrownBy(() -> LtxRestorer.restore(List.of(snap, wrongPre), out))
                .isInstanceOf(LtxFormatException.class).hasMessageContaining("inc.ltx")
                .hasMessageContaining("pre-apply checksum mismatch");
        assertThat(Files.readAllBytes(out)).containsExactly(7);
        try (var list = Files.list(dir)) {
            assertThat(list).containsExactly(out);
        }
    }

    @Test
    void restoresLitestreamStyleChainFromVectors() throws IOException {
        // C5 (TXID 1-2, NoChecksum) then a NoChecksum increment growing the database.
        var inc = src("inc", LtxHeader.of(Ltx.HEADER_FLAG_NO_CHECKSUM, 512, 3, 3, 3, 0, 0), pages(3, fill(512, 3)), 0);
        Path out = dir.resolve("db");
        LtxRestorer.Result r = LtxRestorer.restore(List.of(LtxSource.ofBytes("C5", TestLtx.vector("C5")), inc), out);
        assertThat(Files.readAllBytes(out)).isEqualTo(concat(fill(512, 1), fill(512, 0x22), fill(512, 3)));
        assertThat(r.checksum()).isZero();
        assertThat(r.maxTxid()).isEqualTo(3);
    }

    /** A SQLite page 1 of {@code ps} bytes whose freelist starts at {@code trunk} and holds {@code free} pages. */
    private static byte[] sqlitePage1(int ps, int trunk, int free) {
        byte[] p = fill(ps, 0x31);
        System.arraycopy("SQLite format 3\0".getBytes(java.nio.charset.StandardCharsets.US_ASCII), 0, p, 0, 16);
        java.nio.ByteBuffer.wrap(p).putInt(32, trunk).putInt(36, free);
        return p;
    }

    /** A freelist trunk page listing {@code leaves}. */
    private static byte[] trunk(int ps, int... leaves) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(ps).putInt(0, 0).putInt(4, leaves.length);
        for (int i = 0; i < leaves.length; i++) {
            b.putInt(8 + 4 * i, leaves[i]);
        }
        return b.array();
    }

    /**
     * docs/time-travel.md, "Sparse growth files": a tracked SQLite chain whose TXID 2 grows 2 -> 6 pages holding 1, 3 and
     * 6 only (4 and 5 freelist leaves SQLite never wrote) restores with them as zeros and the checksum counting them
     * so; TXID 3 writes page 4 (reused), and the state after it lists only 5 as free.
     */
    @Test
    void aSparseGrowthOfFreelistLeavesRestoresAsZerosWithTrackedChecksums() throws IOException {
        int ps = 512;
        var snapPages = pages(1, sqlitePage1(ps, 0, 0), 2, fill(ps, 2));
        long s1 = TestLtx.rolling(ps, snapPages);
        var snap = src("snap", LtxHeader.of(0, ps, 2, 1, 1, 0, 0), snapPages, s1);
        var db2 = pages(1, sqlitePage1(ps, 3, 3), 2, fill(ps, 2), 3, trunk(ps, 4, 5), 4, new byte[ps], 5, new byte[ps],
                6, fill(ps, 6));
        long s2 = TestLtx.rolling(ps, db2);
        var inc2 = src("sparse.ltx", LtxHeader.of(0, ps, 6, 2, 2, 0, s1),
                pages(1, db2.get(1L), 3, db2.get(3L), 6, db2.get(6L)), s2);
        var db3 = pages(1, sqlitePage1(ps, 3, 2), 2, fill(ps, 2), 3, trunk(ps, 5), 4, fill(ps, 4), 5, new byte[ps],
                6, fill(ps, 6));
        long s3 = TestLtx.rolling(ps, db3);
        var inc3 = src("reuse.ltx", LtxHeader.of(0, ps, 6, 3, 3, 0, s2),
                pages(1, db3.get(1L), 3, db3.get(3L), 4, db3.get(4L)), s3);

        Path out = dir.resolve("db");
        assertThat(LtxRestorer.restore(List.of(snap, inc2), out)).isEqualTo(new LtxRestorer.Result(ps, 6, 1, 2, s2));
        assertThat(Files.readAllBytes(out)).isEqualTo(concat(db2.values().toArray(new byte[0][])));
        assertThat(LtxRestorer.restore(List.of(snap, inc2, inc3), out)).isEqualTo(new LtxRestorer.Result(ps, 6, 1, 3, s3));
        assertThat(Files.readAllBytes(out)).isEqualTo(concat(db3.values().toArray(new byte[0][])));

        // A state whose freelist does not list page 5: the page no file wrote is one it needs.
        var db3b = pages(1, sqlitePage1(ps, 3, 1), 3, trunk(ps), 4, fill(ps, 4));
        var lost = src("lost.ltx", LtxHeader.of(Ltx.HEADER_FLAG_NO_CHECKSUM, ps, 6, 3, 3, 0, 0), db3b, 0);
        Path other = dir.resolve("other");
        assertThatThrownBy(() -> LtxRestorer.restore(List.of(snap, inc2, lost), other))
                .isInstanceOf(LtxFormatException.class).hasMessageContaining("sparse.ltx")
                .hasMessageContaining("grows from 2 to 6 pages but the file holds only 2 of the new pages")
                .hasMessageContaining("page 5, written by no later file, is not a free page of the restored database");
        assertThat(other).doesNotExist();
        try (var list = Files.list(dir)) {
            assertThat(list).containsExactly(out);
        }
    }

    /**
     * An inflated Commit in a verified growth file (a header claiming far more pages than the file and its page 1's
     * freelist count account for) is refused naming the file before any absent page is checksummed as zeros or the
     * database extended over them: tracked (200,000 pages of 512 bytes), and untracked at 65536-byte pages with Commit
     * 0xFFFFFFFF (2^48 bytes: no disk's fault, the file's).
     */
    @Test
    void anInflatedCommitIsRefusedByPage1sFreelistCountNamingTheFile() throws IOException {
        for (int ps : new int[] {512, 65536}) {
            boolean tracked = ps == 512;
            long commit = tracked ? 200_000 : 0xFFFFFFFFL;
            int flags = tracked ? 0 : Ltx.HEADER_FLAG_NO_CHECKSUM;
            var snapPages = pages(1, sqlitePage1(ps, 0, 0), 2, fill(ps, 2));
            long s1 = tracked ? TestLtx.rolling(ps, snapPages) : 0;
            var snap = src("snap", LtxHeader.of(flags, ps, 2, 1, 1, 0, 0), snapPages, s1);
            var grown = pages(1, sqlitePage1(ps, 0, 1), 3, fill(ps, 3));
            var inflated = src("inflated.ltx", LtxHeader.of(flags, ps, commit, 2, 2, 0, s1), grown,
                    tracked ? s1 ^ 12345 : 0);
            Path out = dir.resolve("inflated-" + ps);
            assertThatThrownBy(() -> LtxRestorer.restore(List.of(snap, inflated), out))
                    .isInstanceOf(LtxFormatException.class).hasMessageContaining("inflated.ltx")
                    .hasMessageContaining("grows from 2 to " + commit + " pages but the file holds only 1 of")
                    .hasMessageContaining("its page 1 counts only 1 free pages for the " + (commit - 3
                            - (tracked ? 0 : 1)) + " absent ones"); // page 3 held; 65536's lock page never written
            assertThat(out).doesNotExist();
        }
        try (var list = Files.list(dir)) {
            assertThat(list).isEmpty();
        }
    }

    /**
     * A freelist whose trunk lists itself as the next trunk (a damaged page 1 claiming 2^32-1 free pages, so the
     * count check passes) ends the walk at the repeated trunk: the leaves it did not reach are refused, naming the
     * growth file (the walk used to repeat the trunk min(free, commit) times: 5,000,000 took 22.7 s).
     */
    @Test
    void aSelfLoopingFreelistTrunkEndsTheWalkAndIsRefused() throws IOException {
        int ps = 512;
        int flags = Ltx.HEADER_FLAG_NO_CHECKSUM;
        var snap = src("snap", LtxHeader.of(flags, ps, 2, 1, 1, 0, 0), pages(1, sqlitePage1(ps, 0, 0), 2, fill(ps, 2)), 0);
        byte[] loop = trunk(ps, 4);
        java.nio.ByteBuffer.wrap(loop).putInt(0, 3);
        var g = src("loop.ltx", LtxHeader.of(flags, ps, 5_000_000, 2, 2, 0, 0), pages(1, sqlitePage1(ps, 3, -1), 3, loop),
                0);
        Path out = dir.resolve("loop");
        assertThatThrownBy(() -> LtxRestorer.restore(List.of(snap, g), out))
                .isInstanceOf(LtxFormatException.class).hasMessageContaining("loop.ltx")
                .hasMessageContaining("page 5 (and 4999994 more), written by no later file, is not a free page");
        assertThat(out).doesNotExist();
    }

    /**
     * A freelist whose second trunk (page 4) the growth file lacks: page 4 reads as zeros (no leaves, no next trunk),
     * so neither it nor the leaf it listed is known to be free, and the first of them is refused naming the file.
     */
    @Test
    void aGrowthFileWithoutAFreelistTrunkIsRefusedNamingIt() throws IOException {
        int ps = 512;
        int flags = Ltx.HEADER_FLAG_NO_CHECKSUM;
        var snap = src("snap", LtxHeader.of(flags, ps, 2, 1, 1, 0, 0), pages(1, sqlitePage1(ps, 0, 0), 2, fill(ps, 2)), 0);
        byte[] first = trunk(ps);
        java.nio.ByteBuffer.wrap(first).putInt(0, 4);
        var g = src("notrunk.ltx", LtxHeader.of(flags, ps, 6, 2, 2, 0, 0),
                pages(1, sqlitePage1(ps, 3, 3), 3, first, 6, fill(ps, 6)), 0);
        Path out = dir.resolve("notrunk");
        assertThatThrownBy(() -> LtxRestorer.restore(List.of(snap, g), out))
                .isInstanceOf(LtxFormatException.class).hasMessageContaining("notrunk.ltx")
                .hasMessageContaining("page 4 (and 1 more), written by no later file, is not a free page");
        assertThat(out).doesNotExist();
    }

    @Test
    void rejectsChainsThatDoNotStartWithSnapshotOrLeaveGaps() throws IOException {
        Path out = dir.resolve("db");
        assertThatThrownBy(() -> LtxRestorer.restore(List.of(LtxSource.ofBytes("V4", TestLtx.vector("V4"))), out))
                .isInstanceOf(LtxFormatException.class).hasMessageContaining("snapshot");
        var grow = src("grow.ltx", LtxHeader.of(Ltx.HEADER_FLAG_NO_CHECKSUM, 512, 4, 3, 3, 0, 0), pages(4, fill(512, 4)), 0);
        assertThatThrownBy(() -> LtxRestorer.restore(List.of(LtxSource.ofBytes("C5", TestLtx.vector("C5")), grow), out))
                .isInstanceOf(LtxFormatException.class).hasMessageContaining("grow.ltx")
                .hasMessageContaining("grows from 2 to 4");
        var gap = src("gap.ltx", LtxHeader.of(Ltx.HEADER_FLAG_NO_CHECKSUM, 512, 2, 9, 9, 0, 0), pages(1, fill(512, 4)), 0);
        assertThatThrownBy(() -> LtxRestorer.restore(List.of(LtxSource.ofBytes("C5", TestLtx.vector("C5")), gap), out))
                .isInstanceOf(LtxFormatException.class).hasMessageContaining("gap.ltx");
        assertThat(out).doesNotExist();
    }

    @Test
    void applyIncrementalShrinkAndDeletion() throws IOException {
        int ps = 1024;
        Path db = dir.resolve("db");
        LtxRestorer.apply(LtxSource.ofBytes("C2", TestLtx.vector("C2")), db);
        assertThat(Files.readAllBytes(db)).isEqualTo(concat(fill(ps, 0x91), fill(ps, 0x82), fill(ps, 0x93)));
        long pre = TestLtx.hex("8a249272ad9f7dea");
        var after = pages(1, fill(ps, 0x91), 2, fill(ps, 0x44));
        long post = TestLtx.rolling(ps, after);
        var shrink = src("shrink", LtxHeader.of(0, ps, 2, 3, 3, 0, pre), pages(2, fill(ps, 0x44)), post);
        LtxRestorer.Result r = LtxRestorer.apply(shrink, db);
        assertThat(Files.readAllBytes(db)).isEqualTo(concat(fill(ps, 0x91), fill(ps, 0x44)));
        assertThat(r.checksum()).isEqualTo(post);
        // Deletion file: Commit 0 truncates the database; its post-apply is the empty checksum.
        var delete = src("delete", LtxHeader.of(0, ps, 0, 4, 4, 0, post), Map.of(), F);
        LtxRestorer.apply(delete, db);
        assertThat(Files.size(db)).isZero();
    }

    @Test
    void applyVerifiesBeforeTouchingTheDatabase() throws IOException {
        Path db = dir.resolve("db");
        Files.write(db, fill(512, 5));
        byte[] v4 = TestLtx.vector("V4").clone();
        v4[v4.length - 1] ^= 1;
        assertThatThrownBy(() -> LtxRestorer.apply(LtxSource.ofBytes("V4-bad", v4), db))
                .isInstanceOf(LtxFormatException.class).hasMessageContaining("V4-bad");
        assertThat(Files.readAllBytes(db)).isEqualTo(fill(512, 5));
        // A database that is not a whole number of pages is refused.
        Files.write(db, new byte[700]);
        assertThatThrownBy(() -> LtxRestorer.apply(LtxSource.ofBytes("V4", TestLtx.vector("V4")), db))
                .isInstanceOf(LtxFormatException.class).hasMessageContaining("not a multiple");
    }
}
