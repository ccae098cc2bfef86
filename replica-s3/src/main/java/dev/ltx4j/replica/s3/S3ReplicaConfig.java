package dev.ltx4j.replica.s3;

import dev.ltx4j.replica.ReplicaTimeouts;
import dev.ltx4j.replica.ReplicaUrl;
import java.net.URI;
import java.util.Optional;

/**
 * Where and how an S3 replica is reached; built from a replica URL by {@link S3UrlParser}. Holds no secrets.
 *
 * @param bucket bucket name, or an access point ARN ({@code arn:aws:s3:REGION:ACCOUNT:accesspoint/NAME})
 * @param path replica path inside the bucket, normalised exactly as Litestream does it: {@code "."} when the URL
 *     has no path, {@code ""} for a bare {@code /}; keys are {@code path + "/" + %04x level + "/" + file}
 * @param region signing region
 * @param endpoint custom endpoint (S3-compatible services), empty for AWS itself
 * @param forcePathStyle path-style addressing ({@code http://host/bucket/key})
 * @param skipVerify trust any TLS certificate (self-signed test endpoints only)
 * @param partSize bodies of at least this many bytes go up as multipart uploads
 * @param concurrency parallel HEAD requests when listing with metadata
 * @param storageClass storage class for uploads, empty for the bucket default
 * @param sseKmsKeyId KMS key for server-side encryption of uploads, empty for none
 * @param requireContentMd5 send {@code Content-MD5} on DeleteObjects, which several S3-compatible servers demand
 * @param timeouts connect and per-request timeouts
 */
public record S3ReplicaConfig(
        String bucket,
        String path,
        String region,
        Optional<URI> endpoint,
        boolean forcePathStyle,
        boolean skipVerify,
        long partSize,
        int concurrency,
        Optional<String> storageClass,
        Optional<String> sseKmsKeyId,
        boolean requireContentMd5,
        ReplicaTimeouts timeouts) {

    /** Smallest part size S3 accepts, also Litestream's default. */
    public static final long MIN_PART_SIZE = 5L * 1024 * 1024;
    public static final int DEFAULT_CONCURRENCY = 16;

    /**
     * The replica's canonical identity ({@link dev.ltx4j.replica.ReplicaClientProvider#canonicalIdentity}):
     * {@code s3://BUCKET/PATH}, plus {@code ?endpoint=SCHEME://HOST[:PORT][/PATH]} for a custom endpoint (scheme and
     * host lower case, default port and trailing slash dropped, no user info or query). The path is the key prefix
     * exactly as the client uses it ({@code "."} and {@code ""} are different prefixes). The region is left out:
     * on AWS a bucket name is global (any region's spelling reaches the same bucket), and a custom endpoint names its
     * store itself. Addressing style, timeouts, part size, storage class and encryption do not select objects.
     */
    public String canonicalIdentity() {
        return "s3://" + bucket + "/" + path + endpoint.map(e -> "?endpoint=" + canonicalEndpoint(e)).orElse("");
    }

    /** {@code scheme://host[:port][/path]}: lower-case scheme and host, no default port, no trailing slash. */
    static String canonicalEndpoint(URI e) {
        String scheme = e.getScheme().toLowerCase(java.util.Locale.ROOT);
        int port = e.getPort();
        boolean defaultPort = port < 0 || (scheme.equals("http") && port == 80) || (scheme.equals("https") && port == 443);
        String path = e.getRawPath() == null ? "" : e.getRawPath().replaceAll("/+$", "");
        return scheme + "://" + e.getHost().toLowerCase(java.util.Locale.ROOT) + (defaultPort ? "" : ":" + port) + path;
    }

    /** The endpoint requests go to, redacted, for messages; AWS's regional endpoint when none is configured. */
    public String endpointLabel() {
        return endpoint.map(e -> ReplicaUrl.redact(e.toString()))
                .orElse("https://s3." + region + ".amazonaws.com");
    }

    /** The replica described for logs and errors: bucket, path and endpoint, never credentials. */
    public String describe() {
        return "s3://" + bucket + "/" + path + endpoint.map(e -> " (endpoint " + ReplicaUrl.redact(e.toString()) + ")").orElse("");
    }

    /** {@link #describe()}: the endpoint redacted (a record's own toString would print it verbatim). */
    @Override
    public String toString() {
        return describe() + " [" + timeouts + "]";
    }
}
