package dev.ltx4j.replica.azure;

import com.azure.core.http.HttpMethod;
import com.azure.core.http.HttpPipelineCallContext;
import com.azure.core.http.HttpPipelineNextPolicy;
import com.azure.core.http.HttpPipelineNextSyncPolicy;
import com.azure.core.http.HttpPipelinePosition;
import com.azure.core.http.HttpRequest;
import com.azure.core.http.HttpResponse;
import com.azure.core.http.policy.HttpPipelinePolicy;
import dev.ltx4j.replica.StoreRequests;
import java.util.Locale;
import reactor.core.publisher.Mono;

/**
 * Counts every HTTP attempt into {@link StoreRequests}: placed per retry, so each try of the storage retry policy
 * counts once with the status the service gave it (or no response), as Azure bills it. Listings are {@code GET
 * ...?comp=list}; Put Block and Put Block List are writes; a batch delete is a delete.
 */
final class StoreRequestPolicy implements HttpPipelinePolicy {
    private final StoreRequests requests;

    StoreRequestPolicy(StoreRequests requests) {
        this.requests = requests;
    }

    @Override
    public HttpPipelinePosition getPipelinePosition() {
        return HttpPipelinePosition.PER_RETRY;
    }

    @Override
    public Mono<HttpResponse> process(HttpPipelineCallContext context, HttpPipelineNextPolicy next) {
        int kind = kind(context.getHttpRequest());
        return next.process()
                .doOnNext(response -> requests.record(kind, response.getStatusCode()))
                .doOnError(e -> requests.record(kind, 0));
    }

    @Override
    public HttpResponse processSync(HttpPipelineCallContext context, HttpPipelineNextSyncPolicy next) {
        int kind = kind(context.getHttpRequest());
        HttpResponse response;
        try {
            response = next.processSync();
        } catch (RuntimeException e) {
            requests.record(kind, 0);
            throw e;
        }
        requests.record(kind, response.getStatusCode());
        return response;
    }

    static int kind(HttpRequest request) {
        String query = request.getUrl().getQuery();
        query = query == null ? "" : query.toLowerCase(Locale.ROOT);
        HttpMethod method = request.getHttpMethod();
        if (method == HttpMethod.GET && query.contains("comp=list")) return StoreRequests.LIST;
        if (method == HttpMethod.POST && query.contains("comp=batch")) return StoreRequests.DELETE;
        return StoreRequests.kindOfMethod(method.name());
    }
}
