package dev.ltx4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ltx4j.replica.s3.S3ProxyServer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code compact}, {@code retain} and {@code ltx ls} on an S3 replica (in-process S3Proxy) written by our engine:
 * the same checks as on a file replica. The CLI runs in this JVM, so the credentials come from the AWS SDK's
 * system properties (the default chain), as they would from the environment.
 */
@ExtendWith(S3ProxyServer.class)
class CompactOverS3Test {
    private static S3ProxyServer.Endpoint s3;

    @TempDir
    Path tmp;

    @BeforeAll
    static void credentials(S3ProxyServer.Endpoint endpoint) {
        s3 = endpoint;
        System.setProperty("aws.accessKeyId", endpoint.accessKey());
        System.setProperty("aws.secretAccessKey", endpoint.secretKey());
    }

    @AfterAll
    static void clearCredentials() {
        System.clearProperty("aws.accessKeyId");
        System.clearProperty("aws.secretAccessKey");
    }

    @Test
    void compactAndRetainOverS3() throws Exception {
        String url = "s3://" + S3ProxyServer.BUCKET + "/compact-cli/db?endpoint=" + s3.uri()
                + "&region=us-east-1&forcePathStyle=true";
        CompactRetainCommandTest.writeWithEngine(url, Files.createDirectories(tmp.resolve("writer")), 8);
        CompactRetainCommandTest test = new CompactRetainCommandTest();
        test.tmp = tmp;
        test.compactThenRetainKeepsEveryRetainedState(url);
        CliRun ls = CliRun.of("ltx", "ls", url, "--summary", "--json");
        assertThat(ls.exitCode()).as(ls.err()).isZero();
        assertThat(ls.out()).contains("\"level\":9");
        assertThat(ls.out()).doesNotContain(s3.secretKey());
    }
}
