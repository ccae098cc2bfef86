package dev.ltx4j.syncer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class TimeSpecTest {
    static final Instant NOW = Instant.parse("2026-11-27T12:00:00Z");

    static Instant at(String s) {
        return TimeSpec.parse(s, NOW).orElseThrow();
    }

    @Test
    void rfc3339WithAndWithoutFractionAndOffset() {
        assertThat(at("2026-11-27T10:00:00Z")).isEqualTo(Instant.parse("2026-11-27T10:00:00Z"));
        assertThat(at("2026-11-27T10:00:00.25Z")).isEqualTo(Instant.parse("2026-11-27T10:00:00.250Z"));
        assertThat(at("2026-11-27T12:00:00.123456789+02:00")).isEqualTo(Instant.parse("2026-11-27T10:00:00.123456789Z"));
        assertThat(at("2026-11-27 10:00:00z")).isEqualTo(Instant.parse("2026-11-27T10:00:00Z"));
        assertThat(at(" 2026-11-27t05:00:00-05:00 ")).isEqualTo(Instant.parse("2026-11-27T10:00:00Z"));
    }

    @Test
    void relativeTimesCountBackFromNow() {
        assertThat(at("5 minutes ago")).isEqualTo(NOW.minus(Duration.ofMinutes(5)));
        assertThat(at("2 hours ago")).isEqualTo(NOW.minus(Duration.ofHours(2)));
        assertThat(at("30s ago")).isEqualTo(NOW.minusSeconds(30));
        assertThat(at("1h30m ago")).isEqualTo(NOW.minus(Duration.ofMinutes(90)));
        assertThat(at("1 day 2 hours ago")).isEqualTo(NOW.minus(Duration.ofHours(26)));
        assertThat(at("an hour ago")).isEqualTo(NOW.minus(Duration.ofHours(1)));
        assertThat(at("1.5 MINUTES AGO")).isEqualTo(NOW.minusSeconds(90));
        assertThat(at("250ms ago")).isEqualTo(NOW.minusMillis(250));
        assertThat(at("now")).isEqualTo(NOW);
    }

    @Test
    void latestAndEmptyMeanTheLatestState() {
        assertThat(TimeSpec.parse("latest", NOW)).isEmpty();
        assertThat(TimeSpec.parse("LATEST", NOW)).isEmpty();
        assertThat(TimeSpec.parse("", NOW)).isEmpty();
    }

    @Test
    void anythingElseIsRefusedNamingTheTextAndTheForms() {
        for (String bad : new String[] {"yesterday-ish", "yesterday", "5 parsecs ago", "ago", "2026-11-27",
                "2026-13-40T10:00:00Z", "10:00", "5 minutes", "tomorrow"}) {
            assertThatThrownBy(() -> TimeSpec.parse(bad, NOW)).as(bad).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(bad.isEmpty() ? "" : bad.split(" ")[0]);
        }
        assertThatThrownBy(() -> TimeSpec.parse("yesterday-ish", NOW)).hasMessageContaining("5 minutes ago")
                .hasMessageContaining("RFC 3339").hasMessageContaining("latest");
        assertThatThrownBy(() -> TimeSpec.parse("2026-11-27T10:00:00", NOW)).hasMessageContaining("no time zone");
        assertThatThrownBy(() -> TimeSpec.parse(null, NOW)).hasMessageContaining("required");
    }
}
