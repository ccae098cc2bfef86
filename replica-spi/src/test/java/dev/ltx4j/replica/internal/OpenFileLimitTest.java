package dev.ltx4j.replica.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OpenFileLimitTest {
    @Test
    void readsTheLimitsAndSaysWhatToRaise(@TempDir Path dir) throws Exception {
        Path limits = Files.writeString(dir.resolve("limits"), "Limit                     Soft Limit           Hard "
                + "Limit           Units     \nMax processes             unlimited            unlimited            "
                + "processes \nMax open files            1024                 unlimited            files     \n");
        assertThat(OpenFileLimit.limits(limits)).containsExactly(1024, Long.MAX_VALUE);
        assertThat(OpenFileLimit.limits(dir.resolve("missing"))).isNull();
        assertThat(OpenFileLimit.describe(1020, 1024, 4096)).contains("1020 files open",
                "RLIMIT_NOFILE soft 1024, hard 4096", "ulimit -n 4096", "open fewer databases");
        assertThat(OpenFileLimit.describe(512, 512, 512)).contains("raise the hard limit").doesNotContain("ulimit -n ");
    }

    @Test
    void farFromTheLimitNothingIsAdded() {
        assertThat(OpenFileLimit.withLimit("open x: Too many open files", new java.io.IOException("x")))
                .isEqualTo("open x: Too many open files"); // this test JVM has few files open
        assertThat(OpenFileLimit.explain(new IllegalStateException("no I/O"))).isNull();
    }
}
