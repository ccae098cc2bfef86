package dev.ltx4j.replica;

import dev.ltx4j.replica.support.GoDurations;
import java.time.Duration;
import java.util.Optional;

/**
 * How long a network backend waits, per attempt: {@code connect} bounds opening a TCP (and TLS) connection,
 * {@code request} bounds one request from sending it to its response (and any silence while reading it). Read from
 * the replica URL ({@code ?connect-timeout=5s&request-timeout=30s}, also {@code connectTimeout}/{@code requestTimeout})
 * or the environment ({@code LITESTREAM_CONNECT_TIMEOUT}, {@code LITESTREAM_REQUEST_TIMEOUT}), URL first. Values are
 * Go durations ({@code 500ms}, {@code 5s}, {@code 1m30s}).
 *
 * <p>Connection failures are not retried inside the backends: {@link RetryingReplicaClient} retries them within
 * {@link RetryPolicy#unreachableElapsed()}, so an unreachable store fails an operation within about that bound plus
 * one connect timeout.
 */
public record ReplicaTimeouts(Duration connect, Duration request) {
    public static final String CONNECT_TIMEOUT = "LITESTREAM_CONNECT_TIMEOUT";
    public static final String REQUEST_TIMEOUT = "LITESTREAM_REQUEST_TIMEOUT";
    public static final Duration DEFAULT_CONNECT = Duration.ofSeconds(5);
    public static final Duration DEFAULT_REQUEST = Duration.ofSeconds(30);

    public ReplicaTimeouts {
        if (connect.isNegative() || connect.isZero() || request.isNegative() || request.isZero()) {
            throw new IllegalArgumentException("timeouts must be positive");
        }
    }

    public static ReplicaTimeouts defaults() {
        return new ReplicaTimeouts(DEFAULT_CONNECT, DEFAULT_REQUEST);
    }

    /**
     * The timeouts for {@code url}.
     *
     * @throws ReplicaPermanentException naming the parameter or variable when a value is not a positive duration
     */
    public static ReplicaTimeouts from(ReplicaUrl url, ReplicaEnvironment env) throws ReplicaPermanentException {
        return new ReplicaTimeouts(
                read(url, env, CONNECT_TIMEOUT, DEFAULT_CONNECT, "connect-timeout", "connectTimeout"),
                read(url, env, REQUEST_TIMEOUT, DEFAULT_REQUEST, "request-timeout", "requestTimeout"));
    }

    private static Duration read(ReplicaUrl url, ReplicaEnvironment env, String variable, Duration fallback,
            String... params) throws ReplicaPermanentException {
        Optional<String> fromUrl = url.param(params).filter(v -> !v.isEmpty());
        String source = fromUrl.isPresent() ? "query parameter " + params[0] + " of " + url.redacted() : variable;
        Optional<String> raw = fromUrl.or(() -> env.get(variable));
        if (raw.isEmpty()) {
            return fallback;
        }
        Duration d = parse(raw.get());
        if (d == null) {
            throw new ReplicaPermanentException("invalid " + source + ": \"" + raw.get()
                    + "\" (expected a positive duration such as 500ms, 5s or 1m)");
        }
        return d;
    }

    /** A Go-style duration ({@code 100ms}, {@code 5s}, {@code 1m30s}) of at least 1 ms, or null. */
    static Duration parse(String value) {
        Duration d = GoDurations.parse(value);
        return d == null || d.compareTo(Duration.ofMillis(1)) < 0 ? null : d;
    }

    @Override
    public String toString() {
        return "connect " + connect.toMillis() + " ms, request " + request.toMillis() + " ms";
    }
}
