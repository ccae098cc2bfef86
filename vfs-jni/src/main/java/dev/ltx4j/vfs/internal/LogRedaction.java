package dev.ltx4j.vfs.internal;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Masks credentials in the lines {@link HostLogProvider} writes, whatever logger produced them: ltx4j's messages
 * carry none and other libraries are held to WARN, so this is the last guard, not the first (docs/credentials.md,
 * "Logs"). It masks the values of the credential variables the backends read, and whatever follows a name that
 * introduces a credential in a header, URL or connection string: the AWS session token and signatures, an Azure SAS
 * signature, account key, SharedKey signature or bearer token.
 */
final class LogRedaction {
    static final String MASK = "<redacted>";
    /** The variables whose values are credentials (the S3 and Azure backends read them). */
    static final List<String> SECRET_VARIABLES = List.of("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
            "LITESTREAM_SECRET_ACCESS_KEY", "LITESTREAM_AZURE_ACCOUNT_KEY", "LITESTREAM_AZURE_SAS_TOKEN",
            "AZURE_STORAGE_CONNECTION_STRING", "AZURE_CLIENT_SECRET");
    /** Shorter values are not masked as literals (docs/credentials.md, "Logs"). */
    static final int MIN_LITERAL = 4;
    private static final String VALUE = "[^\\s,;&\"'\\]\\\\)}]+";
    private static final List<Pattern> NAMED = List.of(
            Pattern.compile("(?i)(x-amz-security-token[\"']?\\s*[:=]\\s*[\"']?)" + VALUE),
            Pattern.compile("(?i)((?:x-amz-)?signature=)" + VALUE),
            Pattern.compile("(?i)([?&]sig=)" + VALUE),
            Pattern.compile("(?i)((?:account_?key|sharedaccesssignature|client_?secret)\\s*[=:]\\s*)" + VALUE),
            Pattern.compile("(?i)(sharedkey(?:lite)?\\s+[^:\\s]+:)" + VALUE),
            Pattern.compile("(?i)(bearer\\s+)[A-Za-z0-9._~+/=-]{8,}"));

    private final List<String> literals;

    LogRedaction(Map<String, String> environment) {
        List<String> values = new ArrayList<>();
        for (String name : SECRET_VARIABLES) {
            String v = environment.get(name);
            if (v == null || v.strip().length() < MIN_LITERAL) {
                continue; // a value this short would mask parts of ordinary words; the names above catch it in context
            }
            // A SAS alone ends its signature at '&', one inside a connection string at ';'.
            Matcher sig = Pattern.compile("(?:^|[?&;])sig=([^&;]+)").matcher(v);
            if (sig.find()) { // a SAS: its signature, as sent (URL-encoded) and decoded; its expiry is worth seeing
                values.add(sig.group(1));
                values.add(URLDecoder.decode(sig.group(1), StandardCharsets.UTF_8));
            } else {
                values.add(v.strip());
            }
        }
        values.sort(Comparator.comparingInt(String::length).reversed()); // a longer value first: no partial leftovers
        this.literals = List.copyOf(values);
    }

    static LogRedaction fromEnvironment() {
        return new LogRedaction(System.getenv());
    }

    String apply(String line) {
        String out = line;
        for (String v : literals) {
            out = out.replace(v, MASK);
        }
        for (Pattern p : NAMED) {
            out = p.matcher(out).replaceAll(m -> Matcher.quoteReplacement(m.group(1) + MASK));
        }
        return out;
    }
}
