package dev.ltx4j.replica.s3;

import dev.ltx4j.conformance.LtxTestFiles;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ltx4j.replica.LtxBody;
import dev.ltx4j.replica.ReplicaEnvironment;
import dev.ltx4j.replica.ReplicaUrl;
import dev.ltx4j.replica.s3.S3ProxyServer.Endpoint;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Prints request latencies against in-process S3Proxy (not a benchmark: JMH in module bench is). The iteration count
 * is small by default; scale with -Dltx4j.latency.iterations=N.
 */
@ExtendWith(S3ProxyServer.class)
class S3LatencyReportTest {

    @Test
    void printLatencies(Endpoint server) throws Exception {
        int n = Integer.getInteger("ltx4j.latency.iterations", 100);
        ReplicaEnvironment env = ReplicaEnvironment.of(Map.of("AWS_ACCESS_KEY_ID", server.accessKey(),
                "AWS_SECRET_ACCESS_KEY", server.secretKey()));
        try (S3ReplicaClient client = S3ReplicaClient.open(S3UrlParser.parse(ReplicaUrl.parse(
                "s3://" + S3ProxyServer.BUCKET + "/latency?endpoint=" + server.uri()), env), env)) {
            long[] create = new long[n];
            long[] read = new long[n];
            long[] page = new long[n];
            long[] list = new long[n];
            for (int i = 0; i < n; i++) {
                long txid = i + 1;
                byte[] body = LtxTestFiles.body(txid, txid, 0, 1024, i);
                long t0 = System.nanoTime();
                client.createFile(0, txid, txid, LtxBody.of(body));
                long t1 = System.nanoTime();
                byte[] back = client.readRange(0, txid, txid, 0, 0);
                long t2 = System.nanoTime();
                client.readRange(0, txid, txid, 100, 512);
                long t3 = System.nanoTime();
                client.listFiles(0, txid, false);
                long t4 = System.nanoTime();
                assertThat(back).isEqualTo(body);
                create[i] = t1 - t0;
                read[i] = t2 - t1;
                page[i] = t3 - t2;
                list[i] = t4 - t3;
            }
            System.out.printf("S3Proxy latency over %d iterations (median / p90 / p99 ms): create 1 KiB %s, read 1 KiB %s,"
                    + " ranged read 512 B %s, list with seek %s%n", n, stats(create), stats(read), stats(page),
                    stats(list));
            client.deleteAll();
        }
    }

    static String stats(long[] nanos) {
        long[] s = nanos.clone();
        Arrays.sort(s);
        return String.format("%.2f / %.2f / %.2f", s[s.length / 2] / 1e6, s[s.length * 9 / 10] / 1e6,
                s[Math.min(s.length - 1, s.length * 99 / 100)] / 1e6);
    }
}
