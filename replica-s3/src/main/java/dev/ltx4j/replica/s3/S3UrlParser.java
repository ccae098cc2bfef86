package dev.ltx4j.replica.s3;

import dev.ltx4j.replica.support.GoPath;
import dev.ltx4j.replica.ReplicaEnvironment;
import dev.ltx4j.replica.ReplicaPermanentException;
import dev.ltx4j.replica.ReplicaTimeouts;
import dev.ltx4j.replica.ReplicaUrl;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns an {@code s3://} replica URL into an {@link S3ReplicaConfig}, following Litestream's factory path:
 * <pre>
 *   s3://BUCKET[/PATH][?QUERY]
 *   s3://arn:aws:s3:REGION:ACCOUNT:accesspoint/NAME[/PATH][?QUERY]
 *   s3://BUCKET.s3[.-]REGION.amazonaws.com[/PATH]       region from the host
 *   s3://BUCKET.REGION.digitaloceanspaces.com[/PATH]    endpoint https://REGION.digitaloceanspaces.com
 *   s3://BUCKET.s3.REGION.backblazeb2.com[/PATH]        endpoint https://s3.REGION.backblazeb2.com, path style
 *   s3://BUCKET.s3.filebase.com[/PATH]                  endpoint https://s3.filebase.com, path style
 *   s3://BUCKET.s3.REGION.scw.cloud[/PATH]              endpoint https://s3.REGION.scw.cloud
 *   s3://BUCKET.HOST:PORT[/PATH]                        endpoint http://HOST:PORT, path style
 * </pre>
 * Query: {@code endpoint}, {@code region}, {@code forcePathStyle|force-path-style}, {@code skipVerify|skip-verify},
 * {@code partSize|part-size}, {@code concurrency}, {@code storageClass|storage-class},
 * {@code sseKmsKeyId|sse-kms-key-id}, {@code requireContentMD5|require-content-md5},
 * {@code single-writer|singleWriter} (skips {@link S3CreateCheck}; only for a replica with one writer), and the
 * {@link ReplicaTimeouts} parameters {@code connect-timeout} and {@code request-timeout}. Other keys are ignored, as in
 * Litestream, except SSE-C keys, which are rejected rather than silently not applied.
 * An endpoint without a scheme gets {@code http://} for loopback, private and {@code .local} hosts, else
 * {@code https://}; an explicit endpoint (query or {@code LITESTREAM_S3_ENDPOINT}) implies path style unless
 * {@code forcePathStyle=false}. Region: query, then host or ARN, then {@code AWS_REGION}/{@code AWS_DEFAULT_REGION},
 * then {@code us-east-1}.
 */
public final class S3UrlParser {
    private static final Pattern AWS_HOST = Pattern.compile("^(.+)\\.s3(?:[.-]([a-z0-9-]+))?\\.amazonaws\\.com$");
    private static final Pattern DO_HOST = Pattern.compile("^(.+)\\.([a-z0-9-]+)\\.digitaloceanspaces\\.com$");
    private static final Pattern B2_HOST = Pattern.compile("^(.+)\\.s3\\.([a-z0-9-]+)\\.backblazeb2\\.com$");
    private static final Pattern FILEBASE_HOST = Pattern.compile("^(.+)\\.s3\\.filebase\\.com$");
    private static final Pattern SCW_HOST = Pattern.compile("^(.+)\\.s3\\.([a-z0-9-]+)\\.scw\\.cloud$");
    private static final Pattern ARN = Pattern.compile("^arn:([a-z-]+):s3:([a-z0-9-]*):([0-9]*):accesspoint$");

    private S3UrlParser() {}

    public static S3ReplicaConfig parse(ReplicaUrl url, ReplicaEnvironment env) throws ReplicaPermanentException {
        if (!url.scheme().equals("s3")) {
            throw new ReplicaPermanentException("not an s3 replica URL: " + url.redacted());
        }
        if (url.hasUserInfo()) {
            // Checked first, so no later message quotes the user info (or calls its ':' a port).
            throw new ReplicaPermanentException("s3: credentials in the replica URL are not supported: "
                    + url.redacted() + " (remove them from the URL and set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY,"
                    + " or LITESTREAM_ACCESS_KEY_ID and LITESTREAM_SECRET_ACCESS_KEY)");
        }
        String host = url.authority();
        if (host.isEmpty()) {
            throw new ReplicaPermanentException("s3: bucket name is required in replica URL " + url.redacted()
                    + " (expected s3://BUCKET/PATH)");
        }
        String urlPath = url.path();
        String bucket;
        String hostRegion = null;
        URI hostEndpoint = null;
        boolean hostPathStyle = false;
        Matcher m;
        if (host.startsWith("arn:")) {
            m = ARN.matcher(host);
            String name = firstSegment(urlPath);
            if (!m.matches() || name.isEmpty()) {
                throw new ReplicaPermanentException("s3: invalid access point ARN in replica URL " + url.redacted()
                        + " (expected s3://arn:aws:s3:REGION:ACCOUNT:accesspoint/NAME/PATH)");
            }
            bucket = host + "/" + name;
            hostRegion = m.group(2).isEmpty() ? null : m.group(2);
            urlPath = urlPath.substring(1 + name.length());
        } else if ((m = AWS_HOST.matcher(host)).matches()) {
            bucket = m.group(1);
            hostRegion = m.group(2);
        } else if ((m = DO_HOST.matcher(host)).matches()) {
            bucket = m.group(1);
            hostEndpoint = URI.create("https://" + m.group(2) + ".digitaloceanspaces.com");
            hostRegion = m.group(2);
        } else if ((m = B2_HOST.matcher(host)).matches()) {
            bucket = m.group(1);
            hostEndpoint = URI.create("https://s3." + m.group(2) + ".backblazeb2.com");
            hostRegion = m.group(2);
            hostPathStyle = true;
        } else if ((m = FILEBASE_HOST.matcher(host)).matches()) {
            bucket = m.group(1);
            hostEndpoint = URI.create("https://s3.filebase.com");
            hostPathStyle = true;
        } else if ((m = SCW_HOST.matcher(host)).matches()) {
            bucket = m.group(1);
            hostEndpoint = URI.create("https://s3." + m.group(2) + ".scw.cloud");
            hostRegion = m.group(2);
        } else if (host.contains(":")) {
            int dot = host.indexOf('.');
            if (dot <= 0 || dot > host.indexOf(':')) {
                throw new ReplicaPermanentException("s3: replica URL host '" + host + "' has a port but no bucket: "
                        + url.redacted() + " (use s3://BUCKET.HOST:PORT/PATH or s3://BUCKET/PATH?endpoint=HOST:PORT)");
            }
            bucket = host.substring(0, dot);
            hostEndpoint = endpointUri("http://" + host.substring(dot + 1), url);
            hostRegion = "us-east-1";
            hostPathStyle = true;
        } else {
            bucket = host;
        }

        boolean derivedEndpoint = hostEndpoint != null;
        String derivedRegion = hostRegion;
        Optional<String> explicitEndpoint = url.param("endpoint").filter(s -> !s.isEmpty())
                .or(() -> derivedEndpoint ? Optional.empty() : env.get("LITESTREAM_S3_ENDPOINT"));
        URI endpoint = hostEndpoint;
        if (explicitEndpoint.isPresent()) {
            endpoint = endpointUri(withDefaultScheme(explicitEndpoint.get()), url);
        }
        Optional<Boolean> pathStyleParam = bool(url, "forcePathStyle", "force-path-style");
        boolean pathStyle = pathStyleParam.orElse(explicitEndpoint.isPresent() || hostPathStyle);

        String region = url.param("region").filter(s -> !s.isEmpty())
                .or(() -> Optional.ofNullable(derivedRegion))
                .or(() -> env.get("AWS_REGION"))
                .or(() -> env.get("AWS_DEFAULT_REGION"))
                .orElse("us-east-1");

        long partSize = positiveLong(url, S3ReplicaConfig.MIN_PART_SIZE, "partSize", "part-size");
        if (partSize < S3ReplicaConfig.MIN_PART_SIZE) {
            throw new ReplicaPermanentException("s3: part size must be at least " + S3ReplicaConfig.MIN_PART_SIZE
                    + " bytes, got " + partSize + " in replica URL " + url.redacted());
        }
        int concurrency = (int) Math.min(256, positiveLong(url, S3ReplicaConfig.DEFAULT_CONCURRENCY, "concurrency"));
        for (String sseC : new String[] {"sseCustomerKey", "sse-customer-key", "sseCustomerAlgorithm",
                "sse-customer-algorithm", "sseCustomerKeyMD5", "sse-customer-key-md5"}) {
            if (url.query().containsKey(sseC)) {
                throw new ReplicaPermanentException("s3: query parameter '" + sseC
                        + "' (SSE-C) is not supported by this client; use sseKmsKeyId or bucket default encryption");
            }
        }
        return new S3ReplicaConfig(
                bucket,
                GoPath.replicaPath(urlPath),
                region,
                Optional.ofNullable(endpoint),
                pathStyle,
                bool(url, "skipVerify", "skip-verify").orElse(false),
                partSize,
                concurrency,
                url.param("storageClass", "storage-class").filter(s -> !s.isEmpty()),
                url.param("sseKmsKeyId", "sse-kms-key-id").filter(s -> !s.isEmpty()),
                bool(url, "requireContentMD5", "require-content-md5").orElse(true),
                bool(url, "single-writer", "singleWriter").orElse(false),
                ReplicaTimeouts.from(url, env));
    }

    private static String firstSegment(String path) {
        if (!path.startsWith("/")) {
            return "";
        }
        int next = path.indexOf('/', 1);
        return next < 0 ? path.substring(1) : path.substring(1, next);
    }

    /** Adds a scheme to a bare {@code host[:port]}: plain HTTP only for hosts that cannot be on the internet. */
    static String withDefaultScheme(String endpoint) {
        if (endpoint.contains("://")) {
            return endpoint;
        }
        String host = endpoint;
        int slash = host.indexOf('/');
        if (slash >= 0) {
            host = host.substring(0, slash);
        }
        if (host.startsWith("[")) {
            host = host.substring(1, Math.max(1, host.indexOf(']')));
        } else if (host.indexOf(':') >= 0) {
            host = host.substring(0, host.indexOf(':'));
        }
        return (isLocalHost(host.toLowerCase(Locale.ROOT)) ? "http://" : "https://") + endpoint;
    }

    private static boolean isLocalHost(String host) {
        if (host.equals("localhost") || host.endsWith(".local") || host.equals("::1")) {
            return true;
        }
        String[] octets = host.split("\\.");
        if (octets.length != 4) {
            return false;
        }
        int[] v = new int[4];
        for (int i = 0; i < 4; i++) {
            if (!octets[i].matches("[0-9]{1,3}")) {
                return false;
            }
            v[i] = Integer.parseInt(octets[i]);
        }
        return v[0] == 127 || v[0] == 10 || (v[0] == 192 && v[1] == 168) || (v[0] == 172 && v[1] >= 16 && v[1] <= 31);
    }

    private static URI endpointUri(String value, ReplicaUrl url) throws ReplicaPermanentException {
        if (ReplicaUrl.hasUserInfo(value)) {
            throw new ReplicaPermanentException("s3: credentials in the endpoint are not supported: '"
                    + ReplicaUrl.redact(value) + "' in replica URL " + url.redacted()
                    + " (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY instead)");
        }
        int sep = value.indexOf("://");
        if (sep > 0) {
            value = value.substring(0, sep).toLowerCase(Locale.ROOT) + value.substring(sep); // HTTP:// is http://
        }
        try {
            URI uri = new URI(value);
            if (uri.getHost() == null || !(uri.getScheme().equals("http") || uri.getScheme().equals("https"))) {
                throw new URISyntaxException(value, "expected http(s)://HOST[:PORT]");
            }
            return uri;
        } catch (URISyntaxException e) {
            throw new ReplicaPermanentException("s3: invalid endpoint '" + ReplicaUrl.redact(value) + "' in replica URL " + url.redacted()
                    + ": " + e.getReason()); // no cause: its message holds the raw (unredacted) endpoint
        }
    }

    /** Go's lenient booleans: true/1/t/yes and false/0/f/no; anything else is false. */
    private static Optional<Boolean> bool(ReplicaUrl url, String... names) {
        return url.param(names).map(v -> switch (v.toLowerCase(Locale.ROOT)) {
            case "true", "1", "t", "yes" -> true;
            default -> false;
        });
    }

    private static long positiveLong(ReplicaUrl url, long fallback, String... names) throws ReplicaPermanentException {
        Optional<String> raw = url.param(names);
        if (raw.isEmpty()) {
            return fallback;
        }
        try {
            long v = Long.parseLong(raw.get());
            if (v > 0) {
                return v;
            }
        } catch (NumberFormatException e) {
            // reported below with the parameter name
        }
        throw new ReplicaPermanentException("s3: invalid value for query parameter " + names[0] + ": '" + raw.get()
                + "' (expected a positive integer) in replica URL " + url.redacted());
    }
}
