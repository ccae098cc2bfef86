package dev.ltx4j.syncer;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class WriterSlotTest {

    /**
     * A caller whose interrupt flag is set (a virtual thread's PRAGMA litestream_refresh) still gets a free slot
     * and keeps its flag; before, the interrupt was taken for "another session held the slot".
     */
    @Test
    void anInterruptedCallerGetsAFreeSlotAndKeepsItsFlag() {
        WriterSlot slot = new WriterSlot(null);
        Thread.currentThread().interrupt();
        try {
            assertTrue(slot.tryAcquire(Duration.ofSeconds(10)), "a free slot refused to an interrupted caller");
            assertTrue(Thread.currentThread().isInterrupted(), "the interrupt flag was lost");
        } finally {
            Thread.interrupted();
        }
        slot.release();
    }

    @Test
    void anInterruptedCallerStillWaitsOutItsDeadlineForAHeldSlot() {
        WriterSlot slot = new WriterSlot(null);
        slot.acquireUninterruptibly();
        Thread.currentThread().interrupt();
        try {
            assertFalse(slot.tryAcquire(Duration.ofMillis(50)), "a held slot was handed out");
            assertTrue(Thread.currentThread().isInterrupted(), "the interrupt flag was lost");
        } finally {
            Thread.interrupted();
        }
    }
}
