package dev.ltx4j.replica;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.regex.Pattern;

/** The redaction behind {@link ReplicaUrl#redact(String)}; works on any string, parseable or not. */
final class UrlRedaction {
    static final String MASK = "***";
    /** Query keys whose values are secrets (SAS signatures, presigned-URL fields, keys, passwords, tokens). */
    private static final Pattern SECRET_KEY = Pattern.compile(
            "(?i).*(key|secret|token|sig|pass|pwd|sas|credential|auth|session|x-amz-).*");

    private UrlRedaction() {}

    static String redact(String url) {
        if (url == null) {
            return null;
        }
        String s = url;
        int hash = s.indexOf('#');
        String fragment = "";
        if (hash >= 0) {
            s = s.substring(0, hash);
            fragment = "#" + MASK;
        }
        int q = s.indexOf('?');
        String base = q < 0 ? s : s.substring(0, q);
        String query = q < 0 ? null : s.substring(q + 1);
        int userEnd = userInfoEnd(base);
        if (userEnd >= 0) {
            int start = authorityStart(base);
            base = base.substring(0, start) + MASK + base.substring(userEnd);
        }
        return query == null ? base + fragment : base + "?" + redactQuery(query) + fragment;
    }

    /**
     * Index of the {@code @} (or {@code %40}) that ends the user info of {@code url}, or -1 when it has none. Pasted
     * credentials are often not percent-encoded and AWS secrets contain {@code /}, so, erring on the safe side, the
     * user info is everything from the authority up to the last {@code @} before the query, unless that stretch is
     * an absolute path without a {@code :} (an {@code @} in a file name, as in {@code file:///srv/a@b}). Without a
     * {@code ://} the text starts at the beginning, so {@code KEY:SECRET@bucket} typed without a scheme is caught.
     */
    static int userInfoEnd(String url) {
        int cut = url.length();
        for (char c : new char[] {'?', '#'}) {
            int i = url.indexOf(c);
            if (i >= 0 && i < cut) {
                cut = i;
            }
        }
        String base = url.substring(0, cut);
        int start = authorityStart(base);
        String rest = base.substring(start);
        int at = Math.max(rest.lastIndexOf('@'), rest.toLowerCase(Locale.ROOT).lastIndexOf("%40"));
        if (at < 0) {
            return -1;
        }
        String user = rest.substring(0, at);
        boolean pathOnly = user.startsWith("/") && !user.contains(":") && !user.toLowerCase(Locale.ROOT).contains("%3a");
        return pathOnly ? -1 : start + at;
    }

    private static int authorityStart(String base) {
        int sep = base.indexOf("://");
        return sep < 0 ? 0 : sep + 3;
    }

    private static String redactQuery(String query) {
        StringBuilder out = new StringBuilder();
        for (String pair : query.split("&", -1)) {
            if (out.length() > 0) {
                out.append('&');
            }
            int eq = pair.indexOf('=');
            String rawKey = eq < 0 ? pair : pair.substring(0, eq);
            String key = decodeOrNull(rawKey);
            if (key == null || SECRET_KEY.matcher(key).matches()) {
                out.append(key == null ? MASK : rawKey).append(eq < 0 ? "" : "=" + MASK);
                continue;
            }
            out.append(rawKey);
            if (eq < 0) {
                continue;
            }
            String value = decodeOrNull(pair.substring(eq + 1));
            out.append('=');
            if (value == null) {
                out.append(MASK);
            } else if (value.contains("://")) {
                out.append(redact(value)); // an endpoint or other nested URL: redact its own parts
            } else if (value.contains("@")) {
                out.append(MASK);
            } else {
                out.append(pair.substring(eq + 1));
            }
        }
        return out.toString();
    }

    private static String decodeOrNull(String s) {
        try {
            return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
