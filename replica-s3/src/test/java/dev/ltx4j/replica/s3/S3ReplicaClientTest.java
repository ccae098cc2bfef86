package dev.ltx4j.replica.s3;

import dev.ltx4j.conformance.LtxTestFiles;
import dev.ltx4j.replica.support.GoPath;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ltx4j.replica.LtxBody;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaAlreadyExistsException;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaClientProvider;
import dev.ltx4j.replica.ReplicaEnvironment;
import dev.ltx4j.replica.ReplicaException;
import dev.ltx4j.replica.ReplicaNotFoundException;
import dev.ltx4j.replica.ReplicaPermanentException;
import dev.ltx4j.replica.ReplicaUrl;
import dev.ltx4j.replica.s3.S3ProxyServer.Endpoint;
import java.io.InputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

@ExtendWith(S3ProxyServer.class)
class S3ReplicaClientTest {
    private static final AtomicInteger REPLICAS = new AtomicInteger();

    private final Endpoint server;
    private final S3Client raw;
    private final List<ReplicaClient> opened = new ArrayList<>();
    private String path;
    private S3ReplicaClient client;

    S3ReplicaClientTest(Endpoint server) {
        this.server = server;
        this.raw = server.rawClient();
    }

    @BeforeEach
    void open(TestInfo info) throws Exception {
        path = "t" + REPLICAS.incrementAndGet() + "-" + info.getTestMethod().orElseThrow().getName();
        client = open("s3://" + S3ProxyServer.BUCKET + "/" + path + "?endpoint=" + server.uri());
    }

    @AfterEach
    void close() {
        opened.forEach(ReplicaClient::close);
        raw.close();
    }

    private S3ReplicaClient open(String url) throws ReplicaException {
        return open(url, env(server.accessKey(), server.secretKey()));
    }

    private S3ReplicaClient open(String url, ReplicaEnvironment env) throws ReplicaException {
        S3ReplicaClient c = S3ReplicaClient.open(S3UrlParser.parse(ReplicaUrl.parse(url), env), env);
        opened.add(c);
        return c;
    }

    private static ReplicaEnvironment env(String accessKey, String secret) {
        return ReplicaEnvironment.of(Map.of("AWS_ACCESS_KEY_ID", accessKey, "AWS_SECRET_ACCESS_KEY", secret));
    }

    private static long ms(String instant) {
        return Instant.parse(instant).toEpochMilli();
    }

    private LtxFileInfo put(ReplicaClient c, int level, long min, long max) throws ReplicaException {
        return c.createFile(level, min, max, LtxBody.of(LtxTestFiles.body(min, max, ms("2024-05-06T07:08:09.120Z"), 300, min)));
    }

    private List<String> rawKeys(String prefix) {
        return raw.listObjectsV2Paginator(b -> b.bucket(S3ProxyServer.BUCKET).prefix(prefix)).contents().stream()
                .map(S3Object::key).toList();
    }

    @Test
    void roundTripReturnsInfoAndBytes() throws Exception {
        byte[] body = LtxTestFiles.body(1, 5, ms("2024-05-06T07:08:09.123Z"), 5000, 42);
        LtxFileInfo info = client.createFile(9, 1, 5, LtxBody.of(body));

        assertThat(info).isEqualTo(new LtxFileInfo(9, 1, 5, 5000, Instant.parse("2024-05-06T07:08:09.123Z")));
        assertThat(client.readRange(9, 1, 5, 0, 0)).isEqualTo(body);
        assertThat(client.readRange(9, 1, 5, 0, 100)).isEqualTo(Arrays.copyOfRange(body, 0, 100));
        assertThat(client.readRange(9, 1, 5, 4000, 0)).isEqualTo(Arrays.copyOfRange(body, 4000, 5000));
        assertThat(client.readRange(9, 1, 5, 1234, 10)).isEqualTo(Arrays.copyOfRange(body, 1234, 1244));
        assertThat(client.readRange(9, 1, 5, 4999, 1)).containsExactly(body[4999]);
        assertThat(client.readRange(9, 1, 5, 4990, 100)).isEqualTo(Arrays.copyOfRange(body, 4990, 5000));
        assertThat(client.readRange(9, 1, 5, 5000, 0)).isEmpty();
        assertThat(client.readRange(9, 1, 5, 9000, 10)).isEmpty();
    }

    /** Round 8 (a new user): a Litestream v0.3 replica is told apart with one listing of at most one key. */
    @Test
    void aLitestreamV3ReplicaIsToldApartWithOneListing() throws Exception {
        S3ReplicaClient sibling = open("s3://" + S3ProxyServer.BUCKET + "/" + path + "x?endpoint=" + server.uri());
        for (String snapshot : List.of("/generations/a1b2c3d4e5f60718/snapshots/00000000.snapshot.lz4",
                "/generations/a1b2c3d4e5f60718/snapshots/00000001.snapshot.lz4")) {
            raw.putObject(b -> b.bucket(S3ProxyServer.BUCKET).key(path + snapshot), RequestBody.fromString("v3"));
        }
        assertThat(client.holdsLitestreamV3Generations()).isTrue();
        assertThat(client.storeRequests().orElseThrow().byKindAndOutcome()).isEqualTo(Map.of("list/ok", 1L));
        assertThat(sibling.holdsLitestreamV3Generations()).as("another path's generations").isFalse();
        assertThat(sibling.storeRequests().orElseThrow().byKindAndOutcome()).isEqualTo(Map.of("list/ok", 1L));
    }

    /** The mends-lo review: a console folder object or a stray file under generations/ is not a v0.3 replica. */
    @Test
    void aFolderObjectOrStrayFileUnderGenerationsIsNotV3() throws Exception {
        for (String key : List.of("/generations/", "/generations/README.txt", "/generations/0123456789abcdef")) {
            raw.putObject(b -> b.bucket(S3ProxyServer.BUCKET).key(path + key), RequestBody.fromString(""));
        }
        assertThat(client.holdsLitestreamV3Generations()).isFalse();
        raw.putObject(b -> b.bucket(S3ProxyServer.BUCKET).key(path + "/generations/a1b2c3d4e5f60718/"),
                RequestBody.fromString(""));
        assertThat(client.holdsLitestreamV3Generations()).isTrue();
        assertThat(client.storeRequests().orElseThrow().byKindAndOutcome()).isEqualTo(Map.of("list/ok", 2L));
    }

    @Test
    void earlyCloseOfALargeReadDoesNotBreakLaterReads() throws Exception {
        byte[] body = LtxTestFiles.body(1, 1, 0, 3_000_000, 7);
        client.createFile(0, 1, 1, LtxBody.of(body));
        for (int i = 0; i < 60; i++) { // more than the pool's connections: leaked ones would block
            try (InputStream in = client.openFile(0, 1, 1, 0, 0)) {
                assertThat(in.read()).isEqualTo(body[0] & 0xff);
            }
        }
        assertThat(client.readRange(0, 1, 1, 10, 5)).isEqualTo(Arrays.copyOfRange(body, 10, 15));
    }

    @Test
    void keysAndMetadataAreExactlyLitestreams() throws Exception {
        put(client, 0, 1, 1);
        put(client, 9, 1, 0xff);
        put(client, 3, 0x10, 0x2a);
        assertThat(rawKeys(path + "/")).containsExactly(
                path + "/0000/0000000000000001-0000000000000001.ltx",
                path + "/0003/0000000000000010-000000000000002a.ltx",
                path + "/0009/0000000000000001-00000000000000ff.ltx",
                // S3CreateCheck's object: not an LTX name, so neither ltx4j nor Litestream lists it
                path + "/" + S3CreateCheck.OBJECT);
        Map<String, String> metadata = raw.headObject(b -> b.bucket(S3ProxyServer.BUCKET)
                .key(path + "/0000/0000000000000001-0000000000000001.ltx")).metadata();
        assertThat(metadata).containsEntry("litestream-timestamp", "2024-05-06T07:08:09.12Z");
    }

    @Test
    void pathQuirksAreReproduced() throws Exception {
        // s3://bucket (no path) is "." in Go, so keys start with "./"; s3://bucket/ is "", so keys start with "/".
        assertThat(new S3KeyLayout(GoPath.replicaPath("")).key(0, 1, 1))
                .isEqualTo("./0000/0000000000000001-0000000000000001.ltx");
        assertThat(new S3KeyLayout(GoPath.replicaPath("/")).key(0, 1, 1))
                .isEqualTo("/0000/0000000000000001-0000000000000001.ltx");
        assertThat(new S3KeyLayout("").replicaPrefix()).isEqualTo("/");

        // Not checked against S3Proxy: Jetty normalises "/bucket/./0000/..." to "0000/..." (and "//" too), which
        // real S3 does not; S3FailureModesTest checks the request line the client sends instead.
    }

    @Test
    void createOfAnExistingFileIsAlreadyExistsAndKeepsTheFirstBody() throws Exception {
        byte[] first = LtxTestFiles.body(3, 3, 1000, 400, 1);
        byte[] second = LtxTestFiles.body(3, 3, 2000, 500, 2);
        client.createFile(0, 3, 3, LtxBody.of(first));
        assertThatThrownBy(() -> client.createFile(0, 3, 3, LtxBody.of(second)))
                .isInstanceOf(ReplicaAlreadyExistsException.class)
                .hasMessageContaining("0000000000000003-0000000000000003.ltx");
        assertThat(client.readRange(0, 3, 3, 0, 0)).isEqualTo(first);
    }

    @Test
    void concurrentCreatorsHaveExactlyOneWinner() throws Exception {
        int threads = 8;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            for (int round = 1; round <= 10; round++) {
                long txid = round;
                CountDownLatch start = new CountDownLatch(1);
                List<Future<Integer>> results = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    byte[] body = LtxTestFiles.body(txid, txid, t, 200 + t, t);
                    Callable<Integer> create = () -> {
                        start.await();
                        try {
                            client.createFile(0, txid, txid, LtxBody.of(body));
                            return 1;
                        } catch (ReplicaAlreadyExistsException e) {
                            return 0;
                        }
                    };
                    results.add(pool.submit(create));
                }
                start.countDown();
                int winners = 0;
                for (Future<Integer> r : results) {
                    winners += r.get();
                }
                assertThat(winners).as("winners in round %d", round).isEqualTo(1);
                int size = client.readRange(0, txid, txid, 0, 0).length;
                assertThat(size).isBetween(200, 200 + threads - 1);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void multipartCreateIsConditionalAndLeavesNoUploads() throws Exception {
        S3ReplicaClient small = open("s3://" + S3ProxyServer.BUCKET + "/" + path + "?endpoint=" + server.uri()
                + "&partSize=5242880");
        byte[] body = LtxTestFiles.body(1, 9, ms("2024-01-01T00:00:00Z"), 5 * 1024 * 1024 + 12345, 3);
        LtxFileInfo info = small.createFile(9, 1, 9, LtxBody.of(body));
        assertThat(info.size()).isEqualTo(body.length);
        assertThat(small.readRange(9, 1, 9, 0, 0)).isEqualTo(body);
        assertThat(raw.headObject(b -> b.bucket(S3ProxyServer.BUCKET).key(path + "/0009/0000000000000001-0000000000000009.ltx"))
                .metadata()).containsEntry("litestream-timestamp", "2024-01-01T00:00:00Z");

        assertThatThrownBy(() -> small.createFile(9, 1, 9, LtxBody.of(LtxTestFiles.body(1, 9, 5, body.length, 4))))
                .isInstanceOf(ReplicaAlreadyExistsException.class);
        assertThat(small.readRange(9, 1, 9, 0, 0)).isEqualTo(body);
        assertThat(raw.listMultipartUploads(b -> b.bucket(S3ProxyServer.BUCKET).prefix(path + "/")).uploads()).isEmpty();
    }

    @Test
    void invalidBodiesAreRejectedBeforeAnythingIsWritten() throws Exception {
        assertThatThrownBy(() -> client.createFile(0, 1, 1, LtxBody.of(new byte[99])))
                .isInstanceOf(ReplicaPermanentException.class).hasMessageContaining("shorter than the 100-byte");
        byte[] badMagic = LtxTestFiles.body(1, 1, 0, 200, 1);
        badMagic[0] = 'X';
        assertThatThrownBy(() -> client.createFile(0, 1, 1, LtxBody.of(badMagic)))
                .isInstanceOf(ReplicaPermanentException.class).hasMessageContaining("magic");
        assertThat(rawKeys(path + "/")).isEmpty();
    }

    @Test
    void missingFilesAreNotFound() throws Exception {
        assertThatThrownBy(() -> client.openFile(0, 1, 1, 0, 0))
                .isInstanceOf(ReplicaNotFoundException.class)
                .hasMessageContaining(path + "/0000/0000000000000001-0000000000000001.ltx");
        assertThatThrownBy(() -> client.openFile(0, 1, 1, 50, 10)).isInstanceOf(ReplicaNotFoundException.class);
        assertThat(client.listFiles(4, 0, true)).isEmpty();
    }

    @Test
    void listingIsSortedSeeksByMinTxidAndIgnoresJunkAndOtherLevels() throws Exception {
        for (long[] r : new long[][] {{7, 9}, {1, 1}, {1, 15}, {2, 3}, {4, 6}, {10, 10}}) {
            put(client, 1, r[0], r[1]);
        }
        put(client, 0, 5, 5);
        put(client, 2, 5, 5);
        String level = path + "/0001/";
        for (String junk : List.of("0000000000000008-0000000000000008.ltx.tmp", "0000000000000008-000000000000000A.ltx",
                "lock.json", "sub/0000000000000008-0000000000000008.ltx", "0000000000000008.ltx")) {
            raw.putObject(b -> b.bucket(S3ProxyServer.BUCKET).key(level + junk), RequestBody.fromString("junk"));
        }

        assertThat(client.listFiles(1, 0, false)).extracting(LtxFileInfo::toString).containsExactly(
                "L1/0000000000000001-0000000000000001.ltx", "L1/0000000000000001-000000000000000f.ltx",
                "L1/0000000000000002-0000000000000003.ltx", "L1/0000000000000004-0000000000000006.ltx",
                "L1/0000000000000007-0000000000000009.ltx", "L1/000000000000000a-000000000000000a.ltx");
        assertThat(client.listFiles(1, 4, false)).extracting(LtxFileInfo::minTxid).containsExactly(4L, 7L, 10L);
        assertThat(client.listFiles(1, 5, false)).extracting(LtxFileInfo::minTxid).containsExactly(7L, 10L);
        assertThat(client.listFiles(1, 10, false)).extracting(LtxFileInfo::minTxid).containsExactly(10L);
        assertThat(client.listFiles(1, 11, false)).isEmpty();
        assertThat(client.listFiles(1, 0, false)).allSatisfy(f -> {
            assertThat(f.level()).isEqualTo(1);
            assertThat(f.size()).isEqualTo(300);
        });
        assertThat(client.listFiles(0, 0, false)).extracting(LtxFileInfo::minTxid).containsExactly(5L);
    }

    @Test
    void timestampsComeFromMetadataWithUseMetadataAndFromUploadTimeWithout() throws Exception {
        Instant old = Instant.parse("2001-02-03T04:05:06.789Z");
        client.createFile(0, 1, 1, LtxBody.of(LtxTestFiles.body(1, 1, old.toEpochMilli(), 200, 1)));
        client.createFile(0, 2, 2, LtxBody.of(LtxTestFiles.body(2, 2, 0, 200, 1)));
        raw.putObject(b -> b.bucket(S3ProxyServer.BUCKET).key(path + "/0000/0000000000000003-0000000000000003.ltx"),
                RequestBody.fromBytes(LtxTestFiles.body(3, 3, 0, 200, 1))); // written without metadata

        List<LtxFileInfo> withMetadata = client.listFiles(0, 0, true);
        assertThat(withMetadata.get(0).createdAt()).isEqualTo(old);
        assertThat(withMetadata.get(1).createdAt()).isEqualTo(Instant.EPOCH);
        Instant now = Instant.now();
        assertThat(withMetadata.get(2).createdAt()).isBetween(now.minusSeconds(120), now.plusSeconds(120));
        assertThat(client.listFiles(0, 0, false)).allSatisfy(f ->
                assertThat(f.createdAt()).isBetween(now.minusSeconds(120), now.plusSeconds(120)));
    }

    @Test
    void listingPaginatesPastAThousandObjectsAndDeletesInBatches() throws Exception {
        int n = 1010;
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<LtxFileInfo>> puts = new ArrayList<>();
            for (long i = n; i >= 1; i--) {
                long txid = i;
                puts.add(pool.submit(() -> put(client, 0, txid, txid)));
            }
            for (Future<LtxFileInfo> f : puts) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        List<LtxFileInfo> all = client.listFiles(0, 0, false);
        assertThat(all).hasSize(n);
        for (int i = 0; i < n; i++) {
            assertThat(all.get(i).minTxid()).isEqualTo(i + 1);
        }
        assertThat(client.listFiles(0, 1001, true)).hasSize(n - 1000).allSatisfy(f ->
                assertThat(f.createdAt()).isEqualTo(Instant.parse("2024-05-06T07:08:09.120Z")));

        List<LtxFileInfo> toDelete = new ArrayList<>(all.subList(0, 1005));
        toDelete.add(new LtxFileInfo(0, 5000, 5000, 0, Instant.EPOCH)); // missing: idempotent
        client.deleteFiles(toDelete);
        client.deleteFiles(toDelete);
        assertThat(client.listFiles(0, 0, false)).extracting(LtxFileInfo::minTxid).first().isEqualTo(1006L);
        assertThat(client.listFiles(0, 0, false)).hasSize(n - 1005);
        client.deleteFiles(List.of());
    }

    @Test
    void deleteAllRemovesOnlyThisReplica() throws Exception {
        S3ReplicaClient sibling = open("s3://" + S3ProxyServer.BUCKET + "/" + path + "2?endpoint=" + server.uri());
        put(client, 0, 1, 1);
        put(client, 9, 1, 1);
        raw.putObject(b -> b.bucket(S3ProxyServer.BUCKET).key(path + "/lock.json"), RequestBody.fromString("{}"));
        put(sibling, 0, 1, 1);

        client.deleteAll();
        assertThat(rawKeys(path + "/")).isEmpty();
        assertThat(sibling.listFiles(0, 0, false)).hasSize(1);
        client.deleteAll();
    }

    @Test
    void wrongCredentialsArePermanentAndNameTheBucketNotTheSecret() throws Exception {
        String secret = "WRONG-secret-value-123";
        S3ReplicaClient bad = open("s3://" + S3ProxyServer.BUCKET + "/" + path + "?endpoint=" + server.uri(),
                env(server.accessKey(), secret));
        assertThatThrownBy(() -> bad.listFiles(0, 0, false))
                .isInstanceOf(ReplicaPermanentException.class)
                .hasMessageContaining(S3ProxyServer.BUCKET).hasMessageContaining("access denied")
                .satisfies(e -> assertThat(e.toString()).doesNotContain(secret));
        assertThatThrownBy(() -> bad.createFile(0, 1, 1, LtxBody.of(LtxTestFiles.body(1, 1, 0, 200, 1))))
                .isInstanceOf(ReplicaPermanentException.class)
                .satisfies(e -> assertThat(e.toString()).doesNotContain(secret));
        S3ReplicaClient unknownKey = open("s3://" + S3ProxyServer.BUCKET + "/" + path + "?endpoint=" + server.uri(),
                env("nobody", secret));
        assertThatThrownBy(() -> unknownKey.openFile(0, 1, 1, 0, 0)).isInstanceOf(ReplicaPermanentException.class);
        assertThat(bad.toString()).doesNotContain(secret).contains(S3ProxyServer.BUCKET);
    }

    @Test
    void incompleteCredentialsNameTheVariables() {
        // No keys at all is not an open error any more: the SDK default chain is asked at the first request
        // (S3CredentialSourcesTest#noCredentialsAnywhereIsAClearErrorAtTheFirstRequest).
        assertThatThrownBy(() -> open("s3://b/db?endpoint=" + server.uri(),
                ReplicaEnvironment.of(Map.of("AWS_ACCESS_KEY_ID", "id-only"))))
                .isInstanceOf(ReplicaPermanentException.class)
                .hasMessageContaining("AWS_SECRET_ACCESS_KEY");
        assertThatThrownBy(() -> open("s3://b/db?endpoint=" + server.uri(),
                ReplicaEnvironment.of(Map.of("LITESTREAM_SECRET_ACCESS_KEY", "s3cr3t-only"))))
                .isInstanceOf(ReplicaPermanentException.class)
                .hasMessageContaining("LITESTREAM_ACCESS_KEY_ID").message().doesNotContain("s3cr3t-only");
    }

    @Test
    void litestreamCredentialVariablesAreAFallback() throws Exception {
        Map<String, String> vars = new HashMap<>();
        vars.put("LITESTREAM_ACCESS_KEY_ID", server.accessKey());
        vars.put("LITESTREAM_SECRET_ACCESS_KEY", server.secretKey());
        vars.put("LITESTREAM_S3_ENDPOINT", server.uri().toString());
        S3ReplicaClient viaEnv = open("s3://" + S3ProxyServer.BUCKET + "/" + path, ReplicaEnvironment.of(vars));
        put(viaEnv, 0, 1, 1);
        assertThat(client.listFiles(0, 0, false)).hasSize(1);
    }

    @Test
    void unknownBucketIsPermanentAndNamed() throws Exception {
        S3ReplicaClient missing = open("s3://no-such-bucket-x/db?endpoint=" + server.uri());
        assertThatThrownBy(() -> missing.listFiles(0, 0, false))
                .isInstanceOf(ReplicaPermanentException.class).hasMessageContaining("'no-such-bucket-x' does not exist");
        assertThatThrownBy(() -> missing.createFile(0, 1, 1, LtxBody.of(LtxTestFiles.body(1, 1, 0, 200, 1))))
                .isInstanceOf(ReplicaPermanentException.class).hasMessageContaining("no-such-bucket-x");
        assertThatThrownBy(() -> missing.openFile(0, 1, 1, 0, 0))
                .isInstanceOf(ReplicaPermanentException.class).hasMessageContaining("no-such-bucket-x");
    }

    @Test
    void providerIsRegisteredForServiceLoaderAndOpensClients() throws Exception {
        // Registered both ways: module descriptor (module path) and META-INF/services (class path).
        assertThat(S3ReplicaClientProvider.class.getModule().getDescriptor().provides())
                .anySatisfy(p -> {
                    assertThat(p.service()).isEqualTo(ReplicaClientProvider.class.getName());
                    assertThat(p.providers()).containsExactly(S3ReplicaClientProvider.class.getName());
                });
        try (InputStream services = S3ReplicaClientProvider.class.getModule()
                .getResourceAsStream("META-INF/services/" + ReplicaClientProvider.class.getName())) {
            assertThat(new String(services.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).trim())
                    .isEqualTo(S3ReplicaClientProvider.class.getName());
        }
        ReplicaClientProvider provider = new S3ReplicaClientProvider();
        assertThat(provider.scheme()).isEqualTo("s3");
        try (ReplicaClient viaProvider = provider.open(
                ReplicaUrl.parse("s3://" + S3ProxyServer.BUCKET + "/" + path + "?endpoint=" + server.uri()),
                env(server.accessKey(), server.secretKey()))) {
            assertThat(viaProvider.type()).isEqualTo("s3");
            put(viaProvider, 0, 1, 1);
            assertThat(client.listFiles(0, 0, false)).hasSize(1);
        }
    }

    @Test
    void badArgumentsAreTypedErrors() {
        assertThatThrownBy(() -> client.listFiles(10, 0, false)).isInstanceOf(ReplicaPermanentException.class)
                .hasMessageContaining("level 10");
        assertThatThrownBy(() -> client.openFile(0, 1, 1, -1, 0)).isInstanceOf(ReplicaPermanentException.class)
                .hasMessageContaining("offset=-1");
    }
}
