package dev.ltx4j.replica;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Issue 15: HTTP requests by kind and outcome, and every decorator hands the backend's counter through. */
class StoreRequestsTest {

    @Test
    void statusesMapToOutcomes() {
        StoreRequests r = new StoreRequests();
        r.record(StoreRequests.LIST, 200);
        r.record(StoreRequests.GET, 206);
        r.record(StoreRequests.GET, 404);
        r.record(StoreRequests.PUT, 412);
        r.record(StoreRequests.PUT, 409);
        r.record(StoreRequests.LIST, 503);
        r.record(StoreRequests.LIST, 429);
        r.record(StoreRequests.HEAD, 403);
        r.record(StoreRequests.DELETE, 0);
        assertThat(r.byKindAndOutcome()).isEqualTo(Map.of("list/ok", 1L, "get/ok", 1L, "get/not_found", 1L,
                "put/precondition_failed", 2L, "list/throttled", 2L, "head/error", 1L, "delete/no_response", 1L));
        assertThat(r.total()).isEqualTo(9);
        assertThat(r.count("put", "precondition_failed")).isEqualTo(2);
        assertThat(r.count("nonsense", "ok")).isZero();
        assertThat(StoreRequests.kindOfMethod("post")).isEqualTo(StoreRequests.OTHER);
    }

    @Test
    void decoratorsReturnTheBackendsCounter() {
        StoreRequests counter = new StoreRequests();
        ReplicaClient backend = new MapReplicaClient() {
            @Override
            public Optional<StoreRequests> storeRequests() {
                return Optional.of(counter);
            }
        };
        ReplicaClient stack = RetryingReplicaClient.wrap(new CountingReplicaClient(new ForwardingReplicaClient(backend) {
        }), 1);
        assertThat(stack.storeRequests()).containsSame(counter);
        assertThat(new MapReplicaClient().storeRequests()).isEmpty();
    }
}
