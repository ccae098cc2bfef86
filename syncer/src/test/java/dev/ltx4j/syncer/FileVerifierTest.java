package dev.ltx4j.syncer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.ltx4j.conformance.InMemoryReplicaClient;
import dev.ltx4j.pagestore.replica.FileVerifier;
import dev.ltx4j.pagestore.replica.PageCache;
import dev.ltx4j.pagestore.replica.RemoteFile;
import dev.ltx4j.pagestore.replica.ReplicaFileCorruptException;
import dev.ltx4j.replica.ForwardingReplicaClient;
import dev.ltx4j.replica.ReplicaException;
import dev.ltx4j.replica.ReplicaTransientException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The verifier on its own: single flight, short streams are transient (resumed, never remembered as corrupt). */
class FileVerifierTest {
    static final int PS = 4096;

    final InMemoryReplicaClient replica = new InMemoryReplicaClient();

    RemoteFile file() throws Exception {
        Rival.file(replica, 0, 1, 1, PS, 3, new long[] {1, 2, 3}, 10);
        return new RemoteFile(0, 1, 1, PS, replica.listFiles(0, 0, false).get(0).size());
    }

    /** Counts opens; the first one blocks until released; {@code shortBy} bytes cut off the next streams. */
    static final class Gate extends ForwardingReplicaClient {
        final AtomicInteger opens = new AtomicInteger();
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        volatile boolean block;
        volatile int shortStreams;

        Gate(InMemoryReplicaClient delegate) {
            super(delegate);
        }

        @Override
        public InputStream openFile(int level, long min, long max, long offset, long length) throws ReplicaException {
            int n = opens.incrementAndGet();
            if (block && n == 1) {
                entered.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    throw new ReplicaTransientException("interrupted", e);
                }
            }
            InputStream in = delegate.openFile(level, min, max, offset, length);
            if (shortStreams > 0) {
                shortStreams--;
                try {
                    byte[] all = in.readAllBytes();
                    return new ByteArrayInputStream(all, 0, all.length / 2);
                } catch (IOException e) {
                    throw new ReplicaTransientException("read", e);
                }
            }
            return in;
        }
    }

    @Test
    void concurrentReadersShareOneVerification() throws Exception {
        RemoteFile f = file();
        Gate gate = new Gate(replica);
        gate.block = true;
        FileVerifier v = new FileVerifier(gate, new PageCache(1 << 20), true);
        AtomicReference<Object> a = new AtomicReference<>();
        AtomicReference<Object> b = new AtomicReference<>();
        Thread first = new Thread(() -> a.set(ensure(v, f)));
        first.start();
        gate.entered.await();
        Thread second = new Thread(() -> b.set(ensure(v, f)));
        second.start();
        // The second reader must wait for the first one's verification, not start its own download.
        while (second.getState() != Thread.State.WAITING && second.isAlive()) {
            Thread.onSpinWait();
        }
        assertThat(v.stats().verifying()).isEqualTo(1);
        gate.release.countDown();
        first.join();
        second.join();
        assertThat(gate.opens.get()).isEqualTo(1);
        assertThat(a.get()).isInstanceOf(FileVerifier.Verified.class).isSameAs(b.get());
        assertThat(v.stats().filesVerified()).isEqualTo(1);
    }

    private static Object ensure(FileVerifier v, RemoteFile f) {
        try {
            return v.ensure(f, 1);
        } catch (IOException e) {
            return e;
        }
    }

    /**
     * Damage that stops the decoder early (here the first frame's page number, in a file larger than any read-ahead
     * buffer) is corruption even though the stream was not read to its end. CI caught this as a flaky
     * CorruptReplicaVfsTest: a random flip mid-file was sometimes reported as a transient short read (IOERR_READ).
     */
    @Test
    void damageThatStopsTheDecoderEarlyIsCorruptionNotAShortRead() throws Exception {
        java.util.SplittableRandom random = new java.util.SplittableRandom(7);
        int pages = 64;
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        dev.ltx4j.ltx.LtxEncoder enc = new dev.ltx4j.ltx.LtxEncoder(out, dev.ltx4j.ltx.LtxHeader.of(
                dev.ltx4j.ltx.Ltx.HEADER_FLAG_NO_CHECKSUM, PS, pages, 1, 1, 1_600_000_000_000L, 0));
        for (int p = 1; p <= pages; p++) {
            byte[] page = new byte[PS];
            for (int i = 0; i < PS; i++) {
                page[i] = (byte) random.nextInt(); // incompressible: the file is far larger than a read buffer
            }
            enc.writePage(p, page, 0);
        }
        enc.finish(0);
        byte[] bytes = out.toByteArray();
        java.util.Arrays.fill(bytes, dev.ltx4j.ltx.Ltx.HEADER_SIZE, dev.ltx4j.ltx.Ltx.HEADER_SIZE + 4, (byte) 0);
        replica.createFile(0, 1, 1, dev.ltx4j.replica.LtxBody.of(bytes));
        RemoteFile f = new RemoteFile(0, 1, 1, PS, bytes.length);
        FileVerifier v = new FileVerifier(replica, new PageCache(1 << 20), true);
        Throwable t = catchThrowable(() -> v.ensure(f, 1));
        assertThat(t).isInstanceOf(ReplicaFileCorruptException.class).hasMessageContaining(f.name());
        assertThat(v.stats().failureCount()).isEqualTo(1);
    }

    @Test
    void aShortStreamIsResumedAndNeverTakenForCorruption() throws Exception {
        RemoteFile f = file();
        Gate gate = new Gate(replica);
        gate.shortStreams = 1;
        FileVerifier v = new FileVerifier(gate, new PageCache(1 << 20), true);
        assertThat(v.ensure(f, 1)).isNotNull();
        assertThat(gate.opens.get()).isEqualTo(2); // reopened where the short stream stopped

        Gate always = new Gate(replica);
        always.shortStreams = Integer.MAX_VALUE;
        FileVerifier w = new FileVerifier(always, new PageCache(1 << 20), true);
        Throwable t = catchThrowable(() -> w.ensure(f, 1));
        assertThat(t).isInstanceOf(ReplicaTransientException.class).isNotInstanceOf(ReplicaFileCorruptException.class)
                .hasMessageContaining(f.name());
        always.shortStreams = 0;
        assertThat(w.ensure(f, 1)).as("a transient failure is not remembered").isNotNull();
        assertThat(w.stats().failureCount()).isZero();
    }
}
