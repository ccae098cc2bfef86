package dev.ltx4j.vfs;

import static org.assertj.core.api.Assertions.assertThat;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The hop of a control call to a platform thread (docs/virtual-threads.md), driven from a platform thread: the
 * virtual-thread check is past, the rest is the same code a virtual caller runs.
 */
class OffVirtualThreadTest {

    /**
     * A worker that cannot be started (out of native threads) leaves the work to the caller, as before the hop;
     * before, the start threw past the work (a close's final sync never ran) and the caller's interrupt was lost.
     */
    @Test
    void aWorkerThatCannotStartLeavesTheWorkToTheCallerWithItsInterrupt() throws Exception {
        AtomicReference<Thread> ranOn = new AtomicReference<>();
        AtomicReference<Boolean> sawInterrupt = new AtomicReference<>();
        Thread.currentThread().interrupt();
        try {
            String result = OffVirtualThread.hop("close", () -> {
                ranOn.set(Thread.currentThread());
                sawInterrupt.set(Thread.currentThread().isInterrupted());
                return "done";
            }, worker -> {
                throw new OutOfMemoryError("unable to create native thread: possibly out of memory");
            }, null);
            assertThat(result).isEqualTo("done");
            assertThat(ranOn.get()).isSameAs(Thread.currentThread());
            assertThat(sawInterrupt.get()).as("the work saw the caller's interrupt").isTrue();
            assertThat(Thread.currentThread().isInterrupted()).as("the caller's interrupt flag").isTrue();
        } finally {
            Thread.interrupted();
        }
    }

    @Test
    void theWorkRunsOnAPlatformThreadAndTheInterruptComesBack() throws Exception {
        AtomicReference<Thread> ranOn = new AtomicReference<>();
        Thread.currentThread().interrupt();
        try {
            boolean sawInterrupt = OffVirtualThread.hop("sync-now-app.db", () -> {
                ranOn.set(Thread.currentThread());
                return Thread.currentThread().isInterrupted();
            }, Thread::start, null);
            assertThat(sawInterrupt).isTrue();
            assertThat(ranOn.get()).isNotSameAs(Thread.currentThread());
            assertThat(ranOn.get().getName()).isEqualTo("ltx4j-sync-now-app.db");
            assertThat(Thread.currentThread().isInterrupted()).isTrue();
        } finally {
            Thread.interrupted();
        }
    }

    /** Many callers at once start at most the bound's platform threads; the others wait for a turn, then run. */
    @Test
    void callersBeyondTheBoundWaitForATurn() throws Exception {
        Semaphore turns = new Semaphore(2);
        AtomicInteger running = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> callers = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            Thread t = new Thread(() -> {
                try {
                    OffVirtualThread.hop("sync-now-app.db", () -> {
                        most.accumulateAndGet(running.incrementAndGet(), Math::max);
                        try {
                            go.await();
                        } catch (InterruptedException e) {
                            throw new SQLException(e);
                        }
                        running.decrementAndGet();
                        return null;
                    }, Thread::start, turns);
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
            });
            t.start();
            callers.add(t);
        }
        while (running.get() + turns.getQueueLength() < 5) Thread.sleep(5); // each caller runs or waits
        assertThat(running.get()).as("works running while 3 callers wait for a turn").isEqualTo(2);
        go.countDown();
        for (Thread t : callers) t.join();
        assertThat(most.get()).isEqualTo(2);
        assertThat(turns.availablePermits()).isEqualTo(2);
    }

    /** A failure crossing the hop carries the caller's stack (the worker's ends in the hop's run()). */
    @Test
    void aFailureNamesTheCallersStack() {
        assertThatThrownBy(() -> OffVirtualThread.hop("sync-now-app.db", () -> {
            throw new SQLException("sync of database app.db failed: store down");
        }, Thread::start, null)).isInstanceOf(SQLException.class).satisfies(e -> {
            assertThat(e.getSuppressed()).hasSize(1);
            assertThat(e.getSuppressed()[0]).hasMessage("called from");
            assertThat(e.getSuppressed()[0].getStackTrace())
                    .anyMatch(f -> f.getMethodName().equals("aFailureNamesTheCallersStack"));
        });
    }
}
