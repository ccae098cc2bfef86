package dev.ltx4j.replica.s3;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaEnvironment;
import dev.ltx4j.replica.ReplicaTransientException;
import dev.ltx4j.replica.ReplicaUrl;
import dev.ltx4j.replica.RetryingReplicaClient;
import dev.ltx4j.replica.s3.StoreInTheMiddle.Response;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * The real-time figures of docs/field-probes.md, round 8: one listing through the engine's default retries and the
 * SDK's real backoff under sustained 503 SlowDown, counting requests and time. Minutes long, so not run in CI:
 * {@code -Dltx4j.probe.realtime=true -Dtest=S3ThrottlingRealTimeProbe}. Uses public API only, so it runs unchanged
 * against older code (the "before").
 */
@EnabledIfSystemProperty(named = "ltx4j.probe.realtime", matches = "true")
class S3ThrottlingRealTimeProbe {
    @Test
    void oneListingUnderSustainedSlowDown() throws Exception {
        try (StoreInTheMiddle store = new StoreInTheMiddle()) {
            java.util.List<Long> arrivals = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
            store.answer = r -> {
                arrivals.add(System.nanoTime());
                return Response.error(503, "SlowDown");
            };
            ReplicaEnvironment env = ReplicaEnvironment.of(Map.of("AWS_ACCESS_KEY_ID", "k", "AWS_SECRET_ACCESS_KEY", "s"));
            String url = "s3://" + StoreInTheMiddle.BUCKET + "/probe/db?endpoint=" + store.uri();
            int runs = Integer.getInteger("ltx4j.probe.runs", 1);
            for (int run = 0; run < runs; run++) {
                store.forget();
                arrivals.clear();
                try (ReplicaClient engine = RetryingReplicaClient.wrap(
                        S3ReplicaClient.open(S3UrlParser.parse(ReplicaUrl.parse(url), env), env), run)) {
                    long start = System.nanoTime();
                    assertThatThrownBy(() -> engine.listFiles(0, 0, false))
                            .isInstanceOf(ReplicaTransientException.class);
                    long end = System.nanoTime();
                    StringBuilder gaps = new StringBuilder();
                    long last = start;
                    synchronized (arrivals) {
                        for (long t : arrivals) {
                            gaps.append(String.format(" %.1f", (t - last) / 1e9));
                            last = t;
                        }
                    }
                    System.out.printf("PROBE s3 listing under 503 SlowDown: %d requests, %.1f s (gaps before each"
                            + " request, s:%s)%n", store.seen().size(), (end - start) / 1e9, gaps);
                }
            }
        }
    }
}
