package dev.ltx4j.replica.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class GoDurationsTest {
    @Test
    void acceptsWhatGoAccepts() {
        assertThat(GoDurations.parse("100ms")).isEqualTo(Duration.ofMillis(100));
        assertThat(GoDurations.parse(" 1m30s ")).isEqualTo(Duration.ofSeconds(90));
        assertThat(GoDurations.parse("1.5h")).isEqualTo(Duration.ofMinutes(90));
        assertThat(GoDurations.parse(".5s")).isEqualTo(Duration.ofMillis(500));
        assertThat(GoDurations.parse("1us")).isEqualTo(Duration.ofNanos(1_000));
        assertThat(GoDurations.parse("2µs3ns")).isEqualTo(Duration.ofNanos(2_003));
        // Go's unit table has both the micro sign (U+00B5) and the Greek small mu (U+03BC), which keyboards and
        // copy-paste produce interchangeably (field probe: "1500\u03bcs" was refused as "expected a duration").
        assertThat(GoDurations.parse("1500\u03bcs")).isEqualTo(Duration.ofNanos(1_500_000));
        assertThat(GoDurations.parse("1500\u00b5s")).isEqualTo(Duration.ofNanos(1_500_000));
        assertThat(GoDurations.parse("0")).isEqualTo(Duration.ZERO);
        assertThat(GoDurations.parse("-1s")).isEqualTo(Duration.ofSeconds(-1));
        assertThat(GoDurations.parse("+2s")).isEqualTo(Duration.ofSeconds(2));
    }

    @Test
    void refusesEverythingElseWithNull() {
        for (String bad : new String[] {"", " ", "1", "s", "1 s", "1sec", "1s 2s", "1d", "--1s", "1.2.3s", null,
                "9999999999999999999h"}) {
            assertThat(GoDurations.parse(bad)).as("'%s'", bad).isNull();
        }
    }

    @Test
    void settingsArePositiveAndAtLeastOneMillisecondAndErrorsNameTheSetting() {
        assertThat(GoDurations.setting("X", "1ms")).isEqualTo(Duration.ofMillis(1));
        assertThat(GoDurations.setting("X", "1m30s")).isEqualTo(Duration.ofSeconds(90));
        for (String bad : new String[] {"0", "0s", "-1s", "+0"}) {
            assertThatThrownBy(() -> GoDurations.setting("URI parameter sync_interval", bad))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("invalid URI parameter sync_interval \"" + bad + "\": must be positive");
        }
        assertThatThrownBy(() -> GoDurations.setting("LITESTREAM_POLL_INTERVAL", "999us"))
                .hasMessage("invalid LITESTREAM_POLL_INTERVAL \"999us\": must be at least 1ms");
        assertThatThrownBy(() -> GoDurations.setting("LITESTREAM_POLL_INTERVAL", "fast"))
                .hasMessageContaining("LITESTREAM_POLL_INTERVAL").hasMessageContaining("expected a duration");
    }
}
