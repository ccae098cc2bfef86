package dev.ltx4j.replica;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A replica URL split into its parts, without scheme-specific interpretation: {@code scheme://authority/path?query}.
 * The authority is kept raw (it may be a bucket, {@code account@container}, {@code host:port}, or an S3 access
 * point ARN containing colons); providers interpret it.
 *
 * @param original the URL as given, for error messages (query values are not secret-free: do not log it
 *     verbatim when it may carry keys; use {@link #redacted()})
 */
public record ReplicaUrl(String original, String scheme, String authority, String path, Map<String, String> query) {
    private static final Pattern HAS_SCHEME = Pattern.compile("^\\w+://.*", Pattern.DOTALL);
    /**
     * {@code file:/path} without an authority, as Go's url.Parse (so Litestream) accepts it. Only for {@code file}:
     * for other schemes the first segment would be read as a path, where a pasted {@code s3:/KEY:SECRET@bucket} would
     * escape the user-info redaction.
     */
    private static final Pattern NO_AUTHORITY = Pattern.compile("^(?i)file:/(?!/).*", Pattern.DOTALL);

    /** A scheme this project serves, without the {@code //}: its name is safe to show (a key ID never is). */
    private static final Pattern KNOWN_WITHOUT_SLASHES = Pattern.compile("^(?i)(file|s3|abs):(?!//).*",
            Pattern.DOTALL);

    public static ReplicaUrl parse(String url) throws ReplicaPermanentException {
        if (url == null || url.isBlank()) {
            throw new ReplicaPermanentException("replica URL required: set LITESTREAM_REPLICA_URL or pass a URL");
        }
        String given = url;
        if (NO_AUTHORITY.matcher(url).matches()) {
            url = url.replaceFirst(":/", ":///");
        }
        if (!HAS_SCHEME.matcher(url).matches()) {
            java.util.regex.Matcher known = KNOWN_WITHOUT_SLASHES.matcher(url);
            if (known.matches()) { // a typo of a scheme we serve, not a missing one (field probe round 8)
                String scheme = known.group(1).toLowerCase(Locale.ROOT);
                throw new ReplicaPermanentException("replica url needs // after " + scheme + ": " + redact(given)
                        + " (expected " + (scheme.equals("file") ? "file:///absolute/path" : scheme.equals("s3")
                        ? "s3://bucket/path" : "abs://container/path") + ")");
            }
            throw new ReplicaPermanentException("replica url scheme required: " + redact(given)
                    + " (expected e.g. file:///path, s3://bucket/path or abs://container/path)");
        }
        int sep = url.indexOf("://");
        String scheme = url.substring(0, sep).toLowerCase(Locale.ROOT);
        String rest = url.substring(sep + 3);
        int fragment = rest.indexOf('#');
        if (fragment >= 0) {
            rest = rest.substring(0, fragment); // ignored, as Go's url.Parse (and so Litestream) ignores it
        }
        Map<String, String> query = new LinkedHashMap<>();
        int q = rest.indexOf('?');
        if (q >= 0) {
            for (String pair : rest.substring(q + 1).split("&")) {
                if (pair.isEmpty()) {
                    continue;
                }
                int eq = pair.indexOf('=');
                String key = decode(eq < 0 ? pair : pair.substring(0, eq), given);
                String value = eq < 0 ? "" : decode(pair.substring(eq + 1), given);
                query.putIfAbsent(key, value);
            }
            rest = rest.substring(0, q);
        }
        int slash = rest.indexOf('/');
        String authority = slash < 0 ? rest : rest.substring(0, slash);
        String path = slash < 0 ? "" : rest.substring(slash);
        return new ReplicaUrl(given, scheme, decode(authority, given), decode(path, given),
                Collections.unmodifiableMap(query));
    }

    private static String decode(String s, String url) throws ReplicaPermanentException {
        try {
            return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            // The bad part itself is not shown: it may be (part of) a credential.
            throw new ReplicaPermanentException("invalid percent-encoding in replica URL " + redact(url), e);
        }
    }

    public Optional<String> param(String... names) {
        for (String n : names) {
            String v = query.get(n);
            if (v != null) {
                return Optional.of(v);
            }
        }
        return Optional.empty();
    }

    /**
     * A lexical normal form, the default {@link ReplicaClientProvider#canonicalIdentity}: the scheme, the authority
     * (user info masked: credentials do not select objects), the path cleaned as Go's {@code path.Clean} does
     * ({@code ./} and {@code ..} segments, doubled and trailing slashes), and the query sorted by name with
     * secret-looking values masked, as {@link #redact(String)} does.
     */
    public String genericIdentity() {
        String cleaned = path.isEmpty() ? "" : dev.ltx4j.replica.support.GoPath.clean(path);
        StringBuilder b = new StringBuilder(scheme).append("://").append(authority).append(cleaned);
        String sep = "?";
        for (Map.Entry<String, String> e : new java.util.TreeMap<>(query).entrySet()) {
            b.append(sep).append(e.getKey()).append('=').append(e.getValue());
            sep = "&";
        }
        return redact(b.toString());
    }

    /** The URL as {@link #redact(String)} shows it. */
    public String redacted() {
        return redact(original);
    }

    /** Whether the URL carries user info ({@code scheme://USER[:PASSWORD]@host}), plainly or percent-encoded. */
    public boolean hasUserInfo() {
        return hasUserInfo(original);
    }

    /** Whether {@code url} carries user info; see {@link #redact(String)} for what counts as user info. */
    public static boolean hasUserInfo(String url) {
        return url != null && UrlRedaction.userInfoEnd(url) >= 0;
    }

    /**
     * A URL (or any text that may be one, even malformed) made safe for messages, logs and {@code toString}: user
     * info is replaced entirely ({@code s3://***@bucket/p}), values of query parameters that look secret ({@code key},
     * {@code secret}, {@code token}, {@code sig}, {@code password}, {@code sas}, {@code credential},
     * {@code X-Amz-*}, ...) become {@code ***}, URL-valued parameters ({@code endpoint=}) are redacted the same way,
     * and a fragment is dropped. Every message of ltx4j that shows a URL goes through this routine.
     */
    public static String redact(String url) {
        return UrlRedaction.redact(url);
    }

    @Override
    public String toString() {
        return redacted();
    }
}
