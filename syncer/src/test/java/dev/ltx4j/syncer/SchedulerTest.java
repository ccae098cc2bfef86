package dev.ltx4j.syncer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ltx4j.replica.EngineClock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The scheduler owns the engine's threads and reports failed background work instead of swallowing it. */
class SchedulerTest {
    final EngineClock clock = EngineClock.system();

    @Test
    void failedBackgroundWorkIsCountedAndLaterWorkStillRuns() throws Exception {
        try (Scheduler s = new Scheduler("ltx4j-test-background", clock, null)) {
            CountDownLatch ran = new CountDownLatch(1);
            s.execute(() -> {
                throw new IllegalStateException("boom");
            });
            s.execute(ran::countDown);
            assertThat(ran.await(30, TimeUnit.SECONDS)).isTrue();
            assertThat(s.failures()).isEqualTo(1);
        }
    }

    @Test
    void aStepThatThrowsIsCountedAndTheLoopGoesOn() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        CountDownLatch third = new CountDownLatch(3);
        try (Scheduler s = new Scheduler("ltx4j-test-steps", clock, null)) {
            s.start(Duration.ofMillis(1), (Instant now) -> {
                third.countDown();
                if (calls.incrementAndGet() == 1) {
                    throw new IllegalStateException("a bug in a step");
                }
            });
            assertThat(third.await(30, TimeUnit.SECONDS)).isTrue();
            assertThat(s.failures()).isEqualTo(1);
        }
    }

    @Test
    void aStepThatThrowsAnErrorIsCountedAndTheLoopGoesOn() throws Exception {
        // A JVM whose direct memory (-XX:MaxDirectMemorySize) ran out throws OutOfMemoryError from allocateDirect in
        // the sync step; before, the periodic task was cancelled by it and the database never synced again.
        AtomicInteger calls = new AtomicInteger();
        CountDownLatch third = new CountDownLatch(3);
        CountDownLatch lane = new CountDownLatch(2);
        try (Scheduler s = new Scheduler("ltx4j-test-errors", clock, null)) {
            s.start(Duration.ofMillis(1), (Instant now) -> {
                third.countDown();
                if (calls.incrementAndGet() == 1) {
                    throw new OutOfMemoryError("Cannot reserve 262144 bytes of direct buffer memory");
                }
            });
            s.startLane("ltx4j-test-errors-lane", Duration.ofMillis(1), (Instant now) -> {
                lane.countDown();
                if (lane.getCount() == 1) {
                    throw new StackOverflowError();
                }
            });
            assertThat(third.await(30, TimeUnit.SECONDS)).isTrue();
            assertThat(lane.await(30, TimeUnit.SECONDS)).isTrue();
            assertThat(s.failures()).isEqualTo(2);
        }
    }

    /** Found in review: a step failing every interval logged a stack trace at WARN every interval. */
    @Test
    void aStreakOfFailuresWarnsOnceAndSaysWhenItWorksAgain() throws Exception {
        CapturedLogs.clear();
        AtomicInteger calls = new AtomicInteger();
        CountDownLatch recovered = new CountDownLatch(1);
        List<String> reported = new CopyOnWriteArrayList<>();
        try (Scheduler s = new Scheduler("ltx4j-test-streak", clock, null)) {
            s.reportStepFailuresTo(reported::add);
            s.start(Duration.ofMillis(1), (Instant now) -> {
                if (calls.incrementAndGet() <= 5) {
                    throw new OutOfMemoryError("Cannot reserve 262144 bytes of direct buffer memory");
                }
                recovered.countDown();
            });
            assertThat(recovered.await(30, TimeUnit.SECONDS)).isTrue();
        }
        List<String> ours = CapturedLogs.lines().stream().filter(l -> l.contains("ltx4j-test-streak:")).toList();
        assertThat(ours.stream().filter(l -> l.startsWith("WARN"))).hasSize(1);
        assertThat(ours.stream().filter(l -> l.startsWith("DEBUG"))).hasSize(4);
        assertThat(ours.stream().filter(l -> l.startsWith("INFO"))).singleElement().asString()
                .contains("step works again after 5 failure(s)");
        assertThat(reported).hasSize(5).allMatch(r -> r.contains("Cannot reserve 262144 bytes"));
    }

    /** Found in review: under heap exhaustion the warning itself throws, and that escaped and cancelled the task. */
    @Test
    void aFailureWhoseLoggingThrowsDoesNotStopTheLoop() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        CountDownLatch third = new CountDownLatch(3);
        try (Scheduler s = new Scheduler("ltx4j-test-logging-fails", clock, null)) {
            s.start(Duration.ofMillis(1), (Instant now) -> {
                third.countDown();
                if (calls.incrementAndGet() == 1) {
                    throw new Error("unprintable") {
                        @Override
                        public String toString() {
                            throw new OutOfMemoryError("Java heap space"); // as a logger formatting it might
                        }
                    };
                }
            });
            assertThat(third.await(30, TimeUnit.SECONDS)).isTrue();
            assertThat(s.failures()).isEqualTo(1);
        }
    }

    @Test
    void anInjectedExecutorRunsBackgroundWorkAndNoThreadIsStarted() {
        AtomicInteger ran = new AtomicInteger();
        try (Scheduler s = new Scheduler("ltx4j-test-inline", clock, Runnable::run)) {
            s.execute(ran::incrementAndGet);
            s.execute(() -> {
                throw new IllegalStateException("boom");
            });
            assertThat(ran.get()).isEqualTo(1);
            assertThat(s.failures()).isEqualTo(1);
            assertThat(Thread.getAllStackTraces().keySet()).noneMatch(t -> t.getName().equals("ltx4j-test-inline"));
        }
    }

    @Test
    void afterCloseBackgroundWorkRunsOnTheCallersThread() {
        Scheduler s = new Scheduler("ltx4j-test-closed", clock, null);
        s.close();
        Thread[] where = new Thread[1];
        s.execute(() -> where[0] = Thread.currentThread());
        assertThat(where[0]).isSameAs(Thread.currentThread());
    }
}
