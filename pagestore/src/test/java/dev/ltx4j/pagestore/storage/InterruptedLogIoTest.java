package dev.ltx4j.pagestore.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A thread interrupt ({@code Future.cancel(true)}, {@code shutdownNow}, a pool timeout) must not close a log file for
 * every thread: a plain {@code FileChannel} does, and the write buffer then stopped for the whole process (field
 * probe, issue 14 round). The interrupted call completes and the caller's interrupt flag is kept.
 */
class InterruptedLogIoTest {
    @TempDir
    Path dir;

    private static ByteBuffer page(int seed) {
        ByteBuffer b = ByteBuffer.allocate(4096);
        for (int i = 0; i < b.capacity(); i++) {
            b.put(i, (byte) (seed * 7 + i));
        }
        return b;
    }

    @Test
    void aCallerWithItsInterruptFlagSetWritesAndForcesAndTheFileStaysOpenForOthers() throws Exception {
        FileLogStorage storage = new FileLogStorage(dir);
        try (LogFile f = storage.create("log")) {
            AtomicReference<Throwable> failure = new AtomicReference<>();
            AtomicReference<Boolean> flagAfter = new AtomicReference<>();
            Thread t = new Thread(() -> {
                Thread.currentThread().interrupt();
                try {
                    f.write(0, page(1));
                    f.force();
                    f.read(0, ByteBuffer.allocate(10));
                    f.size();
                    storage.syncDirectory();
                } catch (Throwable e) {
                    failure.set(e);
                }
                flagAfter.set(Thread.currentThread().isInterrupted());
            });
            t.start();
            t.join();
            assertThat(failure.get()).isNull();
            assertThat(flagAfter.get()).as("the interrupt is kept for the caller").isTrue();
            f.write(4096, page(2)); // another thread: still open
            f.force();
            ByteBuffer back = ByteBuffer.allocate(8192);
            assertThat(f.read(0, back)).isEqualTo(8192);
            assertThat(back.flip().slice(0, 4096)).isEqualTo(page(1));
            assertThat(back.slice(4096, 4096)).isEqualTo(page(2));
        }
    }

    @Test
    void interruptsArrivingDuringWritesNeverCloseTheFileEvenAfterItWasRenamed() throws Exception {
        FileLogStorage storage = new FileLogStorage(dir);
        LogFile f = storage.create("log.next");
        f.write(0, page(0));
        storage.replace("log.next", "log"); // as the rewrite does: the handle's file now has another name
        int pages = 400;
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread writer = new Thread(() -> {
            try {
                for (int i = 1; i < pages; i++) {
                    f.write(i * 4096L, page(i));
                    f.force();
                }
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        writer.start();
        while (writer.isAlive()) {
            writer.interrupt(); // a storm: many land inside write() or force()
            // Spaced: an fsync interrupted in the middle is redone, so interrupts back to back (faster than an fsync)
            // would keep a force from ever completing; no application interrupts a thread thousands of times a second.
            LockSupport.parkNanos(200_000);
        }
        assertThat(failure.get()).isNull();
        ByteBuffer back = ByteBuffer.allocate(4096);
        for (int i = 0; i < pages; i++) {
            back.clear();
            assertThat(f.read(i * 4096L, back)).isEqualTo(4096);
            assertThat(back.flip()).as("page %d", i).isEqualTo(page(i));
        }
        f.close();
        try (LogFile again = storage.open("log")) {
            assertThat(again.size()).isEqualTo(pages * 4096L);
        }
    }
}
