package dev.ltx4j.replica;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ReplicaTimeoutsTest {
    @Test
    void defaultsThenEnvironmentThenUrl() throws Exception {
        ReplicaEnvironment none = ReplicaEnvironment.of(Map.of());
        assertThat(ReplicaTimeouts.from(ReplicaUrl.parse("s3://b/p"), none)).isEqualTo(ReplicaTimeouts.defaults());
        ReplicaEnvironment env = ReplicaEnvironment.of(Map.of(ReplicaTimeouts.CONNECT_TIMEOUT, "2s",
                ReplicaTimeouts.REQUEST_TIMEOUT, "1m30s"));
        assertThat(ReplicaTimeouts.from(ReplicaUrl.parse("s3://b/p"), env))
                .isEqualTo(new ReplicaTimeouts(Duration.ofSeconds(2), Duration.ofSeconds(90)));
        assertThat(ReplicaTimeouts.from(ReplicaUrl.parse("s3://b/p?connect-timeout=250ms&requestTimeout=3s"), env))
                .isEqualTo(new ReplicaTimeouts(Duration.ofMillis(250), Duration.ofSeconds(3)));
    }

    @Test
    void badValuesNameTheirSourceWithoutSecrets() {
        assertThatThrownBy(() -> ReplicaTimeouts.from(ReplicaUrl.parse("s3://b/p?connect-timeout=5&sig=TOPSECRET"),
                ReplicaEnvironment.of(Map.of())))
                .isInstanceOf(ReplicaPermanentException.class).hasMessageContaining("connect-timeout")
                .hasMessageContaining("\"5\"").hasMessageNotContaining("TOPSECRET");
        assertThatThrownBy(() -> ReplicaTimeouts.from(ReplicaUrl.parse("s3://b/p"),
                ReplicaEnvironment.of(Map.of(ReplicaTimeouts.REQUEST_TIMEOUT, "0s"))))
                .isInstanceOf(ReplicaPermanentException.class).hasMessageContaining("LITESTREAM_REQUEST_TIMEOUT");
    }
}
