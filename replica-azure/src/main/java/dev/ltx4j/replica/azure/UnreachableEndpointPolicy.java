package dev.ltx4j.replica.azure;

import com.azure.core.http.HttpPipelineCallContext;
import com.azure.core.http.HttpPipelineNextPolicy;
import com.azure.core.http.HttpPipelineNextSyncPolicy;
import com.azure.core.http.HttpResponse;
import com.azure.core.http.policy.HttpPipelinePolicy;
import dev.ltx4j.replica.ReplicaTimeouts;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.URL;
import java.net.UnknownHostException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.util.concurrent.TimeoutException;
import reactor.core.publisher.Mono;

/**
 * Runs inside each try of the storage retry policy and turns "could not connect" and "no response within the request
 * timeout" into {@link Unreachable}, which that policy does not retry (it retries I/O and timeout exceptions only,
 * and {@code Unreachable} has no cause): an unreachable endpoint fails at once, naming the endpoint, instead of after
 * ten tries with delays of up to 30 s. {@link dev.ltx4j.replica.RetryingReplicaClient} retries it within its own
 * short bound.
 */
final class UnreachableEndpointPolicy implements HttpPipelinePolicy {
    private final ReplicaTimeouts timeouts;

    UnreachableEndpointPolicy(ReplicaTimeouts timeouts) {
        this.timeouts = timeouts;
    }

    /** The endpoint could not be reached; {@code connected} tells whether the request may have been sent. */
    static final class Unreachable extends RuntimeException {
        final boolean connected;

        Unreachable(String message, boolean connected, Throwable original) {
            super(message, null, true, false);
            this.connected = connected;
            addSuppressed(original); // not the cause: a cause that is an IOException would be retried
        }
    }

    @Override
    public Mono<HttpResponse> process(HttpPipelineCallContext context, HttpPipelineNextPolicy next) {
        return next.process().onErrorMap(e -> classify(context, e) != null, e -> classify(context, e));
    }

    @Override
    public HttpResponse processSync(HttpPipelineCallContext context, HttpPipelineNextSyncPolicy next) {
        try {
            return next.processSync();
        } catch (RuntimeException e) {
            Unreachable u = classify(context, e);
            throw u != null ? u : e;
        }
    }

    private Unreachable classify(HttpPipelineCallContext context, Throwable e) {
        String endpoint = endpointOf(context);
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof Unreachable u) {
                return u;
            }
            // A DNS failure, not a timeout (the JDK client wraps it in a ConnectException): say so, name the host.
            if (t instanceof UnknownHostException || t instanceof UnresolvedAddressException) {
                String m = t instanceof UnknownHostException ? t.getMessage() : null;
                int colon = m == null ? -1 : m.indexOf(": ");
                String host = m == null || m.isBlank() ? context.getHttpRequest().getUrl().getHost()
                        : colon > 0 ? m.substring(0, colon) : m.strip();
                return new Unreachable("cannot resolve host name " + host + " of endpoint " + endpoint
                        + " (unknown host: check the account name or endpoint, and this machine's DNS; no connection "
                        + "was made)", false, e);
            }
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ConnectException || t instanceof NoRouteToHostException
                    || t instanceof HttpConnectTimeoutException) {
                return new Unreachable("cannot connect to endpoint " + endpoint + " (" + t.getClass().getSimpleName()
                        + (t.getMessage() == null ? "" : ": " + t.getMessage()) + "; connect timeout "
                        + timeouts.connect().toMillis() + " ms, connect-timeout / LITESTREAM_CONNECT_TIMEOUT)", false, e);
            }
            if (t instanceof HttpTimeoutException || t instanceof TimeoutException || t instanceof SocketTimeoutException) {
                return new Unreachable("no response from endpoint " + endpoint + " within the request timeout of "
                        + timeouts.request().toMillis() + " ms (request-timeout / LITESTREAM_REQUEST_TIMEOUT)", true, e);
            }
        }
        return null;
    }

    /** Scheme, host and port of the request: never its path or query (a SAS token travels in the query). */
    private static String endpointOf(HttpPipelineCallContext context) {
        URL url = context.getHttpRequest().getUrl();
        return url.getProtocol() + "://" + url.getHost() + (url.getPort() < 0 ? "" : ":" + url.getPort());
    }
}
