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

    /** Our own I/O exceptions (a conflict, a refusal: every engine failure is one) cannot be EMFILE. */
    static final class Refusal extends java.io.IOException {
        Refusal(String m, Throwable cause) {
            super(m, cause);
        }
    }

    @Test
    void onlyAJdkIoFailureAsksTheProcessAndABurstAsksOnce() throws Exception {
        long before = OpenFileLimit.ASKED.get();
        for (int i = 0; i < 100; i++) {
            assertThat(OpenFileLimit.explain(new Refusal("conflict", null))).isNull();
            assertThat(OpenFileLimit.withLimit("read-only", new Refusal("read-only", new IllegalStateException())))
                    .isEqualTo("read-only");
        }
        assertThat(OpenFileLimit.ASKED.get() - before).as("a refusal does not read /proc").isZero();
        Thread.sleep(1100); // past the reuse of an earlier test's answer
        for (int i = 0; i < 100; i++) { // a JDK exception, also as the cause of ours: far from the limit, asked once
            OpenFileLimit.explain(new Refusal("wrapped", new java.nio.file.FileSystemException("f", null, "x")));
        }
        assertThat(OpenFileLimit.ASKED.get() - before).isEqualTo(1);
    }

    @Test
    void anUnlistableFdDirectoryInventsNoCount() {
        assertThat(OpenFileLimit.describe(-1, 1024, 1024)).contains("could not list /proc/self/fd",
                "RLIMIT_NOFILE soft 1024").doesNotContain("-1").doesNotContain("1024 files open");
    }
}
