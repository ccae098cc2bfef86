package dev.ltx4j.compaction;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ltx4j.compaction.internal.Timeline;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** What the wall clock read some time ago, across its steps (the compactor's grace cut and snapshot age). */
class TimelineTest {
    static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
    static final long S = 1_000_000_000L;

    @Test
    void withoutStepsTheWallClockAgoIsNowMinusTheDuration() {
        Timeline t = new Timeline();
        t.observe(T0, 0);
        t.observe(T0.plusSeconds(100), 100 * S);
        assertThat(t.wallAgo(Duration.ofSeconds(30))).isEqualTo(T0.plusSeconds(70));
        assertThat(t.wallAgo(Duration.ofSeconds(500))).as("before the first look: extrapolated")
                .isEqualTo(T0.minusSeconds(400));
    }

    @Test
    void aForwardStepIsNotElapsedTime() {
        Timeline t = new Timeline();
        t.observe(T0, 0);
        t.observe(T0.plusSeconds(100), 100 * S);
        t.observe(T0.plusSeconds(110).plus(Duration.ofHours(5)), 110 * S); // stepped 5 h forward
        t.observe(T0.plusSeconds(200).plus(Duration.ofHours(5)), 200 * S);
        // Longest question first: a question drops what only longer ones would need.
        assertThat(t.wallAgo(Duration.ofSeconds(150))).as("the reading before the step")
                .isEqualTo(T0.plusSeconds(50));
        assertThat(t.wallAgo(Duration.ofSeconds(95))).as("between the looks around the step: the earlier reading")
                .isEqualTo(T0.plusSeconds(105));
        assertThat(t.wallAgo(Duration.ofSeconds(50))).isEqualTo(T0.plusSeconds(150).plus(Duration.ofHours(5)));
    }

    @Test
    void aBackwardStepIsSeenWithoutAMonotonicClock() {
        Timeline t = new Timeline();
        t.observe(T0, t.synthesize(T0));
        Instant later = T0.plusSeconds(100);
        t.observe(later, t.synthesize(later));
        assertThat(t.now()).isEqualTo(100 * S);
        Instant back = later.minus(Duration.ofHours(1));
        assertThat(t.synthesize(back)).as("monotonic time stands still").isEqualTo(100 * S);
        t.observe(back, t.synthesize(back));
        Instant after = back.plusSeconds(30);
        t.observe(after, t.synthesize(after));
        assertThat(t.now()).isEqualTo(130 * S);
    }

    @Test
    void slowDriftIsNotAStep() {
        Timeline t = new Timeline();
        t.observe(T0, 0);
        for (int i = 1; i <= 1000; i++) { // 100 ppm of drift, looked at every 10 s
            t.observe(T0.plusSeconds(10L * i).plusNanos(1_000_000L * i), 10L * i * S);
        }
        // One segment following the drift: 10 s ago read within a millisecond of T0 + 9,990.999 s.
        assertThat(t.wallAgo(Duration.ofSeconds(10))).isEqualTo(T0.plusSeconds(9991));
    }

    /**
     * Segments evicted beyond {@code MAX_SEGMENTS} (a flapping clock) inside the window a question reaches: the answer
     * there is the smallest offset evicted (the conservative, earlier reading), not extrapolated from the oldest kept
     * segment's later offset after forward steps (which moved the grace cut forward).
     */
    @Test
    void aTimeInsideEvictedSegmentsIsAnsweredConservatively() {
        Timeline t = new Timeline();
        for (int i = 0; i <= 70; i++) { // a 10 s forward step every second: 71 segments, the first 7 evicted
            t.observe(T0.plusSeconds(11L * i), i * S);
        }
        assertThat(t.wallAgo(Duration.ofSeconds(70))).as("monotonic 0, inside the evicted segments")
                .isEqualTo(T0);
        assertThat(t.wallAgo(Duration.ofSeconds(10))).isEqualTo(T0.plusSeconds(11L * 60));
    }
}
