package dev.ltx4j.replica.azure;

import com.azure.core.exception.HttpResponseException;
import com.azure.storage.blob.models.BlobErrorCode;
import com.azure.storage.blob.models.BlobStorageException;
import dev.ltx4j.replica.ReplicaAlreadyExistsException;
import dev.ltx4j.replica.ReplicaException;
import dev.ltx4j.replica.ReplicaNotFoundException;
import dev.ltx4j.replica.ReplicaOutcomeUnknownException;
import dev.ltx4j.replica.ReplicaPermanentException;
import dev.ltx4j.replica.ReplicaTransientException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;

/**
 * Maps Azure SDK failures to typed replica errors. Messages carry the container, blob, status and error code; the
 * SDK's own messages are not used, because they can include request URLs (and so SAS signatures).
 */
final class AzureErrors {
    enum Op {
        READ, LIST, WRITE, WRITE_CONDITIONAL, DELETE
    }

    private AzureErrors() {}

    static ReplicaException map(Op op, String what, String container, String blob, RuntimeException e) {
        String where = "abs: " + what + " " + (blob == null ? "" : "'" + blob + "' ") + "in container '" + container + "'";
        SasExpiryPolicy.Expired expired = causeOf(e, SasExpiryPolicy.Expired.class);
        if (expired != null) {
            return new ReplicaPermanentException(expired.getMessage() + "; " + where, e);
        }
        AzureTokenCredentials.Unavailable noToken = causeOf(e, AzureTokenCredentials.Unavailable.class);
        if (noToken != null) {
            // The token is fetched before the request is sent: nothing was written.
            return ReplicaPermanentException.credentialsMayRenew(noToken.getMessage() + "; " + what + " "
                    + (blob == null ? "" : "'" + blob + "' ") + "in container '" + container + "' was not sent", e);
        }
        UnreachableEndpointPolicy.Unreachable unreachable = unreachable(e);
        if (unreachable != null) {
            if (op == Op.WRITE_CONDITIONAL && unreachable.connected) {
                return new ReplicaOutcomeUnknownException(where + ": the request may or may not have been applied ("
                        + unreachable.getMessage() + "); read the blob back to find out", e);
            }
            return ReplicaTransientException.unreachable("abs: " + unreachable.getMessage() + "; " + what + " "
                    + (blob == null ? "" : "'" + blob + "' ") + "in container '" + container + "' failed", unreachable);
        }
        if (e instanceof HttpResponseException http) {
            int status = http.getResponse() == null ? 0 : http.getResponse().getStatusCode();
            BlobErrorCode code = e instanceof BlobStorageException storage ? storage.getErrorCode() : null;
            String detail = " (HTTP " + status + (code == null ? "" : ", " + code) + ")" + notFromTheService(http);
            if (BlobErrorCode.CONTAINER_NOT_FOUND.equals(code) && op != Op.READ) {
                return new ReplicaPermanentException("abs: container '" + container + "' does not exist" + detail
                        + "; " + where, e);
            }
            if (op == Op.READ && (BlobErrorCode.BLOB_NOT_FOUND.equals(code)
                    || BlobErrorCode.CONTAINER_NOT_FOUND.equals(code) || status == 404)) {
                return new ReplicaNotFoundException(where + " not found" + detail, e);
            }
            if (BlobErrorCode.RESOURCE_NOT_FOUND.equals(code) || (status == 404 && code == null && op != Op.READ)) {
                // Not the container's 404 (ContainerNotFound): the endpoint knows no such account (a path-style
                // endpoint naming another account, Azurite or Azure Stack) or is not a blob endpoint at all.
                return new ReplicaPermanentException("abs: the endpoint " + accountOf(http) + " has no such account or"
                        + " resource" + detail + ": check the account in the replica URL (abs://ACCOUNT@CONTAINER/PATH)"
                        + " and the endpoint; " + where, e);
            }
            String skew = status == 403 ? clockSkew(http) : null;
            if (skew != null) {
                // Shared-key requests carry this machine's time (x-ms-date); the service refuses one 15 minutes off
                // with the same AuthenticationFailed as a wrong key, which sent users to their keys.
                return new ReplicaPermanentException("abs: the service refused the request's time" + detail + ": "
                        + skew + "; Azure allows 15 minutes; fix the clock (NTP); " + where, e);
            }
            if ((status == 401 || status == 403) && AzureTokenCredentials.refusedAsExpired(http)) {
                // Only a bearer token has a lifetime the service checks; the policy in the pipeline has marked the
                // tokens handed out so far as expired, so the next request asks the credential for a new one.
                return ReplicaPermanentException.credentialsMayRenew("abs: the service refused the Azure AD token"
                        + " for container '" + container + "' as expired" + detail + ": the token credential is"
                        + " asked for a new token at the next request, so one that renews (DefaultAzureCredential, a"
                        + " managed identity, the configured TokenCredential) gets its chance; if this repeats, the"
                        + " credential hands out a stale token or this machine's clock is off; " + where, e);
            }
            if (status == 403 || status == 401 || BlobErrorCode.AUTHENTICATION_FAILED.equals(code)
                    || BlobErrorCode.AUTHORIZATION_FAILURE.equals(code)) {
                return new ReplicaPermanentException("abs: access denied to container '" + container + "'" + detail
                        + ": check LITESTREAM_AZURE_ACCOUNT_KEY / LITESTREAM_AZURE_SAS_TOKEN / AZURE_STORAGE_CONNECTION_STRING, or"
                        + " the Azure AD identity's role on the container (e.g. Storage Blob Data Contributor); "
                        + where, e);
            }
            if (op == Op.WRITE_CONDITIONAL && (status == 409 || status == 412)) {
                return new ReplicaAlreadyExistsException(where + " already exists" + detail, e);
            }
            boolean throttled = status == 429 || status == 503;
            if (op == Op.WRITE_CONDITIONAL && status >= 500 && !throttled) {
                return new ReplicaOutcomeUnknownException(where + ": server error" + detail
                        + "; the write may or may not have been applied, read the blob back to find out", e);
            }
            if (op != Op.WRITE_CONDITIONAL && (status == 429 || status == 500 || status == 503)) {
                // The storage retry policy retries exactly these statuses until its tries are spent. The count is
                // inferred from the call's kind and final status, not counted per call: a call whose earlier tries
                // ended in I/O errors (also retried) still sent SDK_TRIES in all, one that ended in an I/O error is
                // reported below as one request (docs/field-probes.md, round 8, "Reported").
                return ReplicaTransientException.backendRetried(where + " failed" + detail + " ["
                        + AzureReplicaClient.SDK_TRIES + " requests: the Azure SDK's retries were spent]", e,
                        AzureReplicaClient.SDK_TRIES);
            }
            if (throttled || status >= 500 || status == 408) {
                return new ReplicaTransientException(where + " failed" + detail, e);
            }
            return new ReplicaPermanentException(where + " failed" + detail, e);
        }
        if (op == Op.WRITE_CONDITIONAL && !failedBeforeSending(e)) {
            return new ReplicaOutcomeUnknownException(where + ": the request may or may not have been applied ("
                    + rootCause(e) + "); read the blob back to find out", e);
        }
        return new ReplicaTransientException(where + " failed: " + rootCause(e), e);
    }

    /**
     * For a response without {@code x-ms-request-id}, which the Blob service and Azurite send on every answer: who
     * answered instead (a proxy, load balancer or gateway in front of the endpoint), as its {@code Server} header and
     * content type tell; else "".
     */
    static String notFromTheService(HttpResponseException e) {
        if (e.getResponse() == null || e.getResponse().getHeaderValue("x-ms-request-id") != null) {
            return "";
        }
        java.util.List<String> what = new java.util.ArrayList<>();
        String server = e.getResponse().getHeaderValue("Server");
        if (server != null) {
            what.add("Server '" + shortText(server) + "'");
        }
        String type = e.getResponse().getHeaderValue("Content-Type");
        if (type != null) {
            what.add(shortText(type));
        }
        return " [not an Azure Storage response" + (what.isEmpty() ? "" : ": " + String.join(", ", what))
                + "; a proxy, load balancer or gateway between this machine and the endpoint may have answered, or"
                + " the endpoint is not Azure Blob Storage]";
    }

    /**
     * Scheme, host, port and (for a path-style endpoint such as Azurite's) the account segment of the refused request;
     * never the rest of its path or its query, which can hold a SAS signature.
     */
    static String accountOf(HttpResponseException e) {
        if (e.getResponse() == null || e.getResponse().getRequest() == null) {
            return "(unknown)";
        }
        java.net.URL url = e.getResponse().getRequest().getUrl();
        String base = url.getProtocol() + "://" + url.getHost() + (url.getPort() < 0 ? "" : ":" + url.getPort());
        String path = url.getPath() == null ? "" : url.getPath();
        boolean pathStyle = !url.getHost().contains(".blob.");
        String first = path.startsWith("/") && path.length() > 1 ? path.substring(1).split("/", 2)[0] : "";
        return "'" + base + (pathStyle && !first.isEmpty() ? "/" + shortText(first) : "") + "'"
                + (pathStyle && !first.isEmpty() ? " (account '" + shortText(first) + "')" : "");
    }

    private static String shortText(String v) {
        String t = v.replaceAll("[^A-Za-z0-9 .,:;/()_+=-]", "?");
        return t.length() > 60 ? t.substring(0, 60) + "..." : t;
    }

    /**
     * How far this machine's clock is from the service's when a 403 comes with a {@code Date} header more than 15
     * minutes off (Azure's allowance for x-ms-date), else null (a real refusal of the key or role).
     */
    static String clockSkew(HttpResponseException e) {
        String date = e.getResponse() == null ? null : e.getResponse().getHeaderValue("Date");
        if (date == null) {
            return null;
        }
        java.time.Instant service;
        try {
            service = java.time.ZonedDateTime.parse(date, java.time.format.DateTimeFormatter.RFC_1123_DATE_TIME)
                    .toInstant();
        } catch (java.time.format.DateTimeParseException notADate) {
            return null;
        }
        java.time.Instant local = java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
        java.time.Duration skew = java.time.Duration.between(local, service);
        if (skew.abs().compareTo(java.time.Duration.ofMinutes(15)) <= 0) {
            return null;
        }
        long minutes = (skew.abs().getSeconds() + 30) / 60; // the Date header has whole seconds
        String size = minutes >= 60 ? (minutes / 60) + " h " + (minutes % 60) + " min" : minutes + " min";
        return "this machine's clock is about " + size + (skew.isNegative() ? " ahead of" : " behind") + " the service's"
                + " (its Date header said " + service + " when this machine's clock read " + local + ")";
    }

    private static UnreachableEndpointPolicy.Unreachable unreachable(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof UnreachableEndpointPolicy.Unreachable u) {
                return u;
            }
            for (Throwable s : t.getSuppressed()) {
                if (s instanceof UnreachableEndpointPolicy.Unreachable u) {
                    return u;
                }
            }
        }
        return null;
    }

    private static <T extends Throwable> T causeOf(Throwable e, Class<T> type) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
            for (Throwable s : t.getSuppressed()) {
                if (type.isInstance(s)) {
                    return type.cast(s);
                }
            }
        }
        return null;
    }

    private static String rootCause(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getClass().getSimpleName();
    }

    private static boolean failedBeforeSending(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ConnectException || t instanceof UnknownHostException || t instanceof NoRouteToHostException) {
                return true;
            }
        }
        return false;
    }
}
