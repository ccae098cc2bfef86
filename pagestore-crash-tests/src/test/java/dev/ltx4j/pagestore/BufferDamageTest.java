package dev.ltx4j.pagestore;

import static dev.ltx4j.pagestore.TestSupport.NAME;
import static dev.ltx4j.pagestore.TestSupport.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.ltx4j.pagestore.internal.LogHeader;
import dev.ltx4j.pagestore.testkit.MemoryLogStorage;
import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Damage to forced records followed by intact commits is not a torn write: opening refuses the buffer and leaves
 * it byte for byte, and {@link BufferRecovery#TRUNCATE_DAMAGED} keeps a copy and recovers the committed prefix.
 */
class BufferDamageTest {
    private static final int PAGE = 512;

    @TempDir
    Path dir;

    /** Commits every transaction with LOCAL durability (each forced before the next); returns commit end offsets. */
    private static long[] writeLocal(MemoryLogStorage storage, Workload w) throws IOException {
        long[] ends = new long[w.txns.size()];
        try (WriteBuffer buffer = WriteBuffer.open(storage, NAME, options(PAGE, Durability.LOCAL, 5))) {
            for (int i = 0; i < w.txns.size(); i++) {
                w.apply(buffer, i, i + 1);
                ends[i] = storage.contents(NAME).length;
            }
        }
        return ends;
    }

    private static int committedWithin(long[] ends, long length) {
        int k = 0;
        while (k < ends.length && ends[k] <= length) {
            k++;
        }
        return k;
    }

    private static WriteBufferOptions recovering(long seed) {
        return WriteBufferOptions.builder().pageSize(PAGE).durability(Durability.LOCAL).stagingBytes(8192)
                .clock(TestSupport.options(PAGE, Durability.LOCAL, seed).clock())
                .random(() -> new SplittableRandom(seed)).recovery(BufferRecovery.TRUNCATE_DAMAGED).build();
    }

    @Test
    void aFlipBeforeTheLastCommitIsRefusedAndTheFileKeptByteForByte() throws Exception {
        Workload w = Workload.random(3, PAGE, 30, 4, 20);
        MemoryLogStorage original = new MemoryLogStorage();
        long[] ends = writeLocal(original, w);
        byte[] log = original.contents(NAME);
        SplittableRandom rnd = new SplittableRandom(4);
        int refused = 0;
        int torn = 0;
        for (int i = 0; i < 300; i++) {
            int at = LogHeader.SIZE + rnd.nextInt(log.length - LogHeader.SIZE);
            byte[] damaged = log.clone();
            damaged[at] ^= (byte) (1 << rnd.nextInt(8));
            MemoryLogStorage storage = new MemoryLogStorage();
            storage.putDurable(NAME, damaged);
            int k = committedWithin(ends, at);
            if (at < ends[ends.length - 2]) {
                // A later commit was written after this one was forced: it vouches for it.
                BufferDamagedException e = catchThrowableOfType(BufferDamagedException.class,
                        () -> WriteBuffer.open(storage, NAME, options(PAGE, Durability.LOCAL, 6)));
                assertThat(e).as("flip at %d", at).isNotNull();
                assertThat(e.offset()).isLessThanOrEqualTo(at).isGreaterThanOrEqualTo(k == 0 ? LogHeader.SIZE
                        : ends[k - 1]);
                assertThat(e.committedBytesAfter()).isPositive();
                assertThat(e.getMessage()).contains("memory:" + NAME).contains("offset " + e.offset())
                        .contains("truncate-damaged").contains("left unchanged");
                assertThat(storage.contents(NAME)).as("flip at %d", at).isEqualTo(damaged);
                assertThat(storage.names()).containsExactly(NAME);
                refused++;
            } else {
                // Damage in the last transaction looks exactly like a torn tail: nothing vouches for it.
                try (WriteBuffer buffer = WriteBuffer.open(storage, NAME, options(PAGE, Durability.LOCAL, 6))) {
                    assertThat(buffer.recovery().transactions()).isEqualTo(ends.length - 1);
                    w.assertHolds(buffer, 0, ends.length - 1, 1);
                }
                torn++;
            }
        }
        assertThat(refused).isGreaterThan(200);
        assertThat(torn).isPositive();
    }

    @Test
    void explicitRecoveryKeepsTheDamagedFileAndRecoversTheCommittedPrefix() throws Exception {
        Workload w = Workload.random(8, PAGE, 20, 4, 20);
        MemoryLogStorage original = new MemoryLogStorage();
        long[] ends = writeLocal(original, w);
        byte[] log = original.contents(NAME);
        SplittableRandom rnd = new SplittableRandom(9);
        for (int i = 0; i < 100; i++) {
            int at = LogHeader.SIZE + rnd.nextInt((int) ends[ends.length - 2] - LogHeader.SIZE);
            byte[] damaged = log.clone();
            damaged[at] ^= (byte) (1 << rnd.nextInt(8));
            MemoryLogStorage storage = new MemoryLogStorage();
            storage.putDurable(NAME, damaged);
            int k = committedWithin(ends, at);
            try (WriteBuffer buffer = WriteBuffer.open(storage, NAME, recovering(10))) {
                RecoveryReport r = buffer.recovery();
                assertThat(r.tail()).isEqualTo(RecoveryReport.TailStatus.DAMAGE_RECOVERED);
                assertThat(r.transactions()).as("flip at %d", at).isEqualTo(k);
                assertThat(r.damagedCopy()).isEqualTo("memory:" + NAME + ".damaged-20231114T221320Z");
                assertThat(r.describe(buffer.location())).contains("damaged at offset " + r.stopOffset())
                        .contains(r.damagedCopy());
                w.assertHolds(buffer, 0, k, 1);
                assertThat(storage.contents(NAME + ".damaged-20231114T221320Z")).isEqualTo(damaged);
                assertThat(storage.contents(NAME)).hasSize((int) r.validLength());
            }
        }
    }

    @Test
    void tornTailsStayRecoveredSilentlyWithLocalDurability() throws Exception {
        Workload w = Workload.random(12, PAGE, 6, 3, 12);
        MemoryLogStorage original = new MemoryLogStorage();
        long[] ends = writeLocal(original, w);
        byte[] log = original.contents(NAME);
        for (int cut = LogHeader.SIZE; cut <= log.length; cut++) {
            for (boolean zeros : new boolean[] {false, true}) {
                MemoryLogStorage storage = new MemoryLogStorage();
                byte[] crashed = Arrays.copyOf(log, cut);
                storage.putDurable(NAME, zeros ? Arrays.copyOf(crashed, cut + 2 * PAGE) : crashed);
                try (WriteBuffer buffer = WriteBuffer.open(storage, NAME, options(PAGE, Durability.LOCAL, 13))) {
                    assertThat(buffer.recovery().transactions()).as("cut %d", cut)
                            .isEqualTo(committedWithin(ends, cut));
                }
            }
        }
    }

    /** The reported case: hundreds of acknowledged commits on a real file, one bit flipped at 2 MB. */
    @Test
    void realFileWithAFlipAt2MbIsRefusedUnchangedThenRecoveredExplicitly() throws Exception {
        Path path = dir.resolve("app.buffer");
        Workload w = Workload.random(14, 4096, 200, 6, 40);
        try (WriteBuffer buffer = WriteBuffer.open(path, options(4096, Durability.LOCAL, 14))) {
            w.apply(buffer, 0, 200);
        }
        assertThat(Files.size(path)).isGreaterThan(5L << 19);
        byte[] bytes = Files.readAllBytes(path);
        bytes[2 << 20] ^= 0x10;
        Files.write(path, bytes);
        String hash = sha256(path);

        BufferDamagedException e = catchThrowableOfType(BufferDamagedException.class,
                () -> WriteBuffer.open(path, options(4096, Durability.LOCAL, 15)));
        assertThat(e).isNotNull();
        assertThat(e.getMessage()).contains(path.toString()).contains("offset " + e.offset());
        assertThat(e.offset()).isLessThanOrEqualTo(2 << 20).isGreaterThan((2 << 20) - 6 * 4108 - 40);
        assertThat(sha256(path)).isEqualTo(hash);
        assertThat(Files.size(path)).isEqualTo(bytes.length);

        WriteBufferOptions recover = WriteBufferOptions.builder().pageSize(4096)
                .recovery(BufferRecovery.TRUNCATE_DAMAGED).build();
        int kept;
        try (WriteBuffer buffer = WriteBuffer.open(path, recover)) {
            RecoveryReport r = buffer.recovery();
            assertThat(r.tail()).isEqualTo(RecoveryReport.TailStatus.DAMAGE_RECOVERED);
            kept = r.transactions();
            assertThat(kept).isBetween(100, 199);
            w.assertHolds(buffer, 0, kept, 1);
            Path copy = Path.of(r.damagedCopy());
            assertThat(copy.getParent()).isEqualTo(path.getParent());
            assertThat(sha256(copy)).isEqualTo(hash);
            if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
                assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(copy))).isEqualTo("rw-------");
            }
        }
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.filter(p -> p.getFileName().toString().contains(".damaged-")).count()).isEqualTo(1);
        }
        try (WriteBuffer again = WriteBuffer.open(path, options(4096, Durability.LOCAL, 16))) {
            assertThat(again.recovery().tail()).isEqualTo(RecoveryReport.TailStatus.CLEAN_END);
            assertThat(again.recovery().transactions()).isEqualTo(kept);
        }
        assertThatThrownBy(() -> BufferRecovery.parse("fix-it")).hasMessageContaining("fix-it");
        assertThat(BufferRecovery.parse("truncate-damaged")).isEqualTo(BufferRecovery.TRUNCATE_DAMAGED);
    }

    private static String sha256(Path p) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p)));
    }
}
