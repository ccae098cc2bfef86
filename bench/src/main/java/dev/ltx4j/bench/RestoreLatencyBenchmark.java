package dev.ltx4j.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code ltx4j restore} against a store with a round trip per request: an in-process S3Proxy (in-memory) behind
 * {@link CountingHttpProxy} that waits {@code --latency-ms} before forwarding each request and counts what the store
 * sees. Two replicas of {@link ReplicaLifetimeBenchmark}'s shape: {@code raw}, a snapshot and {@code --files - 1}
 * one-page level-0 files never compacted, and {@code compacted}, the same after levels 1-3 and a level-9 snapshot.
 * Each CLI jar given ({@code --cli name=path}, e.g. the previous main's and this tree's) restores each replica in its
 * own JVM, the jars alternating, {@code --runs} times; every restored file is checked byte for byte. Printed per
 * replica and jar: wall seconds of the process, median (min-max), and the requests the store saw per restore.
 *
 * <p>Run: {@code java -cp bench/target/benchmarks.jar dev.ltx4j.bench.RestoreLatencyBenchmark --files 3000
 * --latency-ms 30 --runs 5 --cli base=/work/wt/base/cli/target/ltx4j-cli.jar --cli new=cli/target/ltx4j-cli.jar}
 */
public final class RestoreLatencyBenchmark {
    private int files = 3000;
    private long latencyMillis = 30;
    private int runs = 5;
    private final Map<String, Path> clis = new LinkedHashMap<>();

    public static void main(String[] args) throws Exception {
        RestoreLatencyBenchmark b = new RestoreLatencyBenchmark();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--files" -> b.files = Integer.parseInt(args[++i]);
                case "--latency-ms" -> b.latencyMillis = Long.parseLong(args[++i]);
                case "--runs" -> b.runs = Integer.parseInt(args[++i]);
                case "--cli" -> {
                    String[] kv = args[++i].split("=", 2);
                    b.clis.put(kv[0], Path.of(kv[1]));
                }
                default -> throw new IllegalArgumentException("unknown argument " + args[i]
                        + "; use --files N --latency-ms N --runs N --cli name=ltx4j-cli.jar [--cli ...]");
            }
        }
        if (b.clis.isEmpty()) {
            throw new IllegalArgumentException("give at least one --cli name=path/to/ltx4j-cli.jar");
        }
        b.run();
        System.exit(0); // S3Proxy's threads are not daemons
    }

    private record Run(double seconds, Map<String, Integer> requests) {}

    private void run() throws Exception {
        ReplicaLifetimeBenchmark life = new ReplicaLifetimeBenchmark();
        life.syncs = files;
        life.work = Files.createTempDirectory("ltx4j-restore-latency-");
        AutoCloseable s3 = life.startProxy();
        try (CountingHttpProxy http = new CountingHttpProxy(life.endpoint, latencyMillis)) {
            life.pages = life.basePages();
            byte[] expected = life.expectedDatabase();
            Instant now = Instant.now();
            life.generate("raw", now);
            life.generate("lifetime", now);
            life.compact(life.url("lifetime"));
            System.out.printf("RestoreLatencyBenchmark: %d files, %d ms per request, %d runs, JDK %s, load average at"
                    + " start %s%n", files, latencyMillis, runs, Runtime.version(), ReplicaLifetimeBenchmark.loadAverage());
            Map<String, List<Run>> results = new LinkedHashMap<>();
            for (String state : List.of("raw", "compacted")) {
                String url = "s3://" + ReplicaLifetimeBenchmark.BUCKET + "/" + (state.equals("raw") ? "raw" : "lifetime")
                        + "?endpoint=" + http.uri() + "&region=us-east-1&forcePathStyle=true";
                for (int r = 1; r <= runs; r++) {
                    for (Map.Entry<String, Path> cli : clis.entrySet()) {
                        http.drain();
                        Run one = restore(cli.getValue(), url, life.work.resolve(state + "-" + cli.getKey() + "-" + r
                                + ".db"), expected);
                        Map<String, Integer> seen = new TreeMap<>();
                        for (CountingHttpProxy.Exchange e : http.drain()) {
                            seen.merge(kind(e), 1, Integer::sum);
                        }
                        one = new Run(one.seconds(), seen);
                        results.computeIfAbsent(state + "|" + cli.getKey(), k -> new ArrayList<>()).add(one);
                        System.out.printf("%s %s run %d: %.2f s, %s, load %s%n", state, cli.getKey(), r, one.seconds(),
                                seen, ReplicaLifetimeBenchmark.loadAverage());
                    }
                }
            }
            System.out.printf("%n| replica | CLI | wall s, median (min-max) | requests per restore |%n|---|---|---:|---|%n");
            for (Map.Entry<String, List<Run>> e : results.entrySet()) {
                String[] k = e.getKey().split("\\|");
                double[] s = e.getValue().stream().mapToDouble(Run::seconds).sorted().toArray();
                List<Map<String, Integer>> reqs = e.getValue().stream().map(Run::requests).distinct().toList();
                System.out.printf("| %s | %s | %.2f (%.2f-%.2f) | %s |%n", k[0], k[1], s[s.length / 2], s[0],
                        s[s.length - 1], reqs.size() == 1 ? reqs.get(0) : reqs);
            }
            System.out.printf("load average at end %s%n", ReplicaLifetimeBenchmark.loadAverage());
        } finally {
            s3.close();
        }
    }

    private static String kind(CountingHttpProxy.Exchange e) {
        return e.method().equals("GET") && e.target().contains("list-type=") ? "LIST" : e.method();
    }

    /** One restore in its own JVM; the output must be the expected database. */
    private static Run restore(Path jar, String url, Path out, byte[] expected) throws Exception {
        Path log = Files.createTempFile("restore-latency-", ".log");
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", jar.toString(), "restore", url, "-o", out.toString());
        pb.environment().put("AWS_ACCESS_KEY_ID", ReplicaLifetimeBenchmark.ACCESS);
        pb.environment().put("AWS_SECRET_ACCESS_KEY", ReplicaLifetimeBenchmark.SECRET);
        pb.redirectErrorStream(true).redirectOutput(log.toFile());
        long t0 = System.nanoTime();
        int rc = pb.start().waitFor();
        double seconds = (System.nanoTime() - t0) / 1e9;
        if (rc != 0 || !Arrays.equals(Files.readAllBytes(out), expected)) {
            throw new IOException("restore by " + jar + " of " + url.substring(0, url.indexOf('?')) + " failed (exit "
                    + rc + ", or a different database): " + Files.readString(log));
        }
        Files.delete(out);
        Files.delete(log);
        return new Run(seconds, Map.of());
    }
}
