package dev.ltx4j.pagestore;

import static dev.ltx4j.pagestore.TestSupport.NAME;
import static dev.ltx4j.pagestore.TestSupport.options;
import static dev.ltx4j.pagestore.TestSupport.page;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ltx4j.pagestore.storage.LogFile;
import dev.ltx4j.pagestore.storage.LogStorage;
import dev.ltx4j.pagestore.testkit.MemoryLogStorage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Committers that arrive while a force is running share the next force, and all of them end up durable. */
class GroupCommitTest {

    /** Delegates to a memory storage; once armed, the first force blocks until released and forces are counted. */
    static final class GatedStorage implements LogStorage {
        final MemoryLogStorage inner = new MemoryLogStorage();
        final CountDownLatch inForce = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final AtomicInteger forces = new AtomicInteger();
        volatile boolean armed;

        @Override
        public LogFile open(String name) throws IOException {
            return gate(inner.open(name));
        }

        @Override
        public LogFile create(String name) throws IOException {
            return gate(inner.create(name));
        }

        private LogFile gate(LogFile f) {
            return new LogFile() {
                @Override
                public int read(long position, ByteBuffer dst) throws IOException {
                    return f.read(position, dst);
                }

                @Override
                public void write(long position, ByteBuffer src) throws IOException {
                    f.write(position, src);
                }

                @Override
                public void force() throws IOException {
                    if (armed && forces.getAndIncrement() == 0) {
                        inForce.countDown();
                        try {
                            release.await();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            throw new IOException(e);
                        }
                    }
                    f.force();
                }

                @Override
                public void truncate(long size) throws IOException {
                    f.truncate(size);
                }

                @Override
                public long size() throws IOException {
                    return f.size();
                }

                @Override
                public void close() throws IOException {
                    f.close();
                }
            };
        }

        @Override
        public boolean exists(String name) throws IOException {
            return inner.exists(name);
        }

        @Override
        public void deleteIfExists(String name) throws IOException {
            inner.deleteIfExists(name);
        }

        @Override
        public void replace(String from, String to) throws IOException {
            inner.replace(from, to);
        }

        @Override
        public void syncDirectory() throws IOException {
            inner.syncDirectory();
        }

        @Override
        public StorageLock lock(String name) throws IOException {
            return inner.lock(name);
        }

        @Override
        public String describe(String name) {
            return inner.describe(name);
        }
    }

    @Test
    void commitsQueuedBehindARunningForceShareOneForce() throws Exception {
        GatedStorage storage = new GatedStorage();
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try (WriteBuffer buffer = WriteBuffer.open(storage, NAME, options(512, Durability.LOCAL, 81))) {
            storage.armed = true;
            Future<Long> first = pool.submit(() -> commitOne(buffer, 1));
            assertThat(storage.inForce.await(30, TimeUnit.SECONDS)).isTrue();
            // While the first force is stuck, two more transactions append their commit records.
            Future<Long> second = pool.submit(() -> commitOne(buffer, 2));
            Future<Long> third = pool.submit(() -> commitOne(buffer, 3));
            while (buffer.lastCommittedSeq() < 3) {
                Thread.onSpinWait();
            }
            assertThat(first.isDone()).isFalse();
            storage.release.countDown();
            assertThat(first.get(30, TimeUnit.SECONDS)).isEqualTo(1);
            assertThat(second.get(30, TimeUnit.SECONDS) + third.get(30, TimeUnit.SECONDS)).isEqualTo(5);
            assertThat(storage.forces.get()).isEqualTo(2); // the first force, then one shared by the other two
        } finally {
            pool.shutdownNow();
        }
        storage.inner.crash(MemoryLogStorage.CrashPolicy.loseAllUnforced());
        try (WriteBuffer reopened = WriteBuffer.open(storage.inner, NAME, options(512, Durability.LOCAL, 82))) {
            assertThat(reopened.transactions()).extracting(CommittedTransaction::seq).containsExactly(1L, 2L, 3L);
        }
    }

    private static long commitOne(WriteBuffer buffer, int pgno) throws IOException {
        try (WriteTransaction tx = buffer.begin()) {
            tx.writePage(pgno, page(512, pgno));
            return tx.commit(3);
        }
    }
}
