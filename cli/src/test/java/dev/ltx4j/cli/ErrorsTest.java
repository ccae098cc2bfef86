package dev.ltx4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ConnectException;
import org.junit.jupiter.api.Test;

/** Round 9 (leftovers): the command line's error line starts with words, not a Java class name. */
class ErrorsTest {
    @Test
    void aWrappedFailurePrintsItsWordsNotItsClass() {
        // Before: "java.net.ConnectException: Connection refused" (the wrapper's message is the cause's toString).
        assertThat(Errors.describe(new IOException(new ConnectException("Connection refused"))))
                .isEqualTo("Connection refused");
        assertThat(Errors.describe(new IllegalStateException())).startsWith("failed without details");
    }
}
