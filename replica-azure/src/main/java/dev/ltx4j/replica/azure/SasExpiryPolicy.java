package dev.ltx4j.replica.azure;

import com.azure.core.http.HttpPipelineCallContext;
import com.azure.core.http.HttpPipelineNextPolicy;
import com.azure.core.http.HttpPipelineNextSyncPolicy;
import com.azure.core.http.HttpPipelinePosition;
import com.azure.core.http.HttpResponse;
import com.azure.core.http.policy.HttpPipelinePolicy;
import dev.ltx4j.replica.azure.AzureReplicaConfig.Credential;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.Optional;
import java.util.function.Supplier;
import reactor.core.publisher.Mono;

/**
 * Turns a 403 on a SAS whose validity window does not hold the current time into {@link Expired}, which names the
 * window and where the SAS came from: Azure answers an expired SAS with a bare {@code AuthenticationFailed} /
 * {@code AuthorizationFailure}, which read like a wrong key. The check runs on the refusal only (the service's clock
 * decides; a local clock that is off never refuses a valid SAS). Only the SAS's {@code st}/{@code se} times are read
 * and shown; they are not secret. A SAS from an environment variable cannot change in a running process, so the
 * message says to restart with a new one; the embedder's {@code AzureSasCredential} is read as it is now, and the
 * message says to {@code update()} it.
 */
final class SasExpiryPolicy implements HttpPipelinePolicy {
    private final Supplier<String> sas;
    private final String source;
    private final String renew;
    private final Clock clock;

    private SasExpiryPolicy(Supplier<String> sas, String source, String renew, Clock clock) {
        this.sas = sas;
        this.source = source;
        this.renew = renew;
        this.clock = clock;
    }

    /** A policy for a SAS credential (alone, in a connection string, or the embedder's), else none. */
    static Optional<SasExpiryPolicy> of(Credential credential, Clock clock) {
        String fromEnvironment = "a SAS from the environment is read at open: restart with a new one, or use an"
                + " account key, a connection string or an Azure AD identity, which do not expire this way";
        if (credential instanceof Credential.SasToken t) {
            return Optional.of(new SasExpiryPolicy(t::token, "LITESTREAM_AZURE_SAS_TOKEN", fromEnvironment, clock));
        } else if (credential instanceof Credential.ConnectionString cs) {
            String sas = part(cs.value(), "SharedAccessSignature");
            return sas == null ? Optional.empty() : Optional.of(new SasExpiryPolicy(() -> sas,
                    "the SharedAccessSignature of AZURE_STORAGE_CONNECTION_STRING", fromEnvironment, clock));
        } else if (credential instanceof Credential.SasHook hook) {
            return Optional.of(new SasExpiryPolicy(hook.credential()::getSignature, "the configured AzureSasCredential",
                    "renew it with AzureSasCredential.update(newSas); the next request uses it", clock));
        }
        return Optional.empty();
    }

    /** Why a refused request's SAS is not valid now, or null when its window holds the current time. */
    String outsideWindow() {
        String current = sas.get();
        if (current == null) {
            return null;
        }
        Instant start = time(param(current, "st"));
        Instant expiry = time(param(current, "se"));
        Instant now = clock.instant();
        if (expiry != null && now.isAfter(expiry)) {
            return "abs: the SAS token (" + source + ") expired at " + expiry + " (it is "
                    + now.truncatedTo(ChronoUnit.SECONDS) + "); " + renew;
        }
        if (start != null && now.isBefore(start)) {
            return "abs: the SAS token (" + source + ") is not valid before " + start + " (it is "
                    + now.truncatedTo(ChronoUnit.SECONDS) + "); check its start time (st) and this machine's clock";
        }
        return null;
    }

    @Override
    public HttpPipelinePosition getPipelinePosition() {
        return HttpPipelinePosition.PER_RETRY;
    }

    @Override
    public Mono<HttpResponse> process(HttpPipelineCallContext context, HttpPipelineNextPolicy next) {
        return next.process().flatMap(response -> {
            String why = refused(response);
            if (why != null) {
                response.close();
                return Mono.error(new Expired(why));
            }
            return Mono.just(response);
        });
    }

    @Override
    public HttpResponse processSync(HttpPipelineCallContext context, HttpPipelineNextSyncPolicy next) {
        HttpResponse response = next.processSync();
        String why = refused(response);
        if (why != null) {
            response.close();
            throw new Expired(why);
        }
        return response;
    }

    private String refused(HttpResponse response) {
        return response.getStatusCode() == 403 ? outsideWindow() : null;
    }

    /** A request refused because the SAS's validity window does not hold the current time. Carries no secret. */
    static final class Expired extends RuntimeException {
        Expired(String message) {
            super(message, null, false, false);
        }
    }

    private static String part(String connectionString, String name) {
        for (String p : connectionString.split(";")) {
            int eq = p.indexOf('=');
            if (eq > 0 && p.substring(0, eq).trim().equalsIgnoreCase(name)) {
                return p.substring(eq + 1).trim();
            }
        }
        return null;
    }

    private static String param(String sas, String name) {
        String query = sas.startsWith("?") ? sas.substring(1) : sas;
        for (String p : query.split("&")) {
            int eq = p.indexOf('=');
            if (eq > 0 && p.substring(0, eq).equals(name)) {
                return URLDecoder.decode(p.substring(eq + 1), StandardCharsets.UTF_8);
            }
        }
        return null;
    }

    /** A SAS time: ISO 8601 UTC with or without seconds, or a date (midnight UTC); null when absent or unreadable. */
    private static Instant time(String value) {
        if (value == null || value.isBlank()) {
            return null;
        }
        try {
            return OffsetDateTime.parse(value).toInstant();
        } catch (RuntimeException e) {
            try {
                return LocalDate.parse(value).atStartOfDay(ZoneOffset.UTC).toInstant();
            } catch (RuntimeException ignored) {
                return null;
            }
        }
    }
}
