package dev.ltx4j.conformance;

import dev.ltx4j.replica.ReplicaClient;
import java.util.Objects;
import java.util.function.IntSupplier;

/**
 * A client whose store answers every request with the store's throttling answer (S3: 503 SlowDown; Azure: 503
 * ServerBusy), for the kit's {@code [errors.throttled.backend-retried]}: the backend should be configured with short
 * retry waits of its own (its retry count unchanged), so the clause runs in seconds.
 *
 * @param client the client under test; the kit closes it
 * @param requests how many requests the store (or the proxy in front of it) has received so far
 */
public record ThrottledStore(ReplicaClient client, IntSupplier requests) {
    public ThrottledStore {
        Objects.requireNonNull(client, "client");
        Objects.requireNonNull(requests, "requests");
    }
}
