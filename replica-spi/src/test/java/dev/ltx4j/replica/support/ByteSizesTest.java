package dev.ltx4j.replica.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ByteSizesTest {

    @Test
    void acceptsBytesWithAnOptionalUnitInAnyCaseAndSpelling() {
        assertThat(ByteSizes.parse("s", "10485760")).isEqualTo(10485760);
        assertThat(ByteSizes.parse("s", "0")).isZero();
        assertThat(ByteSizes.parse("s", " 512b ")).isEqualTo(512);
        for (String k : new String[] {"64k", "64K", "64kb", "64KB", "64KiB", "64kib", "64 k", "64 KiB"}) {
            assertThat(ByteSizes.parse("s", k)).as(k).isEqualTo(64L << 10);
        }
        assertThat(ByteSizes.parse("s", "16MiB")).isEqualTo(16L << 20);
        assertThat(ByteSizes.parse("s", "10mb")).isEqualTo(10L << 20);
        assertThat(ByteSizes.parse("s", "1g")).isEqualTo(1L << 30);
        assertThat(ByteSizes.parse("s", "8191g")).isEqualTo(8191L << 30);
    }

    @Test
    void refusesEverythingElseNamingTheSettingAndTheValue() {
        for (String bad : new String[] {"", "lots", "-1", "1.5m", "10 mbytes", "8ib", "1t", "k", "12ki"}) {
            assertThatThrownBy(() -> ByteSizes.parse("URI parameter cache_size", bad)).as(bad)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("URI parameter cache_size is not a size: '" + bad.trim() + "'")
                    .hasMessageContaining("e.g. 10485760, 64k or 16MiB");
        }
    }

    @Test
    void refusesSizesBeyondALongInsteadOfWrappingAround() {
        assertThatThrownBy(() -> ByteSizes.parse("environment variable LITESTREAM_CACHE_SIZE", "17179869184g"))
                .hasMessage("environment variable LITESTREAM_CACHE_SIZE is too large: '17179869184g'; at most "
                        + Long.MAX_VALUE + " bytes");
        assertThatThrownBy(() -> ByteSizes.parse("x", "99999999999999999999")).hasMessageContaining("x is too large");
    }
}
