package dev.ltx4j.replica.s3;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Why the AWS SDK default chain found no credentials, said briefly. The chain's own message starts with the
 * {@code toString} of every provider, the profile provider's including a dump of the whole profile file, so with a
 * few profiles the reason that matters (the one source that is configured and failed) came after 1,500 characters and
 * was cut off; and a failing {@code credential_process} has an empty reason there. This keeps one entry per source
 * that is configured (the sources that are simply not set up are summed up in one line) and drops the dumps. It only
 * rearranges the chain's message, which carries no secret (the SDK keeps the process output and the credentials in
 * the causes, which are not read here).
 */
final class S3ChainReason {
    private static final String CHAIN_PREFIX = "Unable to load credentials from any of the providers in the chain";
    /** Start of one entry of the chain's reason list: a provider's toString. */
    private static final Pattern ENTRY = Pattern.compile("(?:^|, )([A-Z][A-Za-z0-9]*CredentialsProvider)\\(");
    private static final Pattern PROFILE_NAME = Pattern.compile("profileName=([^,)]*)");
    /** What providers say when their source is not set up at all; anything else is a configured source that failed. */
    private static final List<String> NOT_CONFIGURED = List.of("Unable to load credentials from system settings",
            "AWS_WEB_IDENTITY_TOKEN_FILE or the javaproperty", "neither AWS_CONTAINER_CREDENTIALS_FULL_URI",
            "IMDS credentials have been disabled");
    private static final int MAX = 1500;

    private S3ChainReason() {}

    static String of(String message) {
        String m = String.valueOf(message);
        int list = m.indexOf(") : [");
        if (!m.startsWith(CHAIN_PREFIX) || list < 0 || !m.endsWith("]")) {
            return cut(m);
        }
        String reasons = m.substring(list + ") : [".length(), m.length() - 1);
        List<String> failed = new ArrayList<>();
        List<String> absent = new ArrayList<>();
        Matcher entry = ENTRY.matcher(reasons);
        int at = 0;
        while (at < reasons.length() && entry.find(at)) {
            String provider = entry.group(1);
            int open = entry.end() - 1;
            int close = matching(reasons, open);
            if (close < 0) {
                return cut(m);
            }
            String self = reasons.substring(open + 1, close);
            int next = entry.find(close) ? entry.start() : reasons.length();
            String reason = reasons.substring(Math.min(close + 1, next), next).replaceFirst("^:\\s*", "").trim();
            at = next;
            String source = source(provider, self);
            if (NOT_CONFIGURED.stream().anyMatch(reason::contains)) {
                absent.add(source);
            } else {
                String said = reason.isEmpty() ? "failed and the AWS SDK gives no reason" : withoutDumps(reason);
                // The process's exit value and output stay in the causes: its output can be the credentials.
                boolean process = provider.equals("ProfileCredentialsProvider")
                        && (reason.isEmpty() || reason.contains("process-based"));
                failed.add(source + ": " + said + (process ? " (its credential_process exited non-zero or printed no"
                        + " valid credentials JSON: run it by hand)" : ""));
            }
        }
        if (failed.isEmpty() && absent.isEmpty()) {
            return cut(m);
        }
        StringBuilder b = new StringBuilder();
        b.append(failed.isEmpty() ? "no source is configured" : String.join("; ", failed));
        if (!absent.isEmpty()) {
            b.append(failed.isEmpty() ? " (" : " (not configured: ").append(String.join(", ", absent)).append(')');
        }
        return cut(b.toString());
    }

    private static String source(String provider, String self) {
        return switch (provider) {
            case "SystemPropertyCredentialsProvider" -> "system properties";
            case "EnvironmentVariableCredentialsProvider" -> "environment";
            case "WebIdentityTokenFileCredentialsProvider" -> "web identity";
            case "ContainerCredentialsProvider" -> "container credentials endpoint";
            case "InstanceProfileCredentialsProvider" -> "instance metadata";
            case "ProfileCredentialsProvider" -> {
                Matcher name = PROFILE_NAME.matcher(self);
                yield name.find() ? "profile '" + name.group(1) + "'" : "profile";
            }
            default -> provider.replace("CredentialsProvider", "").toLowerCase(Locale.ROOT);
        };
    }

    /** Drops {@code : ProfileFile(...)} (every profile of the file) from a provider's reason. */
    private static String withoutDumps(String reason) {
        int dump = reason.indexOf("ProfileFile(");
        if (dump < 0) {
            return reason;
        }
        int close = matching(reason, dump + "ProfileFile".length());
        String before = reason.substring(0, dump).replaceFirst(":\\s*$", "");
        return close < 0 ? before : before + reason.substring(close + 1);
    }

    /** Index of the parenthesis closing the one at {@code open}, or -1. */
    private static int matching(String s, int open) {
        int depth = 0;
        for (int i = open; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '(') {
                depth++;
            } else if (c == ')' && --depth == 0) {
                return i;
            }
        }
        return -1;
    }

    private static String cut(String m) {
        return m.length() > MAX ? m.substring(0, MAX) + "..." : m;
    }
}
