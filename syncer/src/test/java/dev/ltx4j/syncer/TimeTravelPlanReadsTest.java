package dev.ltx4j.syncer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ltx4j.replica.ReplicaException;
import java.io.InputStream;
import java.time.Instant;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A past state is built from its restore plan with the plan's file reads in flight together, as the database's
 * own open does (before: one file after another, about 150 round trips for the state below).
 */
class TimeTravelPlanReadsTest {
    private final TimeTravelTest kit = new TimeTravelTest(); // its replica (one-second L0 files) and reader
    @Test
    void aPastStateReadsItsPlanAhead() throws Exception {
        kit.build(200);
        AtomicInteger gateOn = new AtomicInteger();
        CountDownLatch others = new CountDownLatch(2);
        AtomicInteger seen = new AtomicInteger(-1);
        ForwardingClient gated = new ForwardingClient(kit.counted) {
            @Override
            public InputStream openFile(int level, long min, long max, long offset, long length) throws ReplicaException {
                if (gateOn.get() == 1) {
                    if (min == 1) { // the snapshot's read waits (10 s at most) for two others to start
                        try {
                            others.await(10, TimeUnit.SECONDS);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                        seen.compareAndSet(-1, 2 - (int) others.getCount());
                    } else {
                        others.countDown();
                    }
                }
                return super.openFile(level, min, max, offset, length);
            }
        };
        try (Database db = kit.reader(gated)) {
            PointInTime p = db.timeTravel().resolve(Instant.ofEpochMilli(TimeTravelTest.time(150)), kit.clock.instant());
            assertThat(p.txid()).isEqualTo(150);
            gateOn.set(1);
            try (ReadTransaction rt = db.timeTravel().beginRead(p)) {
                assertThat(TimeTravelTest.page2(rt)).isEqualTo(150);
            }
        }
        assertThat(seen.get()).as("plan reads started while the snapshot's read was pending").isEqualTo(2);
    }
}
