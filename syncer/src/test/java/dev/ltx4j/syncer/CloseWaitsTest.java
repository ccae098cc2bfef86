package dev.ltx4j.syncer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ltx4j.conformance.InMemoryReplicaClient;
import dev.ltx4j.pagestore.testkit.MemoryLogStorage;
import dev.ltx4j.replica.EngineClock;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A database's close waits for its own threads (bounded) and says at warn what it gave up on: the fetch pool's close
 * did not wait at all, the scheduler's gave up after 30 s without a word.
 */
class CloseWaitsTest {
    @TempDir
    Path tmp;

    final Kit.ManualClock clock = new Kit.ManualClock(1_700_000_000_000L);

    Database open() throws Exception {
        return Database.open(new InMemoryReplicaClient(), "app.db",
                Kit.writer(new MemoryLogStorage(), tmp.resolve("conflicts"), clock, 3).build());
    }

    /** Blocks until {@code release}, ignoring interrupts (a request without a timeout). */
    static void blockUninterruptibly(CountDownLatch release) {
        boolean interrupted = false;
        while (release.getCount() > 0) {
            try {
                release.await(30, TimeUnit.SECONDS);
                return;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void theFetchPoolsCloseWaitsForAnInterruptedFetchToEnd() throws Exception {
        try (Database db = open()) {
            Fetches f = new Fetches(db, Duration.ofSeconds(60));
            CountDownLatch started = new CountDownLatch(1);
            AtomicBoolean ended = new AtomicBoolean();
            f.executor().execute(() -> {
                started.countDown();
                try {
                    Thread.sleep(60_000);
                } catch (InterruptedException e) {
                    // Interrupted by close: the fetch winds down (its request ends) before the thread is free.
                    long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(300);
                    while (System.nanoTime() < until) {
                        Thread.onSpinWait();
                    }
                    ended.set(true);
                }
            });
            assertThat(started.await(30, TimeUnit.SECONDS)).isTrue();
            f.close();
            assertThat(ended).as("close returned only after the fetch ended").isTrue();
        }
    }

    @Test
    void aFetchThatDoesNotEndIsAbandonedWithAWarningNamingIt() throws Exception {
        try (Database db = open()) {
            Fetches f = new Fetches(db, Duration.ofMillis(100));
            CountDownLatch started = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            f.executor().execute(() -> {
                started.countDown();
                blockUninterruptibly(release);
            });
            try {
                assertThat(started.await(30, TimeUnit.SECONDS)).isTrue();
                CapturedLogs.clear();
                f.close();
                assertThat(CapturedLogs.lines()).anySatisfy(l -> assertThat(l).startsWith("WARN")
                        .contains("database \"app.db\": close waited 0.1s for its replica fetches and abandoned 1")
                        .contains("ltx4j-fetch-app.db at ").contains("blockUninterruptibly"));
            } finally {
                release.countDown();
            }
        }
    }

    @Test
    void aSchedulerStepThatDoesNotEndIsAbandonedWithAWarningNamingIt() throws Exception {
        Scheduler s = new Scheduler("ltx4j-test-stuck", EngineClock.system(), null, Duration.ofMillis(100));
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        s.start(Duration.ofMillis(1), (Instant now) -> {
            started.countDown();
            blockUninterruptibly(release);
        });
        try {
            assertThat(started.await(30, TimeUnit.SECONDS)).isTrue();
            CapturedLogs.clear();
            s.close();
            assertThat(CapturedLogs.lines()).anySatisfy(l -> assertThat(l).startsWith("WARN")
                    .contains("ltx4j-test-stuck: close waited 0.1s and abandoned step")
                    .contains("ltx4j-test-stuck at ").contains("blockUninterruptibly")
                    .contains("0 queued background task(s) dropped"));
        } finally {
            release.countDown();
        }
    }

    @Test
    void aSchedulerCloseWaitsForARunningStep() throws Exception {
        Scheduler s = new Scheduler("ltx4j-test-slow", EngineClock.system(), null, Duration.ofSeconds(60));
        CountDownLatch started = new CountDownLatch(1);
        AtomicBoolean ended = new AtomicBoolean();
        s.start(Duration.ofMillis(1), (Instant now) -> {
            if (started.getCount() == 0) {
                return;
            }
            started.countDown();
            long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(300);
            while (System.nanoTime() < until) {
                Thread.onSpinWait();
            }
            ended.set(true);
        });
        assertThat(started.await(30, TimeUnit.SECONDS)).isTrue();
        CapturedLogs.clear();
        s.close();
        assertThat(ended).isTrue();
        assertThat(CapturedLogs.lines()).noneMatch(l -> l.contains("ltx4j-test-slow: close waited"));
    }

    /**
     * A close called on one of the scheduler's own threads (a step or lane step closing the database) does not wait
     * for itself: it waited the whole bound and then interrupted the closing thread, warning that it abandoned itself.
     */
    @Test
    void aSchedulerClosedFromItsOwnStepOrLaneDoesNotWaitForItselfNorInterruptIt() throws Exception {
        for (boolean onLane : new boolean[] {false, true}) {
            Scheduler s = new Scheduler("ltx4j-test-self", EngineClock.system(), null, Duration.ofSeconds(2));
            CountDownLatch closed = new CountDownLatch(1);
            AtomicBoolean interrupted = new AtomicBoolean(true);
            AtomicBoolean once = new AtomicBoolean();
            java.util.function.Consumer<Instant> step = now -> {
                if (once.compareAndSet(false, true)) {
                    s.close();
                    interrupted.set(Thread.currentThread().isInterrupted());
                    closed.countDown();
                }
            };
            CapturedLogs.clear();
            if (onLane) {
                s.start(Duration.ofHours(1), now -> { }); // the main thread exists, idle
                s.startLane("ltx4j-test-self-lane", Duration.ofMillis(1), step);
            } else {
                s.start(Duration.ofMillis(1), step);
            }
            assertThat(closed.await(30, TimeUnit.SECONDS)).isTrue();
            assertThat(interrupted).as("the closing thread was interrupted (lane: %s)", onLane).isFalse();
            assertThat(CapturedLogs.lines()).noneMatch(l -> l.contains("close waited"));
        }
    }

    /** The same for a fetch thread closing the fetch pool. */
    @Test
    void aFetchPoolClosedFromOneOfItsThreadsDoesNotWaitForItselfNorInterruptIt() throws Exception {
        try (Database db = open()) {
            Fetches f = new Fetches(db, Duration.ofSeconds(2));
            CountDownLatch closed = new CountDownLatch(1);
            AtomicBoolean interrupted = new AtomicBoolean(true);
            CapturedLogs.clear();
            f.executor().execute(() -> {
                f.close();
                interrupted.set(Thread.currentThread().isInterrupted());
                closed.countDown();
            });
            assertThat(closed.await(30, TimeUnit.SECONDS)).isTrue();
            assertThat(interrupted).isFalse();
            assertThat(CapturedLogs.lines()).noneMatch(l -> l.contains("close waited"));
        }
    }
}
