package dev.ltx4j.bench;

import dev.ltx4j.compaction.CompactionFaults;
import dev.ltx4j.compaction.CompactionResult;
import dev.ltx4j.compaction.CompactionSettings;
import dev.ltx4j.compaction.Compactor;
import dev.ltx4j.compaction.RetentionResult;
import dev.ltx4j.ltx.Ltx;
import dev.ltx4j.ltx.LtxEncoder;
import dev.ltx4j.ltx.LtxHeader;
import dev.ltx4j.ltx.LtxRestorer;
import dev.ltx4j.ltx.LtxSource;
import dev.ltx4j.ltx.TxidRange;
import dev.ltx4j.replica.CountingReplicaClient;
import dev.ltx4j.replica.ForwardingReplicaClient;
import dev.ltx4j.replica.LtxBody;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaClients;
import dev.ltx4j.replica.ReplicaEnvironment;
import dev.ltx4j.replica.ReplicaException;
import dev.ltx4j.replica.RestorePlanner;
import dev.ltx4j.replica.RestoreTarget;
import dev.ltx4j.replica.support.MetadataTimestamp;
import dev.ltx4j.syncer.Database;
import dev.ltx4j.syncer.EngineOptions;
import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;

/**
 * Issue 10's benchmark: what a long-lived replica costs to open, follow and restore, before and after compaction and
 * retention. An in-process S3Proxy (in-memory store) holds a replica after {@code --syncs} syncs at one per second:
 * a snapshot at TXID 1 of a real SQLite database of 512-byte pages, then one small level-0 file per sync (one page
 * each, Litestream-style NoChecksum files, timestamps one second apart ending now), put straight into the store.
 * States: {@code raw} as written (its own copy, measured {@code --raw-runs} times since each run reads every file),
 * {@code compacted} after what {@code ltx4j compact} does (levels 1-3, then a level-9 snapshot), {@code retained}
 * after that and retention with the defaults (24h, grace 15m) run as of a day later. Each run measures, with a fresh
 * client under {@link CountingReplicaClient}: a cold read-mode engine open ({@link Database#open}, which plans and
 * builds the page map through {@code ReplicaIndex}; what a follower does at start), its first poll, and a full
 * restore to a file (checked against the expected database). Printed: requests by kind (and the S3 LIST requests
 * they take, 1000 keys each), distinct files read, bytes read, and wall time as median [min-max]; per compaction
 * step: inputs, outputs, requests and time.
 *
 * <p>Run: {@code ./mvnw -B -q -DskipTests package -pl bench -am && java -cp bench/target/benchmarks.jar
 * dev.ltx4j.bench.ReplicaLifetimeBenchmark --syncs 100000 --runs 5 --raw-runs 1}
 */
public final class ReplicaLifetimeBenchmark {
    static final String BUCKET = "bench";
    static final String ACCESS = "bench-access";
    static final String SECRET = "bench-secret-value";
    private static final List<String> STATES = List.of("raw", "compacted", "retained");
    private static final List<String> OPS = List.of("cold open (follower start)", "first poll", "full restore");

    int syncs = 100_000;
    private int runs = 5;
    private int slowRuns = -1;
    private int threads = 16;
    private int pageSize = 512;
    private List<String> states = STATES;
    Path work;
    URI endpoint;
    ReplicaEnvironment env;
    private Object store;
    private java.lang.reflect.Method putBlob;
    byte[][] pages;

    public static void main(String[] args) throws Exception {
        ReplicaLifetimeBenchmark b = new ReplicaLifetimeBenchmark();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--syncs" -> b.syncs = Integer.parseInt(args[++i]);
                case "--runs" -> b.runs = Integer.parseInt(args[++i]);
                case "--raw-runs" -> b.slowRuns = Integer.parseInt(args[++i]);
                case "--threads" -> b.threads = Integer.parseInt(args[++i]);
                case "--page-size" -> b.pageSize = Integer.parseInt(args[++i]);
                case "--only-raw" -> b.states = List.of("raw");
                case "--no-raw" -> b.slowRuns = 0;
                default -> throw new IllegalArgumentException("unknown argument " + args[i]
                        + "; use --syncs N --runs N [--raw-runs N] [--threads N] [--page-size N] [--only-raw | --no-raw]");
            }
        }
        if (b.slowRuns < 0) {
            b.slowRuns = b.runs;
        }
        b.run();
        System.exit(0); // S3Proxy's threads are not daemons
    }

    private void run() throws Exception {
        work = Files.createTempDirectory("ltx4j-lifetime-");
        AutoCloseable proxy = startProxy();
        try {
            System.out.printf("ReplicaLifetimeBenchmark: %d syncs, %d runs (%d of raw), page size %d, S3Proxy %s, JDK %s, "
                    + "load average %s%n", syncs, runs, slowRuns, pageSize, endpoint, Runtime.version(), loadAverage());
            pages = basePages();
            byte[] expected = expectedDatabase();
            Instant now = Instant.now();
            Map<String, List<Sample>> samples = new LinkedHashMap<>();
            if (slowRuns > 0) {
                generate("raw", now);
                measureRuns("raw", slowRuns, expected, samples);
                deleteAll("raw");
            }
            if (!states.contains("compacted")) {
                printTable(samples);
                return;
            }
            generate("lifetime", now);
            compact(url("lifetime"));
            measureRuns("compacted", runs, expected, samples);
            // S3 listings without metadata date files by upload (LastModified), and these were uploaded in a burst just
            // now: retention runs as of a day and a grace period later, when the whole history is outside the window.
            retain(url("lifetime"), Instant.now().plus(Duration.ofHours(24)).plus(Duration.ofMinutes(16)));
            measureRuns("retained", runs, expected, samples);
            printTable(samples);
        } finally {
            proxy.close();
        }
    }

    private void measureRuns(String state, int n, byte[] expected, Map<String, List<Sample>> samples) throws Exception {
        String url = url(state.equals("raw") ? "raw" : "lifetime");
        for (int run = 0; run < n; run++) {
            Sample[] openAndPoll = measureOpenAndPoll(url);
            samples.computeIfAbsent(state + "|" + OPS.get(0), x -> new ArrayList<>()).add(openAndPoll[0]);
            samples.computeIfAbsent(state + "|" + OPS.get(1), x -> new ArrayList<>()).add(openAndPoll[1]);
            samples.computeIfAbsent(state + "|" + OPS.get(2), x -> new ArrayList<>()).add(measureRestore(url, expected));
            System.out.printf("%s: run %d of %d done%n", state, run + 1, n);
        }
    }

    private void deleteAll(String state) throws Exception {
        try (ReplicaClient client = ReplicaClients.open(url(state), env)) {
            client.deleteAll();
        }
    }

    static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (IOException e) {
            return "unknown";
        }
    }

    /**
     * Starts S3Proxy 4.1.0 in this JVM (in-memory store, AWS v2/v4 auth) through reflection: the jar is no usable
     * automatic module, so this named module cannot require it; the benchmark runs on the class path anyway.
     */
    AutoCloseable startProxy() throws Exception {
        ClassLoader cl = ReplicaLifetimeBenchmark.class.getClassLoader();
        Properties properties = new Properties();
        properties.setProperty("jclouds.identity", "");
        properties.setProperty("jclouds.credential", "");
        store = Class.forName("org.gaul.s3proxy.BlobStores", true, cl).getMethod("create", String.class,
                Properties.class).invoke(null, "transient", properties);
        Class<?> storeType = Class.forName("org.gaul.s3proxy.blobstore.BlobStore", true, cl);
        Class<?> proxyType = Class.forName("org.gaul.s3proxy.S3Proxy", true, cl);
        Object builder = proxyType.getMethod("builder").invoke(null);
        builder.getClass().getMethod("blobStore", storeType).invoke(builder, store);
        builder.getClass().getMethod("endpoint", URI.class).invoke(builder, URI.create("http://127.0.0.1:0"));
        @SuppressWarnings({"unchecked", "rawtypes"})
        Class<Enum> authType = (Class<Enum>) Class.forName("org.gaul.s3proxy.auth.AuthenticationType", true, cl);
        builder.getClass().getMethod("awsAuthentication", authType, String.class, String.class).invoke(builder,
                Enum.valueOf(authType, "AWS_V2_OR_V4"), ACCESS, SECRET);
        Object proxy = builder.getClass().getMethod("build").invoke(builder);
        proxyType.getMethod("start").invoke(proxy);
        while (!"STARTED".equals(proxyType.getMethod("getState").invoke(proxy))) {
            Thread.onSpinWait();
        }
        endpoint = URI.create("http://127.0.0.1:" + proxyType.getMethod("getPort").invoke(proxy));
        env = ReplicaEnvironment.of(Map.of("AWS_ACCESS_KEY_ID", ACCESS, "AWS_SECRET_ACCESS_KEY", SECRET));
        storeType.getMethod("createContainer", String.class).invoke(store, BUCKET);
        putBlob = storeType.getMethod("putBlob", PutObjectRequest.class, InputStream.class);
        return () -> proxyType.getMethod("stop").invoke(proxy);
    }

    String url(String state) {
        // A long request timeout: an in-memory S3Proxy listing 100,000 keys on a loaded machine can exceed 30 s a page.
        return "s3://" + BUCKET + "/" + state + "?endpoint=" + endpoint + "&region=us-east-1&forcePathStyle=true"
                + "&request-timeout=600s";
    }

    /** A real SQLite database of small pages: the snapshot at TXID 1 and the pages later files rewrite. */
    byte[][] basePages() throws Exception {
        Path db = work.resolve("base.db");
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement s = c.createStatement()) {
            s.execute("PRAGMA page_size=" + pageSize);
            s.execute("PRAGMA journal_mode=DELETE");
            s.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)");
            s.execute("INSERT INTO t(v) WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 600) "
                    + "SELECT printf('row %d of the lifetime benchmark', i) FROM n");
        }
        byte[] all = Files.readAllBytes(db);
        byte[][] out = new byte[all.length / pageSize][];
        for (int i = 0; i < out.length; i++) {
            out[i] = Arrays.copyOfRange(all, i * pageSize, (i + 1) * pageSize);
        }
        return out;
    }

    /** The database every state restores to (later files rewrite pages with their own bytes). */
    byte[] expectedDatabase() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : pages) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    /** File {@code txid}: the snapshot for 1, else one rewritten page; timestamps one second apart, the last now. */
    private byte[] file(long txid, Instant now) throws IOException {
        long ts = now.minusSeconds(syncs - txid).toEpochMilli();
        LtxHeader h = LtxHeader.of(Ltx.HEADER_FLAG_NO_CHECKSUM, pageSize, pages.length, txid, txid, ts, 0);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        LtxEncoder enc = new LtxEncoder(out, h, txid + ".ltx");
        if (txid == 1) {
            for (int p = 0; p < pages.length; p++) {
                enc.writePage(p + 1, pages[p], 0);
            }
        } else {
            int p = 1 + (int) (txid % (pages.length - 1)); // pages 2..n, as a steady write load
            enc.writePage(p + 1, pages[p], 0);
        }
        enc.finish(0);
        return out.toByteArray();
    }

    /**
     * Puts the files straight into S3Proxy's store (what uploads at one per second over a day would have left, in
     * seconds instead of hours: the benchmark measures reads), with the key layout and timestamp metadata of
     * {@code S3ReplicaClient}. Their S3 LastModified is the generation time, which S3 listings without metadata report
     * as createdAt: see {@link #retain}.
     */
    void generate(String state, Instant now) throws Exception {
        long t0 = System.nanoTime();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> uploads = new ArrayList<>();
            for (long t = 1; t <= syncs; t++) {
                long txid = t;
                uploads.add(pool.submit(() -> {
                    byte[] body = file(txid, now);
                    long ts = now.minusSeconds(syncs - txid).toEpochMilli();
                    PutObjectRequest req = PutObjectRequest.builder().bucket(BUCKET)
                            .key(state + "/0000/" + new TxidRange(txid, txid).filename()).contentLength((long) body.length)
                            .metadata(Map.of("litestream-timestamp", MetadataTimestamp.format(Instant.ofEpochMilli(ts))))
                            .build();
                    return putBlob.invoke(store, req, new ByteArrayInputStream(body));
                }));
            }
            for (Future<?> f : uploads) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        System.out.printf("generated %s: %d files in %.1f s%n", state, syncs, (System.nanoTime() - t0) / 1e9);
    }

    void compact(String url) throws Exception {
        System.out.printf("compaction of %s:%n", url.substring(0, url.indexOf('?')));
        try (ReplicaClient backend = ReplicaClients.open(url, env); CountingReplicaClient client = new CountingReplicaClient(backend)) {
            Compactor compactor = new Compactor(client, CompactionSettings.defaults(), CompactionFaults.NONE);
            for (int level = 1; level <= CompactionSettings.defaults().levels() + 1; level++) {
                boolean snapshot = level > CompactionSettings.defaults().levels();
                client.reset();
                long t0 = System.nanoTime();
                int outputs = 0;
                int inputs = 0;
                CompactionResult r;
                do {
                    r = snapshot ? compactor.snapshot(Instant.now()) : compactor.compactLevel(level, Instant.now());
                    inputs += r.inputs().size();
                    outputs += r.output() == null ? 0 : 1;
                } while (!snapshot && r.more() && r.output() != null);
                System.out.printf("  %-12s %6d inputs -> %4d files  %8.0f ms  %s%n", snapshot ? "L9 snapshot" : "L" + level,
                        inputs, outputs, (System.nanoTime() - t0) / 1e6, describe(client.snapshot()));
            }
        }
    }

    private void retain(String url, Instant at) throws Exception {
        try (ReplicaClient backend = ReplicaClients.open(url, env); CountingReplicaClient client = new CountingReplicaClient(backend)) {
            Compactor compactor = new Compactor(client, CompactionSettings.defaults(), CompactionFaults.NONE);
            long t0 = System.nanoTime();
            RetentionResult r = compactor.retain(at, true);
            System.out.printf("  retain --keep 24h --apply: deleted %d files, kept %d  %8.0f ms  %s%n", r.filesDeleted(),
                    r.plan().keep().size(), (System.nanoTime() - t0) / 1e6, describe(client.snapshot()));
        }
    }

    private record Sample(CountingReplicaClient.Counts counts, int distinctFiles, long listPages, double ms) {}

    /** Counts distinct files whose bytes were read. */
    private static final class DistinctFiles extends ForwardingReplicaClient {
        final Set<String> files = ConcurrentHashMap.newKeySet();
        /** S3 LIST requests: one per listing call, plus one per further 1000 keys. */
        final java.util.concurrent.atomic.AtomicLong listPages = new java.util.concurrent.atomic.AtomicLong();

        DistinctFiles(ReplicaClient delegate) {
            super(delegate);
        }

        @Override
        public List<LtxFileInfo> listFiles(int level, long seek, boolean meta) throws ReplicaException {
            List<LtxFileInfo> out = super.listFiles(level, seek, meta);
            listPages.addAndGet(Math.max(1, (out.size() + 999) / 1000));
            return out;
        }

        @Override
        public InputStream openFile(int level, long min, long max, long offset, long length) throws ReplicaException {
            files.add(level + "/" + min + "-" + max);
            return super.openFile(level, min, max, offset, length);
        }

        @Override
        public byte[] readRange(int level, long min, long max, long offset, long length) throws ReplicaException {
            files.add(level + "/" + min + "-" + max);
            return super.readRange(level, min, max, offset, length);
        }
    }

    /** A cold read-mode open (what a follower does at start), then its first poll, each counted on its own. */
    private Sample[] measureOpenAndPoll(String url) throws Exception {
        try (ReplicaClient backend = ReplicaClients.open(url, env)) {
            CountingReplicaClient counting = new CountingReplicaClient(backend);
            DistinctFiles distinct = new DistinctFiles(counting);
            long t0 = System.nanoTime();
            try (Database db = Database.open(distinct, "bench.db", EngineOptions.builder().writeEnabled(false)
                    .pollInterval(Duration.ofHours(1)).build())) {
                Sample open = new Sample(counting.snapshot(), distinct.files.size(), distinct.listPages.get(),
                        (System.nanoTime() - t0) / 1e6);
                counting.reset();
                distinct.files.clear();
                distinct.listPages.set(0);
                long t1 = System.nanoTime();
                db.pollOnce(Instant.now());
                Sample poll = new Sample(counting.snapshot(), distinct.files.size(), distinct.listPages.get(),
                        (System.nanoTime() - t1) / 1e6);
                return new Sample[] {open, poll};
            }
        }
    }

    private Sample measureRestore(String url, byte[] expected) throws Exception {
        Path out = work.resolve("restored.db");
        Files.deleteIfExists(out);
        try (ReplicaClient backend = ReplicaClients.open(url, env)) {
            CountingReplicaClient counting = new CountingReplicaClient(backend);
            DistinctFiles client = new DistinctFiles(counting);
            long t0 = System.nanoTime();
            List<LtxFileInfo> plan = new RestorePlanner(client).plan(RestoreTarget.latest());
            List<LtxSource> chain = new ArrayList<>();
            for (LtxFileInfo f : plan) {
                chain.add(LtxSource.of(f.toString(), () -> new BufferedInputStream(
                        client.openFile(f.level(), f.minTxid(), f.maxTxid(), 0, 0), 1 << 16)));
            }
            LtxRestorer.restore(chain, out);
            double ms = (System.nanoTime() - t0) / 1e6;
            if (!Arrays.equals(Files.readAllBytes(out), expected)) {
                throw new IllegalStateException("restore of " + url + " differs from the expected database");
            }
            return new Sample(counting.snapshot(), client.files.size(), client.listPages.get(), ms);
        }
    }

    private static String describe(CountingReplicaClient.Counts c) {
        return String.format("LIST %d, GET %d, PUT %d, DELETE %d (%d bytes read, %d written)", c.lists(), c.opens(),
                c.creates(), c.deletes(), c.bytesRead(), c.bytesWritten());
    }

    private void printTable(Map<String, List<Sample>> samples) {
        System.out.println();
        System.out.println("| state | operation | LIST calls (S3 LIST requests) | GET | files read | bytes read | wall ms, median [min-max] | runs |");
        System.out.println("|---|---|---|---|---|---|---|---|");
        for (String state : STATES) {
            for (String op : OPS) {
                List<Sample> s = samples.get(state + "|" + op);
                if (s == null || s.isEmpty()) {
                    continue;
                }
                Sample first = s.get(0);
                double[] ms = s.stream().mapToDouble(Sample::ms).sorted().toArray();
                double median = ms.length % 2 == 1 ? ms[ms.length / 2] : (ms[ms.length / 2 - 1] + ms[ms.length / 2]) / 2;
                boolean stable = s.stream().allMatch(x -> x.counts().requests() == first.counts().requests());
                System.out.printf("| %s | %s | %d (%d) | %d | %d | %d | %.0f [%.0f-%.0f] | %d%s |%n", state, op,
                        first.counts().lists(), first.listPages(), first.counts().opens(), first.distinctFiles(), first.counts().bytesRead(),
                        median, ms[0], ms[ms.length - 1], s.size(), stable ? "" : " (request counts varied)");
            }
        }
    }
}
