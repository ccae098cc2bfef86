package dev.ltx4j.replica.azure;

import com.azure.core.http.HttpHeaders;
import com.azure.core.http.HttpPipelineCallContext;
import com.azure.core.http.HttpPipelineNextPolicy;
import com.azure.core.http.HttpPipelineNextSyncPolicy;
import com.azure.core.http.HttpPipelinePosition;
import com.azure.core.http.HttpResponse;
import com.azure.core.http.policy.HttpPipelinePolicy;
import java.nio.ByteBuffer;
import java.nio.charset.Charset;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * An error answered by something other than the Blob service (a proxy's HTML page: no {@code x-ms-request-id}, not
 * XML) reached the SDK's XML error parser, which failed with a bare {@code IllegalStateException}; the client then
 * reported a transient "failed: IllegalStateException" and the engine retried a proxy's refusal. Such a body is
 * dropped here, so the SDK reports the status as a code-less error and {@link AzureErrors} names who answered.
 */
final class ForeignErrorPagePolicy implements HttpPipelinePolicy {
    @Override
    public HttpPipelinePosition getPipelinePosition() {
        return HttpPipelinePosition.PER_RETRY;
    }

    @Override
    public Mono<HttpResponse> process(HttpPipelineCallContext context, HttpPipelineNextPolicy next) {
        return next.process().map(ForeignErrorPagePolicy::withoutForeignPage);
    }

    @Override
    public HttpResponse processSync(HttpPipelineCallContext context, HttpPipelineNextSyncPolicy next) {
        return withoutForeignPage(next.processSync());
    }

    static HttpResponse withoutForeignPage(HttpResponse response) {
        String type = response.getHeaderValue("Content-Type");
        if (response.getStatusCode() < 400) {
            return response;
        }
        if (response.getHeaderValue("x-ms-request-id") != null
                || (type != null && type.toLowerCase(java.util.Locale.ROOT).contains("xml"))) {
            // The service's error body (small) is read twice on a download's last try (the retry policy drains it,
            // then the SDK parses it): unbuffered, the second read failed with a bare IllegalStateException ("This
            // publisher has already one subscriber") that hid the status and code (docs/field-probes.md, round 8).
            return response.buffer();
        }
        response.close();
        return new Bodyless(response);
    }

    private static final class Bodyless extends HttpResponse {
        private final HttpResponse original;

        Bodyless(HttpResponse original) {
            super(original.getRequest());
            this.original = original;
        }

        @Override
        public int getStatusCode() {
            return original.getStatusCode();
        }

        @Override
        @Deprecated
        public String getHeaderValue(String name) {
            return original.getHeaderValue(name);
        }

        @Override
        public HttpHeaders getHeaders() {
            return original.getHeaders();
        }

        @Override
        public Flux<ByteBuffer> getBody() {
            return Flux.empty();
        }

        @Override
        public Mono<byte[]> getBodyAsByteArray() {
            return Mono.empty();
        }

        @Override
        public Mono<String> getBodyAsString() {
            return Mono.empty();
        }

        @Override
        public Mono<String> getBodyAsString(Charset charset) {
            return Mono.empty();
        }
    }
}
