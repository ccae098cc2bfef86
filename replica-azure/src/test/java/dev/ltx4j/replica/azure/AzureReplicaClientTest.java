package dev.ltx4j.replica.azure;

import dev.ltx4j.conformance.LtxTestFiles;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobServiceClientBuilder;
import com.azure.storage.blob.models.BlobItem;
import com.azure.storage.blob.models.BlobListDetails;
import com.azure.storage.blob.models.ListBlobsOptions;
import com.azure.core.credential.AzureSasCredential;
import com.azure.storage.blob.sas.BlobContainerSasPermission;
import com.azure.storage.blob.sas.BlobServiceSasSignatureValues;
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
import dev.ltx4j.replica.azure.AzuriteServer.Endpoint;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
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

@ExtendWith(AzuriteServer.class)
class AzureReplicaClientTest {
    static final String CONTAINER = "ltx4j-test";
    private static final AtomicInteger REPLICAS = new AtomicInteger();
    private static final ReplicaEnvironment KEY_ENV = ReplicaEnvironment.of(Map.of("LITESTREAM_AZURE_ACCOUNT_KEY",
            AzuriteServer.KEY));

    private final Endpoint server;
    private final BlobContainerClient raw;
    private final List<ReplicaClient> opened = new ArrayList<>();
    private String path;
    private AzureReplicaClient client;

    AzureReplicaClientTest(Endpoint server) {
        this.server = server;
        this.raw = new BlobServiceClientBuilder().connectionString(server.connectionString()).buildClient()
                .getBlobContainerClient(CONTAINER);
        raw.createIfNotExists();
    }

    @BeforeEach
    void open(TestInfo info) throws Exception {
        path = "t" + REPLICAS.incrementAndGet() + "-" + info.getTestMethod().orElseThrow().getName();
        client = open(url(CONTAINER, path), KEY_ENV);
    }

    @AfterEach
    void close() {
        opened.forEach(ReplicaClient::close);
    }

    private String url(String container, String replicaPath) {
        return "abs://" + AzuriteServer.ACCOUNT + "@" + container + "/" + replicaPath + "?endpoint=" + server.blobEndpoint();
    }

    private AzureReplicaClient open(String url, ReplicaEnvironment env) throws ReplicaException {
        AzureReplicaClient c = AzureReplicaClient.open(ReplicaUrl.parse(url), env);
        opened.add(c);
        return c;
    }

    private static long ms(String instant) {
        return Instant.parse(instant).toEpochMilli();
    }

    private LtxFileInfo put(ReplicaClient c, int level, long min, long max) throws ReplicaException {
        return c.createFile(level, min, max, LtxBody.of(LtxTestFiles.body(min, max, ms("2024-05-06T07:08:09.120Z"), 300, min)));
    }

    private List<String> rawNames(String prefix) {
        return raw.listBlobs(new ListBlobsOptions().setPrefix(prefix), null).stream().map(BlobItem::getName).toList();
    }

    /** Round 8 (a new user): a Litestream v0.3 replica is told apart with one listing of at most one blob. */
    @Test
    void aLitestreamV3ReplicaIsToldApartWithOneListing() throws Exception {
        for (int i = 0; i < 2; i++) {
            raw.getBlobClient(path + "/generations/a1b2c3d4e5f60718/snapshots/0000000" + i + ".snapshot.lz4")
                    .upload(new ByteArrayInputStream(new byte[] {1}), 1);
        }
        assertThat(client.holdsLitestreamV3Generations()).isTrue();
        assertThat(client.storeRequests().orElseThrow().count("list", "ok")).isEqualTo(1);
        assertThat(client.storeRequests().orElseThrow().total()).isEqualTo(1);
        assertThat(open(url(CONTAINER, path + "x"), KEY_ENV).holdsLitestreamV3Generations()).isFalse();
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
        assertThat(client.readRange(9, 1, 5, 4990, 100)).isEqualTo(Arrays.copyOfRange(body, 4990, 5000));
        assertThat(client.readRange(9, 1, 5, 5000, 0)).isEmpty();
        assertThat(client.readRange(9, 1, 5, 9000, 10)).isEmpty();
        assertThat(client.readRange(9, 1, 5, 9000, 0)).isEmpty();
    }

    @Test
    void largeReadsStreamInChunks() throws Exception {
        byte[] body = LtxTestFiles.body(1, 1, 0, 9 * 1024 * 1024 + 17, 7);
        client.createFile(0, 1, 1, LtxBody.of(body));
        assertThat(client.readRange(0, 1, 1, 0, 0)).isEqualTo(body);
        assertThat(client.readRange(0, 1, 1, 100, 5 * 1024 * 1024))
                .isEqualTo(Arrays.copyOfRange(body, 100, 100 + 5 * 1024 * 1024));
        try (InputStream in = client.openFile(0, 1, 1, 0, 0)) {
            assertThat(in.read()).isEqualTo(body[0] & 0xff);
        }
    }

    @Test
    void keysAndMetadataAreExactlyLitestreams() throws Exception {
        put(client, 0, 1, 1);
        put(client, 9, 1, 0xff);
        put(client, 3, 0x10, 0x2a);
        assertThat(rawNames(path + "/")).containsExactly(
                path + "/ltx/0/0000000000000001-0000000000000001.ltx",
                path + "/ltx/3/0000000000000010-000000000000002a.ltx",
                path + "/ltx/9/0000000000000001-00000000000000ff.ltx");
        assertThat(raw.getBlobClient(path + "/ltx/0/0000000000000001-0000000000000001.ltx").getProperties().getMetadata())
                .containsEntry("litestreamtimestamp", "2024-05-06T07:08:09.12Z");
    }

    @Test
    void rootReplicaKeepsFilesUnderLtxAndDeleteAllTouchesNothingElse() throws Exception {
        String container = "root-" + REPLICAS.incrementAndGet();
        BlobContainerClient rootRaw = new BlobServiceClientBuilder().connectionString(server.connectionString())
                .buildClient().getBlobContainerClient(container);
        rootRaw.create();
        rootRaw.getBlobClient("other/keep.txt").upload(new ByteArrayInputStream(new byte[] {1}), 1);
        AzureReplicaClient root = open("abs://" + AzuriteServer.ACCOUNT + "@" + container + "?endpoint="
                + server.blobEndpoint(), KEY_ENV);
        put(root, 0, 1, 1);
        assertThat(rootRaw.listBlobs().stream().map(BlobItem::getName))
                .containsExactlyInAnyOrder("ltx/0/0000000000000001-0000000000000001.ltx", "other/keep.txt");
        root.deleteAll();
        assertThat(rootRaw.listBlobs().stream().map(BlobItem::getName)).containsExactly("other/keep.txt");
    }

    @Test
    void createOfAnExistingFileIsAlreadyExistsAndKeepsTheFirstBody() throws Exception {
        byte[] first = LtxTestFiles.body(3, 3, 1000, 400, 1);
        client.createFile(0, 3, 3, LtxBody.of(first));
        assertThatThrownBy(() -> client.createFile(0, 3, 3, LtxBody.of(LtxTestFiles.body(3, 3, 2000, 500, 2))))
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
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void invalidBodiesAreRejectedBeforeAnythingIsWritten() throws Exception {
        assertThatThrownBy(() -> client.createFile(0, 1, 1, LtxBody.of(new byte[10])))
                .isInstanceOf(ReplicaPermanentException.class).hasMessageContaining("shorter than the 100-byte");
        byte[] badMagic = LtxTestFiles.body(1, 1, 0, 200, 1);
        badMagic[1] = 'Q';
        assertThatThrownBy(() -> client.createFile(0, 1, 1, LtxBody.of(badMagic)))
                .isInstanceOf(ReplicaPermanentException.class).hasMessageContaining("magic");
        assertThat(rawNames(path + "/")).isEmpty();
    }

    @Test
    void missingFilesAndContainersAreNotFoundOnReads() throws Exception {
        assertThatThrownBy(() -> client.openFile(0, 1, 1, 0, 0)).isInstanceOf(ReplicaNotFoundException.class)
                .hasMessageContaining(path + "/ltx/0/0000000000000001-0000000000000001.ltx");
        assertThatThrownBy(() -> client.openFile(0, 1, 1, 0, 10)).isInstanceOf(ReplicaNotFoundException.class);
        AzureReplicaClient missing = open(url("no-such-container", "db"), KEY_ENV);
        assertThatThrownBy(() -> missing.openFile(0, 1, 1, 0, 0)).isInstanceOf(ReplicaNotFoundException.class);
        assertThatThrownBy(() -> missing.listFiles(0, 0, false)).isInstanceOf(ReplicaPermanentException.class)
                .hasMessageContaining("container 'no-such-container' does not exist");
        assertThatThrownBy(() -> missing.createFile(0, 1, 1, LtxBody.of(LtxTestFiles.body(1, 1, 0, 200, 1))))
                .isInstanceOf(ReplicaPermanentException.class).hasMessageContaining("no-such-container");
        missing.deleteFiles(List.of(new LtxFileInfo(0, 1, 1, 0, Instant.EPOCH)));
        missing.deleteAll();
        assertThat(client.listFiles(5, 0, false)).isEmpty();
    }

    @Test
    void listingIsSortedSeeksByMinTxidAndIgnoresJunkAndOtherLevels() throws Exception {
        for (long[] r : new long[][] {{7, 9}, {1, 1}, {1, 15}, {2, 3}, {4, 6}, {10, 10}}) {
            put(client, 1, r[0], r[1]);
        }
        put(client, 0, 5, 5);
        for (String junk : List.of("0000000000000008-0000000000000008.ltx.tmp", "0000000000000008-000000000000000A.ltx",
                "lock.json", "sub/0000000000000008-0000000000000008.ltx")) {
            raw.getBlobClient(path + "/ltx/1/" + junk).upload(new ByteArrayInputStream(new byte[] {1}), 1);
        }
        assertThat(client.listFiles(1, 0, false)).extracting(LtxFileInfo::toString).containsExactly(
                "L1/0000000000000001-0000000000000001.ltx", "L1/0000000000000001-000000000000000f.ltx",
                "L1/0000000000000002-0000000000000003.ltx", "L1/0000000000000004-0000000000000006.ltx",
                "L1/0000000000000007-0000000000000009.ltx", "L1/000000000000000a-000000000000000a.ltx");
        // Seek into a gap returns the next file (Litestream's abs client returns nothing here: its seek is a prefix).
        assertThat(client.listFiles(1, 5, false)).extracting(LtxFileInfo::minTxid).containsExactly(7L, 10L);
        assertThat(client.listFiles(1, 4, true)).extracting(LtxFileInfo::minTxid).containsExactly(4L, 7L, 10L);
        assertThat(client.listFiles(1, 11, false)).isEmpty();
        assertThat(client.listFiles(0, 0, false)).extracting(LtxFileInfo::minTxid).containsExactly(5L);
    }

    @Test
    void timestampsComeFromMetadataElseCreationTime() throws Exception {
        Instant old = Instant.parse("2001-02-03T04:05:06.789Z");
        client.createFile(0, 1, 1, LtxBody.of(LtxTestFiles.body(1, 1, old.toEpochMilli(), 200, 1)));
        byte[] bare = LtxTestFiles.body(2, 2, 0, 200, 1);
        raw.getBlobClient(path + "/ltx/0/0000000000000002-0000000000000002.ltx")
                .upload(new ByteArrayInputStream(bare), bare.length);
        List<LtxFileInfo> files = client.listFiles(0, 0, false);
        assertThat(files.get(0).createdAt()).isEqualTo(old);
        Instant now = Instant.now();
        assertThat(files.get(1).createdAt()).isBetween(now.minusSeconds(120), now.plusSeconds(120));
        assertThat(client.listFiles(0, 0, true)).isEqualTo(files);
    }

    @Test
    void deletesAreIdempotentAndDeleteAllStaysInsideTheReplica() throws Exception {
        AzureReplicaClient sibling = open(url(CONTAINER, path + "2"), KEY_ENV);
        List<LtxFileInfo> created = new ArrayList<>();
        for (long i = 1; i <= 30; i++) {
            created.add(put(client, 0, i, i));
        }
        put(client, 9, 1, 30);
        put(sibling, 0, 1, 1);
        client.deleteFiles(created.subList(0, 20));
        client.deleteFiles(created.subList(0, 20));
        client.deleteFiles(List.of());
        assertThat(client.listFiles(0, 0, false)).extracting(LtxFileInfo::minTxid).first().isEqualTo(21L);
        client.deleteAll();
        assertThat(rawNames(path + "/")).isEmpty();
        assertThat(sibling.listFiles(0, 0, false)).hasSize(1);
        client.deleteAll();
    }

    @Test
    void wrongKeyIsPermanentAndSecretsNeverAppear() throws Exception {
        String wrongKey = java.util.Base64.getEncoder().encodeToString("definitely-not-the-key-0123456789ab".getBytes());
        AzureReplicaClient bad = open(url(CONTAINER, path), ReplicaEnvironment.of(
                Map.of("LITESTREAM_AZURE_ACCOUNT_KEY", wrongKey)));
        assertThatThrownBy(() -> bad.listFiles(0, 0, false))
                .isInstanceOf(ReplicaPermanentException.class)
                .hasMessageContaining("access denied to container '" + CONTAINER + "'")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(wrongKey));
        assertThatThrownBy(() -> bad.createFile(0, 1, 1, LtxBody.of(LtxTestFiles.body(1, 1, 0, 200, 1))))
                .isInstanceOf(ReplicaPermanentException.class)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(wrongKey));
        assertThat(bad.toString()).doesNotContain(wrongKey);
        assertThat(bad.config().toString()).doesNotContain(wrongKey);
    }

    @Test
    void connectionStringFromTheEnvironmentWorks() throws Exception {
        AzureReplicaClient viaCs = open("abs://" + CONTAINER + "/" + path, ReplicaEnvironment.of(
                Map.of("AZURE_STORAGE_CONNECTION_STRING", server.connectionString())));
        put(viaCs, 0, 1, 1);
        assertThat(client.listFiles(0, 0, false)).hasSize(1);
    }

    @Test
    void sasTokenFromTheEnvironmentWorksAndNeverAppears() throws Exception {
        String sas = raw.generateSas(new BlobServiceSasSignatureValues(OffsetDateTime.now().plusHours(1),
                BlobContainerSasPermission.parse("racwdl")));
        assertThat(sas).contains("sig=");
        AzureReplicaClient viaSas = open(url(CONTAINER, path), ReplicaEnvironment.of(
                Map.of("LITESTREAM_AZURE_SAS_TOKEN", sas)));
        put(viaSas, 0, 1, 1);
        assertThat(viaSas.listFiles(0, 0, false)).hasSize(1);
        assertThat(client.listFiles(0, 0, false)).hasSize(1);
        String sig = sas.replaceAll(".*sig=([^&]*).*", "$1");
        assertThat(viaSas.toString()).doesNotContain(sig);
        assertThat(viaSas.config().toString()).doesNotContain(sig);
        // A read-only SAS cannot create: a permanent error that does not show the token.
        String readOnly = raw.generateSas(new BlobServiceSasSignatureValues(OffsetDateTime.now().plusHours(1),
                BlobContainerSasPermission.parse("rl")));
        AzureReplicaClient reader = open(url(CONTAINER, path), ReplicaEnvironment.of(
                Map.of("LITESTREAM_AZURE_SAS_TOKEN", readOnly)));
        assertThat(reader.listFiles(0, 0, false)).hasSize(1);
        assertThatThrownBy(() -> put(reader, 0, 2, 2)).isInstanceOf(ReplicaPermanentException.class)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(readOnly.replaceAll(".*sig=([^&]*).*", "$1")));
    }

    /**
     * A SAS that expires while the client runs, and one already expired in a connection string: Azure refuses both with
     * a bare AuthorizationFailure, which read like a wrong key; the error now says the SAS expired and when.
     */
    @Test
    void anExpiredSasIsNamedAsExpiredWithoutItsSignature() throws Exception {
        String sas = raw.generateSas(new BlobServiceSasSignatureValues(OffsetDateTime.now().plusSeconds(2),
                BlobContainerSasPermission.parse("racwdl")));
        String sig = sas.replaceAll(".*sig=([^&]*).*", "$1");
        AzureReplicaClient viaSas = open(url(CONTAINER, path), ReplicaEnvironment.of(
                Map.of("LITESTREAM_AZURE_SAS_TOKEN", sas)));
        put(viaSas, 0, 1, 1);
        Thread.sleep(3_000); // past the SAS's expiry (whole seconds) on this machine, which Azurite shares
        assertThatThrownBy(() -> put(viaSas, 0, 2, 2)).isInstanceOf(ReplicaPermanentException.class)
                .hasMessageStartingWith("abs: the SAS token (LITESTREAM_AZURE_SAS_TOKEN) expired at ")
                .hasMessageContaining("restart with a new one")
                .hasMessageContaining("in container '" + CONTAINER + "'")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(sig));
        assertThatThrownBy(() -> viaSas.listFiles(0, 0, false)).isInstanceOf(ReplicaPermanentException.class)
                .hasMessageContaining("expired at ");

        String old = raw.generateSas(new BlobServiceSasSignatureValues(OffsetDateTime.now().minusMinutes(5),
                BlobContainerSasPermission.parse("racwdl")));
        AzureReplicaClient viaCs = open("abs://" + CONTAINER + "/" + path, ReplicaEnvironment.of(Map.of(
                "AZURE_STORAGE_CONNECTION_STRING", "BlobEndpoint=" + server.blobEndpoint() + ";SharedAccessSignature=" + old)));
        assertThatThrownBy(() -> viaCs.listFiles(0, 0, false)).isInstanceOf(ReplicaPermanentException.class)
                .hasMessageStartingWith("abs: the SAS token (the SharedAccessSignature of AZURE_STORAGE_CONNECTION_STRING)"
                        + " expired at ")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(old.replaceAll(".*sig=([^&]*).*", "$1")));
    }

    /** The embedder's AzureSasCredential: renewed with update() in a running client, which an environment SAS cannot be. */
    @Test
    void anAzureSasCredentialHookIsRenewedInARunningClient() throws Exception {
        String first = raw.generateSas(new BlobServiceSasSignatureValues(OffsetDateTime.now().plusSeconds(2),
                BlobContainerSasPermission.parse("racwdl")));
        AzureSasCredential sas = new AzureSasCredential(first);
        AzureReplicaClient viaHook = open(url(CONTAINER, path), ReplicaEnvironment.of(Map.of())
                .with(AzureSasCredential.class, sas));
        assertThat(viaHook.config().credential()).hasToString("SasHook[***]");
        put(viaHook, 0, 1, 1);
        Thread.sleep(3_000); // past the SAS's expiry (whole seconds) on this machine, which Azurite shares
        assertThatThrownBy(() -> put(viaHook, 0, 2, 2)).isInstanceOf(ReplicaPermanentException.class)
                .hasMessageStartingWith("abs: the SAS token (the configured AzureSasCredential) expired at ")
                .hasMessageContaining("AzureSasCredential.update")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(first.replaceAll(".*sig=([^&]*).*", "$1")));
        sas.update(raw.generateSas(new BlobServiceSasSignatureValues(OffsetDateTime.now().plusHours(1),
                BlobContainerSasPermission.parse("racwdl"))));
        put(viaHook, 0, 2, 2);
        assertThat(viaHook.listFiles(0, 0, false)).hasSize(2);
    }

    @Test
    void providerIsRegisteredAndOpensClients() throws Exception {
        assertThat(AzureReplicaClientProvider.class.getModule().getDescriptor().provides()).anySatisfy(p -> {
            assertThat(p.service()).isEqualTo(ReplicaClientProvider.class.getName());
            assertThat(p.providers()).containsExactly(AzureReplicaClientProvider.class.getName());
        });
        try (InputStream services = AzureReplicaClientProvider.class.getModule()
                .getResourceAsStream("META-INF/services/" + ReplicaClientProvider.class.getName())) {
            assertThat(new String(services.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).trim())
                    .isEqualTo(AzureReplicaClientProvider.class.getName());
        }
        try (ReplicaClient viaProvider = new AzureReplicaClientProvider().open(ReplicaUrl.parse(url(CONTAINER, path)),
                KEY_ENV)) {
            assertThat(viaProvider.type()).isEqualTo("abs");
            put(viaProvider, 0, 1, 1);
        }
        assertThat(client.listFiles(0, 0, false)).hasSize(1);
    }

    @Test
    void printLatencies() throws Exception {
        int n = Integer.getInteger("ltx4j.latency.iterations", 100);
        long[] create = new long[n];
        long[] read = new long[n];
        long[] list = new long[n];
        for (int i = 0; i < n; i++) {
            long txid = i + 1;
            byte[] body = LtxTestFiles.body(txid, txid, 0, 1024, i);
            long t0 = System.nanoTime();
            client.createFile(0, txid, txid, LtxBody.of(body));
            long t1 = System.nanoTime();
            assertThat(client.readRange(0, txid, txid, 100, 512)).isEqualTo(Arrays.copyOfRange(body, 100, 612));
            long t2 = System.nanoTime();
            client.listFiles(0, txid, false);
            long t3 = System.nanoTime();
            create[i] = t1 - t0;
            read[i] = t2 - t1;
            list[i] = t3 - t2;
        }
        System.out.printf("Azurite latency over %d iterations (median / p90 / p99 ms): create 1 KiB %s,"
                + " ranged read 512 B %s, list %s%n", n, stats(create), stats(read), stats(list));
    }

    static String stats(long[] nanos) {
        long[] s = nanos.clone();
        Arrays.sort(s);
        return String.format("%.2f / %.2f / %.2f", s[s.length / 2] / 1e6, s[s.length * 9 / 10] / 1e6,
                s[Math.min(s.length - 1, s.length * 99 / 100)] / 1e6);
    }
}
