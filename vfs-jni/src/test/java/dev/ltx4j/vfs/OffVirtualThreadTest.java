package dev.ltx4j.vfs;

import static org.assertj.core.api.Assertions.assertThat;

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
            });
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
            boolean sawInterrupt = OffVirtualThread.hop("sync-now", () -> {
                ranOn.set(Thread.currentThread());
                return Thread.currentThread().isInterrupted();
            }, Thread::start);
            assertThat(sawInterrupt).isTrue();
            assertThat(ranOn.get()).isNotSameAs(Thread.currentThread());
            assertThat(ranOn.get().getName()).startsWith("ltx4j-sync-now");
            assertThat(Thread.currentThread().isInterrupted()).isTrue();
        } finally {
            Thread.interrupted();
        }
    }
}
