package dev.ltx4j.replica.s3;

import dev.ltx4j.replica.ReplicaTimeouts;
import dev.ltx4j.replica.ReplicaUrl;
import dev.ltx4j.replica.support.EndpointIdentity;
import java.net.URI;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import software.amazon.awssdk.regions.PartitionMetadata;
import software.amazon.awssdk.regions.Region;

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
 * @param singleWriter the user's promise that this process is the replica's only writer and compactor: skips the
 *     check that the store refuses a second create ({@link S3CreateCheck}), the one case where a store that ignores
 *     {@code If-None-Match} is safe
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
        boolean singleWriter,
        ReplicaTimeouts timeouts) {

    /** Smallest part size S3 accepts, also Litestream's default. */
    public static final long MIN_PART_SIZE = 5L * 1024 * 1024;
    public static final int DEFAULT_CONCURRENCY = 16;

    /** The host of an endpoint that is AWS S3 itself (global, regional, dual-stack or FIPS), its region if it names one. */
    private static final Pattern AWS_ENDPOINT =
            Pattern.compile("^s3(?:[.-]fips)?(?:\\.dualstack)?(?:[.-]([a-z0-9-]+))?\\.amazonaws\\.com(?:\\.cn)?$");

    /**
     * The replica's canonical identity ({@link dev.ltx4j.replica.ReplicaClientProvider#canonicalIdentity}):
     * {@code s3://BUCKET/PATH}, plus {@code ?endpoint=SCHEME://HOST[:PORT][/PATH]} for a custom endpoint
     * ({@link EndpointIdentity}: loopback spellings are one host), or {@code ?partition=P} on AWS outside its commercial
     * partition. The path is the key prefix exactly as the client uses it ({@code "."} and {@code ""} are different
     * prefixes). On AWS a bucket name is unique within its partition, so the region selects no objects there except
     * through its partition: {@code region=eu-west-1} and {@code us-east-1} are one replica, {@code us-gov-west-1}
     * ({@code aws-us-gov}) and {@code cn-north-1} ({@code aws-cn}) are other stores. An endpoint that is AWS S3 itself
     * ({@code https://s3.REGION.amazonaws.com}, dual-stack, FIPS) is AWS, not a custom store. A custom endpoint names
     * its store itself; the region only signs there. Addressing style, timeouts, part size, storage class and
     * encryption do not select objects.
     */
    public String canonicalIdentity() {
        String base = "s3://" + bucket + "/" + path;
        if (endpoint.isPresent()) {
            URI e = endpoint.get();
            Matcher aws = AWS_ENDPOINT.matcher(e.getHost().toLowerCase(Locale.ROOT));
            boolean awsItself = aws.matches() && "https".equalsIgnoreCase(e.getScheme())
                    && (e.getPort() < 0 || e.getPort() == 443)
                    && (e.getRawPath() == null || e.getRawPath().replaceAll("/+$", "").isEmpty());
            if (!awsItself) {
                return base + "?endpoint=" + EndpointIdentity.canonical(e);
            }
            String hostRegion = aws.group(1);
            return base + partitionSuffix(hostRegion != null && !hostRegion.equals("external-1") ? hostRegion : region);
        }
        return base + partitionSuffix(region);
    }

    /** {@code ?partition=P} for a region outside AWS's commercial partition, else nothing. */
    private static String partitionSuffix(String region) {
        String partition;
        try {
            partition = PartitionMetadata.of(Region.of(region)).id();
        } catch (RuntimeException e) {
            partition = "aws";
        }
        return partition == null || partition.equals("aws") ? "" : "?partition=" + partition;
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
