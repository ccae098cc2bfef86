package dev.ltx4j.replica.s3;

import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.LoggerFactory;

/**
 * The AWS SDK's and Apache HttpClient's loggers that print a request's credentials at DEBUG (field probes, round 6,
 * against S3Proxy with every logger at TRACE; docs/credentials.md): the SigV4 signer logs the canonical request,
 * which carries the session token's value ({@code x-amz-security-token}); the HTTP client's header and wire logs
 * carry that header and the {@code Authorization} signature. No SDK setting turns these off (the Apache client
 * builder takes no connection factory), and a Java application owns its logging configuration, so ltx4j says so
 * once per JVM, at WARN, when one of them is enabled. The secret key itself is never logged.
 */
final class RevealingSdkLogs {
    /** Logger names whose DEBUG output carries credentials (a parent set to DEBUG enables them). */
    static final List<String> LOGGERS = List.of(
            "software.amazon.awssdk.http.auth.aws.internal.signer.DefaultV4RequestSigner",
            "org.apache.hc.client5.http.headers",
            "org.apache.hc.client5.http.wire");
    private static final AtomicBoolean WARNED = new AtomicBoolean();

    private RevealingSdkLogs() {}

    /** Warns once per JVM if any of {@link #LOGGERS} is at DEBUG or below. */
    static void warnIfEnabled() {
        if (WARNED.get()) {
            return;
        }
        List<String> on = LOGGERS.stream().filter(n -> LoggerFactory.getLogger(n).isDebugEnabled()).toList();
        if (!on.isEmpty() && WARNED.compareAndSet(false, true)) {
            LoggerFactory.getLogger(S3ReplicaClient.class).warn("DEBUG logging is on for {}: at DEBUG these print"
                    + " every S3 request's session token (x-amz-security-token) and Authorization signature; set"
                    + " software.amazon.awssdk.http.auth, org.apache.hc.client5.http.headers and"
                    + " org.apache.hc.client5.http.wire to INFO or above (docs/credentials.md)", on);
        }
    }
}
