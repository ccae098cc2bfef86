package dev.ltx4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ltx4j.replica.s3.S3ProxyServer;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bench vfs --part jdbc --replica s3://...}: the durable commit with the replica on S3 (in-process S3Proxy)
 * beside plain WAL/FULL. By default a small run that only checks the benchmark works against S3 and counts fsyncs
 * and crossings; {@code -Dltx4j.bench.s3Rounds=5} (and {@code -Dltx4j.bench.s3Quick=true}) makes it the measurement
 * of bench/README.md, printed as MEASURE. Nothing here asserts a timing.
 */
@ExtendWith(S3ProxyServer.class)
class CommitBenchOverS3Test {
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
    void durableCommitsWithTheReplicaOnS3() {
        String url = "s3://" + S3ProxyServer.BUCKET + "/commit-bench?endpoint=" + s3.uri()
                + "&region=us-east-1&forcePathStyle=true";
        String rounds = System.getProperty("ltx4j.bench.s3Rounds", "1");
        CliRun run = Boolean.getBoolean("ltx4j.bench.s3Quick")
                ? CliRun.of("bench", "vfs", "--quick", "--part", "jdbc", "--rounds", rounds, "--replica", url,
                        "--dir", tmp.toString())
                : CliRun.of("bench", "vfs", "--part", "jdbc", "--rounds", rounds, "--replica", url, "--dir",
                        tmp.toString(), "--commits", "60");
        assertThat(run.exitCode()).as(run.err()).isZero();
        for (String line : run.out().split("\n")) System.out.println("MEASURE " + line);
        assertThat(run.out()).contains("ltx4j write mode, durability local").contains("fsyncs/commit")
                .contains("crossings/commit").contains("replicas of the ltx4j variants: s3");
        assertThat(run.out() + run.err()).doesNotContain(s3.secretKey());
    }
}
