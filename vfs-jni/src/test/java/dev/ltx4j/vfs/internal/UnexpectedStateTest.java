package dev.ltx4j.vfs.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import org.junit.jupiter.api.Test;

/**
 * The mends-lo review: an invariant failure shows as a bare sentence in a sqlite3/Python host, so it is logged at
 * WARN with its class and stack; an expected state a user causes (something closed) is not.
 */
class UnexpectedStateTest {
    @Test
    void invariantFailuresAreToldApartFromExpectedStates() {
        assertThat(NativeBridge.unexpectedState(new IllegalStateException("neither synced nor pending"))).isTrue();
        assertThat(NativeBridge.unexpectedState(new IOException("sync", new UnsupportedOperationException()))).isTrue();
        assertThat(NativeBridge.unexpectedState(new IllegalStateException("database app.db is closed"))).isFalse();
        assertThat(NativeBridge.unexpectedState(new IOException("disk gone"))).isFalse();
        assertThat(NativeBridge.describe(new IllegalStateException("neither synced nor pending"), false))
                .isEqualTo("neither synced nor pending");
    }
}
