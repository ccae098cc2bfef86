package dev.ltx4j.pagestore.replica;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The on-disk page cache: restart reuse, the byte bound, torn writes and foreign bytes detected, not served. */
class DiskPageCacheTest {
    static final int PS = 4096;

    @TempDir
    Path dir;

    static final RemoteFile FILE = new RemoteFile(0, 1, 1, PS, 1_000_000);
    static final DatabaseVersion V = new DatabaseVersion(PS, 1000, 1, 0, 0, PageMap.EMPTY);

    static RemotePage frame(long pgno) {
        return new RemotePage(FILE, 100 + pgno * 5000, 4000);
    }

    static byte[] page(long pgno) {
        byte[] p = new byte[PS];
        Arrays.fill(p, (byte) pgno);
        p[0] = (byte) (pgno >> 8);
        return p;
    }

    @Test
    void entriesSurviveARestartAndTheFilesStayWithinTheBound() throws Exception {
        long bound = 20L * (PS + 64) + 64;
        try (DiskPageCache c = DiskPageCache.open(dir, "replica\napp.db", bound)) {
            for (long p = 1; p <= 50; p++) {
                c.offer(p, frame(p), page(p));
            }
            assertThat(c.stats().entries()).isEqualTo(20);
        }
        long onDisk = 0;
        try (var files = Files.list(dir)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                onDisk += Files.size(p);
            }
        }
        assertThat(onDisk).isLessThanOrEqualTo(bound);
        try (DiskPageCache c = DiskPageCache.open(dir, "replica\napp.db", bound)) {
            assertThat(c.stats().entries()).isEqualTo(20);
            byte[] dst = new byte[PS];
            int hits = 0;
            for (long p = 1; p <= 50; p++) {
                if (c.read(V, p, frame(p), dst)) {
                    assertThat(dst).isEqualTo(page(p));
                    hits++;
                }
            }
            assertThat(hits).isEqualTo(20);
        }
        try (DiskPageCache other = DiskPageCache.open(dir, "another replica\napp.db", bound)) {
            assertThat(other.read(V, 50, frame(50), new byte[PS])).as("keyed per replica").isFalse();
        }
    }

    @Test
    void aSlotWhoseBytesChangedOrWereTornIsDetectedAndNotServed() throws Exception {
        long bound = 4L * (PS + 64) + 64;
        try (DiskPageCache c = DiskPageCache.open(dir, "r", bound)) {
            for (long p = 1; p <= 4; p++) {
                c.offer(p, frame(p), page(p));
            }
        }
        Path pages;
        Path index;
        try (var files = Files.list(dir)) {
            Path[] all = files.toArray(Path[]::new);
            pages = Arrays.stream(all).filter(p -> p.toString().endsWith(".pages")).findFirst().orElseThrow();
            index = Arrays.stream(all).filter(p -> p.toString().endsWith(".index")).findFirst().orElseThrow();
        }
        try (FileChannel ch = FileChannel.open(pages, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[] {42}), PS + 7); // slot 1 (page 2): bytes changed at rest
            ch.write(ByteBuffer.wrap(new byte[PS / 2]), 2L * PS); // slot 2 (page 3): a torn write
        }
        try (FileChannel ch = FileChannel.open(index, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[] {1, 2, 3}), 64 + 3 * 64 + 20); // slot 3's record torn
        }
        try (DiskPageCache c = DiskPageCache.open(dir, "r", bound)) {
            assertThat(c.stats().entries()).as("the torn record is dropped at load").isEqualTo(3);
            byte[] dst = new byte[PS];
            assertThat(c.read(V, 1, frame(1), dst)).isTrue();
            assertThat(dst).isEqualTo(page(1));
            assertThat(c.read(V, 2, frame(2), dst)).isFalse();
            assertThat(c.read(V, 3, frame(3), dst)).isFalse();
            assertThat(c.read(V, 4, frame(4), dst)).isFalse();
            assertThat(c.stats().rejected()).isEqualTo(2);
            c.offer(2, frame(2), page(2));
            assertThat(c.read(V, 2, frame(2), dst)).isTrue();
            assertThat(dst).isEqualTo(page(2));
        }
    }

    @Test
    void aSecondOpenOfTheSameCacheIsRefusedNotShared() throws Exception {
        try (DiskPageCache a = DiskPageCache.open(dir, "r", 1 << 20);
                DiskPageCache b = DiskPageCache.open(dir, "r", 1 << 20)) {
            assertThat(a.stats().disabled()).isNull();
            assertThat(b.stats().disabled()).contains("in use");
            b.offer(1, frame(1), page(1));
            assertThat(b.read(V, 1, frame(1), new byte[PS])).isFalse();
        }
    }
}
