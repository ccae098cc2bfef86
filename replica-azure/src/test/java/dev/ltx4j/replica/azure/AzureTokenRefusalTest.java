package dev.ltx4j.replica.azure;

import static org.assertj.core.api.Assertions.assertThat;

import com.azure.core.credential.AccessToken;
import com.azure.core.credential.TokenCredential;
import com.azure.core.credential.TokenRequestContext;
import com.azure.core.http.HttpHeaderName;
import com.azure.core.http.HttpHeaders;
import com.azure.core.http.HttpMethod;
import com.azure.core.http.HttpPipeline;
import com.azure.core.http.HttpPipelineBuilder;
import com.azure.core.http.HttpRequest;
import com.azure.core.http.HttpResponse;
import com.azure.core.http.policy.HttpPipelinePolicy;
import com.azure.core.util.Context;
import dev.ltx4j.replica.ReplicaEnvironment;
import dev.ltx4j.replica.ReplicaUrl;
import dev.ltx4j.replica.azure.AzureReplicaConfig.Credential;
import java.nio.ByteBuffer;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The token refusal policy against scripted responses through azure-core's own pipeline: which bodies it reads,
 * which tokens a refusal marks, and how often it makes the cache ask the credential again.
 */
class AzureTokenRefusalTest {
    private static final TokenRequestContext SCOPE = new TokenRequestContext()
            .addScopes("https://storage.azure.com/.default");

    /** A clock the test moves. */
    private static final class MovingClock extends Clock {
        Instant now = Instant.parse("2026-12-06T10:00:00Z");

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    /** A response whose body records whether anyone read it. */
    private static final class Answer extends HttpResponse {
        private final int status;
        private final HttpHeaders headers;
        private final byte[] body;
        final AtomicBoolean read = new AtomicBoolean();

        Answer(HttpRequest request, int status, HttpHeaders headers, String body) {
            super(request);
            this.status = status;
            this.headers = headers;
            this.body = body.getBytes(StandardCharsets.UTF_8);
        }

        @Override
        public int getStatusCode() {
            return status;
        }

        @Override
        @Deprecated
        public String getHeaderValue(String name) {
            return headers.getValue(name);
        }

        @Override
        public HttpHeaders getHeaders() {
            return headers;
        }

        @Override
        public Flux<ByteBuffer> getBody() {
            return Flux.defer(() -> {
                read.set(true);
                return Flux.just(ByteBuffer.wrap(body));
            });
        }

        @Override
        public Mono<byte[]> getBodyAsByteArray() {
            return Mono.fromSupplier(() -> {
                read.set(true);
                return body;
            });
        }

        @Override
        public Mono<String> getBodyAsString() {
            return getBodyAsByteArray().map(b -> new String(b, StandardCharsets.UTF_8));
        }

        @Override
        public Mono<String> getBodyAsString(Charset charset) {
            return getBodyAsByteArray().map(b -> new String(b, charset));
        }
    }

    private final MovingClock clock = new MovingClock();
    private final Deque<String> tokens = new ArrayDeque<>();
    private final AtomicInteger asked = new AtomicInteger();
    private final TokenCredential hook = request -> {
        asked.incrementAndGet();
        String value = tokens.size() > 1 ? tokens.poll() : tokens.peek();
        return Mono.just(new AccessToken(value, OffsetDateTime.now(ZoneOffset.UTC).plusHours(1)));
    };

    private TokenCredential reporting() throws Exception {
        ReplicaEnvironment env = ReplicaEnvironment.of(Map.of()).with(TokenCredential.class, hook)
                .with(Clock.class, clock);
        Credential c = AzureTokenCredentials.from(env, ReplicaUrl.parse("abs://acct@box/db"), Optional.empty(),
                Optional.empty());
        return ((Credential.Token) c).credential();
    }

    private static HttpPipelinePolicy policy(TokenCredential reporting) {
        return AzureTokenCredentials.refusalPolicy(new Credential.Token(reporting, "test")).orElseThrow();
    }

    /** Sends one request carrying {@code token} through the refusal policy to a server answering {@code answer}. */
    private static Answer send(HttpPipelinePolicy policy, String token, int status, HttpHeaders headers, String body) {
        Answer[] sent = new Answer[1];
        HttpPipeline pipeline = new HttpPipelineBuilder().policies(policy).httpClient(request -> {
            sent[0] = new Answer(request, status, headers, body);
            return Mono.just(sent[0]);
        }).build();
        HttpRequest request = new HttpRequest(HttpMethod.DELETE, "https://acct.blob.core.windows.net/box/db/x");
        request.setHeader(HttpHeaderName.AUTHORIZATION, "Bearer " + token);
        try (HttpResponse response = pipeline.sendSync(request, Context.NONE)) {
            assertThat(response.getStatusCode()).isEqualTo(status);
        }
        return sent[0];
    }

    private static HttpHeaders expiredChallenge() {
        return new HttpHeaders().set(HttpHeaderName.WWW_AUTHENTICATE,
                "Bearer authorization_uri=https://login.microsoftonline.com/t/oauth2/authorize error=\"invalid_token\"");
    }

    /** A proxy's 403 page (no request id, HTML, any size) is left unread for ForeignErrorPagePolicy to drop. */
    @Test
    void aProxysErrorPageIsNotRead() throws Exception {
        HttpPipelinePolicy policy = policy(reporting());
        Answer page = send(policy, "t", 403, new HttpHeaders().set(HttpHeaderName.CONTENT_TYPE, "text/html"),
                "<html>Access denied by the corporate proxy</html>");
        assertThat(page.read).as("the proxy's page was read into memory").isFalse();
        Answer large = send(policy, "t", 403, new HttpHeaders().set(HttpHeaderName.X_MS_REQUEST_ID, "r")
                .set(HttpHeaderName.CONTENT_TYPE, "application/xml")
                .set(HttpHeaderName.CONTENT_LENGTH, String.valueOf(3L << 30)), "<Error/>");
        assertThat(large.read).as("a body announced as 3 GiB was read").isFalse();
    }

    /** The service's own refusal (Azurite: 403 with the reason only in the XML body) is still recognised. */
    @Test
    void theServicesRefusalInTheBodyIsRead() throws Exception {
        tokens.add("stale");
        TokenCredential reporting = reporting();
        AccessToken stale = reporting.getTokenSync(SCOPE);
        String body = "<?xml version=\"1.0\"?><Error><Code>AuthenticationFailed</Code><Message>Server failed to"
                + " authenticate the request. Lifetime validation failed. The token is expired.</Message></Error>";
        Answer answer = send(policy(reporting), "stale", 403, new HttpHeaders().set(HttpHeaderName.X_MS_REQUEST_ID, "r")
                .set(HttpHeaderName.CONTENT_TYPE, "application/xml")
                .set(HttpHeaderName.CONTENT_LENGTH, String.valueOf(body.length())), body);
        assertThat(answer.read).isTrue();
        assertThat(stale.isExpired()).as("the refused token counts as expired").isTrue();
    }

    /**
     * Sixteen concurrent deletes carry stale token A; the first refusal made the cache fetch B; the other fifteen
     * refusals of A must not mark B expired too (before, every refusal marked every token handed out so far).
     */
    @Test
    void aRefusalMarksOnlyTheRefusedToken() throws Exception {
        tokens.add("A");
        tokens.add("B");
        TokenCredential reporting = reporting();
        HttpPipelinePolicy policy = policy(reporting);
        AccessToken a = reporting.getTokenSync(SCOPE);
        send(policy, "A", 401, expiredChallenge(), "");
        assertThat(a.isExpired()).isTrue();
        AccessToken b = reporting.getTokenSync(SCOPE);
        assertThat(b.getToken()).isEqualTo("B");
        clock.now = clock.now.plus(Duration.ofMinutes(5)); // even past the re-ask gap
        for (int i = 0; i < 15; i++) {
            send(policy, "A", 401, expiredChallenge(), "");
        }
        assertThat(b.isExpired()).as("token B, fetched after the refusal of A").isFalse();
        assertThat(b.getExpiresAt()).isAfter(OffsetDateTime.now(ZoneOffset.UTC));
    }

    /**
     * A credential that keeps answering the same stale token: refusals force a new request for a token at most once
     * per 30 s (the SDK cache's own gap), not at every retry of a close (every 100 ms).
     */
    @Test
    void forcedReasksAreSpacedThirtySecondsApart() throws Exception {
        tokens.add("stale");
        TokenCredential reporting = reporting();
        HttpPipelinePolicy policy = policy(reporting);
        AccessToken first = reporting.getTokenSync(SCOPE);
        send(policy, "stale", 401, expiredChallenge(), "");
        assertThat(first.isExpired()).as("the first refusal forces a re-ask").isTrue();
        AccessToken again = reporting.getTokenSync(SCOPE);
        for (int i = 0; i < 10; i++) {
            clock.now = clock.now.plusMillis(100);
            send(policy, "stale", 401, expiredChallenge(), "");
        }
        assertThat(again.isExpired()).as("refused again within 30 s of the last forced re-ask").isFalse();
        clock.now = clock.now.plusSeconds(30);
        send(policy, "stale", 401, expiredChallenge(), "");
        assertThat(again.isExpired()).as("refused 31 s after the last forced re-ask").isTrue();
        assertThat(asked).hasValue(2);
    }
}
