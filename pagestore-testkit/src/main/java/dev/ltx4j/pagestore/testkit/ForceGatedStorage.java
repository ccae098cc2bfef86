package dev.ltx4j.pagestore.testkit;

import dev.ltx4j.pagestore.storage.LogFile;
import dev.ltx4j.pagestore.storage.LogStorage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Test fixture: a {@link LogStorage} forwarding to {@link #inner} whose forces can be held. After {@link #arm()} the
 * first force counts down {@link #inForce} and waits until {@link #release} is counted down; every force from the
 * arming on is counted in {@link #forces}. Lets a test look at the engine while a commit sits inside its fsync.
 */
public final class ForceGatedStorage implements LogStorage {
    public final MemoryLogStorage inner;
    public final CountDownLatch inForce = new CountDownLatch(1);
    public final CountDownLatch release = new CountDownLatch(1);
    public final AtomicInteger forces = new AtomicInteger();
    private volatile boolean armed;

    public ForceGatedStorage(MemoryLogStorage inner) {
        this.inner = inner;
    }

    /** Holds the next force (and counts every force from now on). */
    public void arm() {
        armed = true;
    }

    @Override
    public LogFile open(String name) throws IOException {
        return gate(inner.open(name));
    }

    @Override
    public LogFile create(String name) throws IOException {
        return gate(inner.create(name));
    }

    @Override
    public boolean keepAs(String name, String spare) throws IOException {
        return inner.keepAs(name, spare);
    }

    @Override
    public LogFile reuse(String spare, String name, long keepAtMost) throws IOException {
        LogFile f = inner.reuse(spare, name, keepAtMost);
        return f == null ? null : gate(f);
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
    public void syncDirectoryEntry() throws IOException {
        inner.syncDirectoryEntry();
    }

    @Override
    public StorageLock lock(String name) throws IOException {
        return inner.lock(name);
    }

    @Override
    public String describe(String name) {
        return inner.describe(name);
    }

    private void held() throws IOException {
        if (armed && forces.getAndIncrement() == 0) {
            inForce.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException(e);
            }
        }
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
            public boolean reserve(long end) throws IOException {
                return f.reserve(end);
            }

            @Override
            public void force() throws IOException {
                held();
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

            @Override
            public void closeReplaced() throws IOException {
                f.closeReplaced();
            }

            @Override
            public long staleEnd() {
                return f.staleEnd();
            }
        };
    }
}
