package dev.ltx4j.bench;

import dev.ltx4j.ltx.DatabaseChecksum;
import dev.ltx4j.ltx.LtxEncoder;
import dev.ltx4j.ltx.LtxHeader;
import dev.ltx4j.replica.LtxBody;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaClients;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * {@code ltx4j restore} of a replica whose snapshot is large (the biggest part of most restores): a level-9 snapshot of
 * {@code --pages} 4 KiB pages (each half random, half zeros: about 2:1 under LZ4, like a real database's) and then
 * {@code --chain} level-0 files of four rewritten pages each, checksums tracked. The same replica is put into an
 * in-process S3Proxy (in memory, read through {@link CountingHttpProxy}, {@code --latency-ms} per request) and into a
 * directory ({@code file://}). Each CLI jar given ({@code --cli name=path}) restores each replica in its own JVM, the
 * jars alternating, {@code --runs} times; every restored file is checked against the expected database's SHA-256.
 * Printed per backend and jar: wall seconds of the process, median (min-max), and the requests S3Proxy saw.
 *
 * <p>Run: {@code java -Xmx3g -cp bench/target/benchmarks.jar dev.ltx4j.bench.RestoreLargeSnapshotBenchmark --pages
 * 76800 --chain 1000 --runs 5 --cli base=/tmp/base-cli.jar --cli new=cli/target/ltx4j-cli.jar}
 */
public final class RestoreLargeSnapshotBenchmark {
    private static final int PAGE = 4096;

    private int pages = 76_800; // 300 MiB
    private int chain = 1000;
    private long latencyMillis = 0;
    private int runs = 5;
    private long serveSeconds = 0; // probes: keep the replicas up this long instead of restoring
    private final Map<String, Path> clis = new LinkedHashMap<>();
    private final List<String> backends = new ArrayList<>(List.of("s3", "file"));

    public static void main(String[] args) throws Exception {
        RestoreLargeSnapshotBenchmark b = new RestoreLargeSnapshotBenchmark();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--pages" -> b.pages = Integer.parseInt(args[++i]);
                case "--chain" -> b.chain = Integer.parseInt(args[++i]);
                case "--latency-ms" -> b.latencyMillis = Long.parseLong(args[++i]);
                case "--runs" -> b.runs = Integer.parseInt(args[++i]);
                case "--serve" -> b.serveSeconds = Long.parseLong(args[++i]);
                case "--backends" -> {
                    b.backends.clear();
                    b.backends.addAll(List.of(args[++i].split(",")));
                }
                case "--cli" -> {
                    String[] kv = args[++i].split("=", 2);
                    b.clis.put(kv[0], Path.of(kv[1]));
                }
                default -> throw new IllegalArgumentException("unknown argument " + args[i] + "; use --pages N"
                        + " --chain N --latency-ms N --runs N --backends s3,file --cli name=ltx4j-cli.jar [--cli ...]");
            }
        }
        if (b.clis.isEmpty() && b.serveSeconds == 0) {
            throw new IllegalArgumentException("give at least one --cli name=path/to/ltx4j-cli.jar");
        }
        b.run();
        System.exit(0); // S3Proxy's threads are not daemons
    }

    /** Page {@code pgno} as written by version {@code v} (0: the snapshot): half random, half zeros. */
    private static byte[] page(long pgno, long v) {
        byte[] p = new byte[PAGE];
        SplittableRandom r = new SplittableRandom(pgno * 1_000_003L + v);
        for (int i = 0; i < PAGE / 2; i += 8) {
            long x = r.nextLong();
            for (int k = 0; k < 8; k++) {
                p[i + k] = (byte) (x >>> (8 * k));
            }
        }
        return p;
    }

    /** The four pages file {@code txid} (2..) rewrites. */
    private long[] rewritten(long txid) {
        SplittableRandom r = new SplittableRandom(txid);
        long[] out = new long[4];
        for (int i = 0; i < out.length; i++) {
            out[i] = 1 + r.nextInt(pages);
        }
        return out;
    }

    private record Replica(List<byte[]> files, String sha256) {}

    /** The snapshot (index 0, TXID 1) and the chain (TXIDs 2..), with the restored database's SHA-256. */
    private Replica generate(Instant now) throws Exception {
        long t0 = System.nanoTime();
        long[] version = new long[pages + 1];
        DatabaseChecksum sum = new DatabaseChecksum(PAGE);
        List<byte[]> files = new ArrayList<>();
        ByteArrayOutputStream out = new ByteArrayOutputStream(pages * PAGE / 2 + (1 << 20));
        LtxEncoder enc = new LtxEncoder(out, LtxHeader.of(0, PAGE, pages, 1, 1, now.toEpochMilli() - chain * 1000L,
                0), "snapshot");
        for (long p = 1; p <= pages; p++) {
            byte[] b = page(p, 0);
            sum.toggle(p, b, 0);
            enc.writePage(p, b, 0);
        }
        enc.finish(sum.value());
        files.add(out.toByteArray());
        for (long txid = 2; txid <= chain + 1; txid++) {
            long pre = sum.value();
            TreeMap<Long, byte[]> changed = new TreeMap<>();
            for (long p : rewritten(txid)) {
                changed.put(p, page(p, txid));
            }
            for (Map.Entry<Long, byte[]> e : changed.entrySet()) {
                long p = e.getKey();
                sum.toggle(p, page(p, version[(int) p]), 0);
                sum.toggle(p, e.getValue(), 0);
                version[(int) p] = txid;
            }
            ByteArrayOutputStream o = new ByteArrayOutputStream();
            LtxEncoder e2 = new LtxEncoder(o, LtxHeader.of(0, PAGE, pages, txid, txid,
                    now.toEpochMilli() - (chain + 1 - txid) * 1000L, pre), txid + ".ltx");
            for (Map.Entry<Long, byte[]> e : changed.entrySet()) {
                e2.writePage(e.getKey(), e.getValue(), 0);
            }
            e2.finish(sum.value());
            files.add(o.toByteArray());
        }
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        for (long p = 1; p <= pages; p++) {
            sha.update(page(p, version[(int) p]));
        }
        System.out.printf("generated: snapshot %d pages (%d bytes of LTX), %d level-0 files, in %.1f s%n", pages,
                files.get(0).length, chain, (System.nanoTime() - t0) / 1e9);
        return new Replica(files, HexFormat.of().formatHex(sha.digest()));
    }

    private static void upload(ReplicaClient c, Replica r) throws Exception {
        c.createFile(9, 1, 1, LtxBody.of(r.files().get(0)));
        for (int i = 1; i < r.files().size(); i++) {
            c.createFile(0, i + 1, i + 1, LtxBody.of(r.files().get(i)));
        }
    }

    private record Run(double seconds, Map<String, Integer> requests) {}

    private void run() throws Exception {
        ReplicaLifetimeBenchmark life = new ReplicaLifetimeBenchmark();
        life.work = Files.createTempDirectory("ltx4j-restore-large-");
        Replica replica = generate(Instant.now());
        AutoCloseable s3 = life.startProxy();
        try (CountingHttpProxy http = new CountingHttpProxy(life.endpoint, latencyMillis)) {
            Map<String, String> urls = new LinkedHashMap<>();
            if (backends.contains("s3")) {
                try (ReplicaClient c = ReplicaClients.open(life.url("large"), life.env)) {
                    upload(c, replica);
                }
                urls.put("s3", "s3://" + ReplicaLifetimeBenchmark.BUCKET + "/large?endpoint=" + http.uri()
                        + "&region=us-east-1&forcePathStyle=true");
            }
            if (backends.contains("file")) {
                Path dir = life.work.resolve("file-replica");
                try (ReplicaClient c = ReplicaClients.open(dir.toUri().toString())) {
                    upload(c, replica);
                }
                urls.put("file", dir.toUri().toString());
            }
            System.out.printf("RestoreLargeSnapshotBenchmark: %d pages of %d bytes, %d level-0 files, %d ms per S3"
                    + " request, %d runs, JDK %s, load average at start %s%n", pages, PAGE, chain, latencyMillis,
                    runs, Runtime.version(), ReplicaLifetimeBenchmark.loadAverage());
            if (serveSeconds > 0) { // field probes: restore by hand while the store is up
                urls.forEach((k, v) -> System.out.println("serving " + k + ": " + v));
                System.out.println("expected sha256 " + replica.sha256());
                Thread.sleep(serveSeconds * 1000);
                return;
            }
            Map<String, List<Run>> results = new LinkedHashMap<>();
            for (Map.Entry<String, String> backend : urls.entrySet()) {
                for (int r = 1; r <= runs; r++) {
                    for (Map.Entry<String, Path> cli : clis.entrySet()) {
                        http.drain();
                        Path out = life.work.resolve(backend.getKey() + "-" + cli.getKey() + "-" + r + ".db");
                        double s = restore(cli.getValue(), backend.getValue(), out, replica.sha256());
                        Map<String, Integer> seen = new TreeMap<>();
                        for (CountingHttpProxy.Exchange e : http.drain()) {
                            seen.merge(e.method().equals("GET") && e.target().contains("list-type=") ? "LIST"
                                    : e.method(), 1, Integer::sum);
                        }
                        results.computeIfAbsent(backend.getKey() + "|" + cli.getKey(), k -> new ArrayList<>())
                                .add(new Run(s, seen));
                        System.out.printf("%s %s run %d: %.2f s, %s, load %s%n", backend.getKey(), cli.getKey(), r, s,
                                seen, ReplicaLifetimeBenchmark.loadAverage());
                    }
                }
            }
            System.out.printf("%n| backend | CLI | wall s, median (min-max) | requests per restore |%n"
                    + "|---|---|---:|---|%n");
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

    /** One restore in its own JVM; the output must hash to the expected database. */
    private static double restore(Path jar, String url, Path out, String sha256) throws Exception {
        Path log = Files.createTempFile("restore-large-", ".log");
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", jar.toString(), "restore", url, "-o", out.toString());
        pb.environment().put("AWS_ACCESS_KEY_ID", ReplicaLifetimeBenchmark.ACCESS);
        pb.environment().put("AWS_SECRET_ACCESS_KEY", ReplicaLifetimeBenchmark.SECRET);
        pb.redirectErrorStream(true).redirectOutput(log.toFile());
        long t0 = System.nanoTime();
        int rc = pb.start().waitFor();
        double seconds = (System.nanoTime() - t0) / 1e9;
        String got = rc == 0 ? sha256(out) : "none";
        if (!got.equals(sha256)) {
            throw new IOException("restore by " + jar + " of " + (url.contains("?") ? url.substring(0, url.indexOf('?'))
                    : url) + " failed (exit " + rc + ", or a different database): " + Files.readString(log));
        }
        Files.delete(out);
        Files.delete(log);
        return seconds;
    }

    private static String sha256(Path f) throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        try (InputStream in = Files.newInputStream(f)) {
            byte[] buf = new byte[1 << 20];
            int n;
            while ((n = in.read(buf)) > 0) {
                sha.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(sha.digest());
    }
}
