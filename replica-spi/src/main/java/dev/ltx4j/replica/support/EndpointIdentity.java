package dev.ltx4j.replica.support;

import java.net.URI;
import java.util.Locale;

/**
 * The part of a replica's canonical identity a custom endpoint contributes (docs/engine-identity.md):
 * {@code scheme://host[:port][/path]} with scheme and host lower-cased, the default port and trailing slashes dropped,
 * no user info or query, and the loopback spellings {@code localhost}, {@code 127.0.0.1} and {@code [::1]} as one
 * host, {@code 127.0.0.1}: they reach the one server a test or a sidecar runs on this machine, so two opens spelling
 * it differently must meet the same engine (two writers on one replica in one process would conflict). Other hosts
 * are taken as spelled: a name is never resolved (no request, no DNS lookup while computing an identity).
 */
public final class EndpointIdentity {
    private EndpointIdentity() {}

    public static String canonical(URI endpoint) {
        String scheme = endpoint.getScheme().toLowerCase(Locale.ROOT);
        int port = endpoint.getPort();
        boolean defaultPort = port < 0 || (scheme.equals("http") && port == 80) || (scheme.equals("https") && port == 443);
        String path = endpoint.getRawPath() == null ? "" : endpoint.getRawPath().replaceAll("/+$", "");
        return scheme + "://" + host(endpoint.getHost()) + (defaultPort ? "" : ":" + port) + path;
    }

    /** The host lower-cased, loopback spellings as {@code 127.0.0.1}. */
    static String host(String host) {
        String h = host.toLowerCase(Locale.ROOT);
        if (h.endsWith(".")) {
            h = h.substring(0, h.length() - 1); // "localhost." is the same name, fully qualified
        }
        return switch (h) {
            case "localhost", "127.0.0.1", "[::1]", "::1", "[0:0:0:0:0:0:0:1]", "0:0:0:0:0:0:0:1" -> "127.0.0.1";
            default -> h;
        };
    }
}
