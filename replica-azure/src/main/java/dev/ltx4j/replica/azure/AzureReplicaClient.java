package dev.ltx4j.replica.azure;

import static dev.ltx4j.replica.support.ReplicaArguments.checkLevel;
import static dev.ltx4j.replica.support.ReplicaArguments.checkRead;

import com.azure.core.http.HttpClient;
import com.azure.core.http.jdk.httpclient.JdkHttpClientBuilder;
import com.azure.core.util.Context;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobServiceClientBuilder;
import com.azure.storage.blob.models.BlobErrorCode;
import com.azure.storage.blob.models.BlobItem;
import com.azure.storage.blob.models.BlobListDetails;
import com.azure.storage.blob.models.BlobRange;
import com.azure.storage.blob.models.BlobStorageException;
import com.azure.storage.blob.models.ListBlobsOptions;
import com.azure.storage.blob.options.BlobInputStreamOptions;
import com.azure.storage.common.StorageSharedKeyCredential;
import com.azure.storage.common.policy.RequestRetryOptions;
import com.azure.storage.common.policy.RetryPolicyType;
import dev.ltx4j.ltx.LtxHeader;
import dev.ltx4j.ltx.TxidRange;
import dev.ltx4j.replica.LtxBody;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaEnvironment;
import dev.ltx4j.replica.ReplicaException;
import dev.ltx4j.replica.ReplicaPermanentException;
import dev.ltx4j.replica.ReplicaTransientException;
import dev.ltx4j.replica.ReplicaUrl;
import dev.ltx4j.replica.StoreRequests;
import dev.ltx4j.replica.azure.AzureErrors.Op;
import dev.ltx4j.replica.azure.AzureReplicaConfig.Credential;
import dev.ltx4j.replica.support.MetadataTimestamp;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A {@link ReplicaClient} on Azure Blob Storage (or Azurite) with Litestream's layout
 * ({@code <path>/ltx/<level>/<min>-<max>.ltx}) and metadata ({@code litestreamtimestamp}).
 *
 * <p>Creates send {@code If-None-Match: *} (409 BlobAlreadyExists or 412 ConditionNotMet both mean "already
 * exists") on the request that makes the blob visible, without SDK retries so a replayed create cannot mistake its
 * own blob for a rival's: one Put Blob for bodies up to 4 MiB, otherwise 4 MiB blocks staged (with retries) and
 * committed by one Put Block List (see {@link AzureCreateUpload}); memory use stays at one block. Other calls try up to
 * 10 times (429, 500, 503, I/O errors), as Litestream does, waiting 1 s growing to 10 s; a call that fails after
 * them says so ({@link ReplicaTransientException#backendRetried}), so the engine does not repeat them.
 * An unreachable endpoint (no connection, or no response within the request timeout) is not retried by the SDK
 * and fails naming the endpoint (see {@link UnreachableEndpointPolicy} and {@link dev.ltx4j.replica.ReplicaTimeouts}).
 * Listings filter {@code minTxid >= seek} client-side (Litestream's prefix-based seek returns only exact matches).
 * Uses the JDK HTTP client; thread-safe.
 */
public final class AzureReplicaClient implements ReplicaClient {
    static final String TIMESTAMP_METADATA = "litestreamtimestamp";
    /** Ranges up to this size are fetched in one request into memory; longer reads stream in chunks. */
    private static final long SINGLE_REQUEST_READ = 4L * 1024 * 1024;
    private static final int DELETE_CONCURRENCY = 16;
    /** Largest single Put Blob, and the size of each staged block beyond it. */
    static final int UPLOAD_BLOCK_SIZE = 4 * 1024 * 1024;
    /**
     * Tries of one call by the storage retry policy (Litestream's count). It retries 429, 500 and 503 (and I/O
     * errors) only, so a call that ends in one of those statuses sent exactly this many requests:
     * {@link AzureErrors} reports it as {@link ReplicaTransientException#backendRetried}.
     */
    static final int SDK_TRIES = 10;
    private static final Duration RETRY_DELAY = Duration.ofSeconds(1);
    /**
     * Longest wait between two tries: the engine's own longest backoff. The SDK's usual 30 s made one call under
     * sustained throttling wait 1+3+7+15+5x30 = 176 s, beyond the engine's 2-minute bound for a whole operation; with
     * 10 s it is 71 s (docs/field-probes.md, round 8).
     */
    private static final Duration MAX_RETRY_DELAY = Duration.ofSeconds(10);

    private final AzureReplicaConfig config;
    private final AzureKeyLayout layout;
    private final BlobContainerClient container;
    private final BlobContainerClient conditionalContainer;
    private final AzureCreateUpload upload;
    private final ExecutorService deletePool;
    private final StoreRequests storeRequests = new StoreRequests();
    private volatile boolean closed;

    private AzureReplicaClient(AzureReplicaConfig config, int uploadBlockSize, Duration retryDelay) {
        this.config = config;
        this.layout = new AzureKeyLayout(config.path());
        Duration request = config.timeouts().request();
        HttpClient http = new JdkHttpClientBuilder()
                .connectionTimeout(config.timeouts().connect())
                .responseTimeout(request)
                .readTimeout(request)
                .writeTimeout(request)
                .build();
        // A try may spend a connect timeout and then a request timeout; the HTTP client's own timeouts fire first.
        Duration tryTimeout = request.plus(config.timeouts().connect()).plusSeconds(1);
        this.container = serviceBuilder(config, http, storeRequests)
                .retryOptions(new RequestRetryOptions(RetryPolicyType.EXPONENTIAL, SDK_TRIES, tryTimeout,
                        retryDelay, MAX_RETRY_DELAY.compareTo(retryDelay) < 0 ? retryDelay : MAX_RETRY_DELAY, null))
                .buildClient().getBlobContainerClient(config.container());
        this.conditionalContainer = serviceBuilder(config, http, storeRequests)
                .retryOptions(new RequestRetryOptions(RetryPolicyType.FIXED, 1, tryTimeout,
                        Duration.ofMillis(1), Duration.ofMillis(1), null))
                .buildClient().getBlobContainerClient(config.container());
        this.upload = new AzureCreateUpload(container, conditionalContainer, config.container(), uploadBlockSize,
                new SecureRandom());
        AtomicInteger threads = new AtomicInteger();
        this.deletePool = Executors.newFixedThreadPool(DELETE_CONCURRENCY, r -> {
            Thread t = new Thread(r, "abs-replica-delete-" + threads.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /** Opens a client; no request is made until the first call. */
    public static AzureReplicaClient open(AzureReplicaConfig config) {
        return new AzureReplicaClient(config, UPLOAD_BLOCK_SIZE, RETRY_DELAY);
    }

    /** As {@link #open(AzureReplicaConfig)} with the SDK's first retry delay replaced (tests: its tries unchanged). */
    static AzureReplicaClient open(AzureReplicaConfig config, Duration retryDelay) {
        return new AzureReplicaClient(config, UPLOAD_BLOCK_SIZE, retryDelay);
    }

    /** Opens a client with a smaller upload block size, so tests can exercise block staging with small bodies. */
    static AzureReplicaClient open(AzureReplicaConfig config, int uploadBlockSize) {
        return new AzureReplicaClient(config, uploadBlockSize, RETRY_DELAY);
    }

    /** Parses {@code url} with {@link AzureUrlParser} and opens a client. */
    public static AzureReplicaClient open(ReplicaUrl url, ReplicaEnvironment env)
            throws ReplicaPermanentException {
        return open(AzureUrlParser.parse(url, env));
    }

    private static BlobServiceClientBuilder serviceBuilder(AzureReplicaConfig config, HttpClient http,
            StoreRequests storeRequests) {
        BlobServiceClientBuilder builder = new BlobServiceClientBuilder().httpClient(http)
                .addPolicy(new UnreachableEndpointPolicy(config.timeouts()))
                .addPolicy(new StoreRequestPolicy(storeRequests));
        // Added before ForeignErrorPagePolicy, so the refusal check sees a response after a proxy's page was dropped
        // unread (a response passes the policies added later first).
        AzureTokenCredentials.refusalPolicy(config.credential()).ifPresent(builder::addPolicy);
        builder.addPolicy(new ForeignErrorPagePolicy());
        SasExpiryPolicy.of(config.credential(), Clock.systemUTC()).ifPresent(builder::addPolicy);
        Credential credential = config.credential();
        if (credential instanceof Credential.ConnectionString cs) {
            builder.connectionString(cs.value());
        } else if (credential instanceof Credential.SharedKey key) {
            builder.credential(new StorageSharedKeyCredential(key.account(), key.key()));
        } else if (credential instanceof Credential.SasToken sas) {
            builder.sasToken(sas.token());
        } else if (credential instanceof Credential.SasHook hook) {
            builder.credential(hook.credential());
        } else if (credential instanceof Credential.Token token) {
            builder.credential(token.credential());
        }
        config.endpoint().ifPresent(builder::endpoint);
        return builder;
    }

    public AzureReplicaConfig config() {
        return config;
    }

    @Override
    public String type() {
        return "abs";
    }

    /** Every HTTP attempt of both container clients, counted by {@link StoreRequestPolicy}. */
    @Override
    public Optional<StoreRequests> storeRequests() {
        return Optional.of(storeRequests);
    }

    @Override
    public boolean holdsLitestreamV3Generations() throws ReplicaException {
        checkOpen();
        String prefix = layout.isRoot() ? "generations/" : layout.replicaPrefix() + "generations/"; // v0.3: path.Join
        try {
            // One page (a single request); only generations/<16 hex>/... counts, not a stray blob.
            return container.listBlobs(new ListBlobsOptions().setPrefix(prefix)
                    .setMaxResultsPerPage(dev.ltx4j.replica.support.LitestreamV3Keys.LISTING_PAGE), null)
                    .iterableByPage().iterator().next().getValue().stream()
                    .anyMatch(b -> dev.ltx4j.replica.support.LitestreamV3Keys.isGenerationEntry(
                            b.getName().substring(prefix.length())));
        } catch (RuntimeException e) {
            throw AzureErrors.map(Op.LIST, "list", config.container(), prefix, e);
        }
    }

    @Override
    public List<LtxFileInfo> listFiles(int level, long seekTxid, boolean useMetadata) throws ReplicaException {
        checkOpen();
        checkLevel("abs", level);
        String prefix = layout.levelPrefix(level);
        ListBlobsOptions options = new ListBlobsOptions().setPrefix(prefix)
                .setDetails(new BlobListDetails().setRetrieveMetadata(true));
        List<LtxFileInfo> files = new ArrayList<>();
        try {
            for (BlobItem item : container.listBlobs(options, null)) {
                String name = item.getName();
                if (name.indexOf('/', prefix.length()) >= 0) {
                    continue; // nested blobs are not files of this level
                }
                TxidRange range = TxidRange.parseFilename(name.substring(prefix.length())).orElse(null);
                if (range == null || Long.compareUnsigned(range.minTxid(), seekTxid) < 0) {
                    continue;
                }
                Map<String, String> metadata = item.getMetadata();
                Instant createdAt = MetadataTimestamp.parse(metadata == null ? null : metadata.get(TIMESTAMP_METADATA))
                        .orElseGet(() -> item.getProperties().getCreationTime().toInstant());
                files.add(new LtxFileInfo(level, range.minTxid(), range.maxTxid(),
                        item.getProperties().getContentLength(), createdAt));
            }
        } catch (RuntimeException e) {
            throw AzureErrors.map(Op.LIST, "list", config.container(), prefix, e);
        }
        files.sort(Comparator.comparing(LtxFileInfo::range));
        return files;
    }

    @Override
    public InputStream openFile(int level, long minTxid, long maxTxid, long offset, long length)
            throws ReplicaException {
        checkOpen();
        checkRead("abs", level, minTxid, maxTxid, offset, length);
        String key = layout.key(level, minTxid, maxTxid);
        try {
            if (length > 0 && length <= SINGLE_REQUEST_READ) {
                ByteArrayOutputStream out = new ByteArrayOutputStream((int) length);
                container.getBlobClient(key).downloadStreamWithResponse(out, new BlobRange(offset, length), null, null,
                        false, null, Context.NONE);
                return new ByteArrayInputStream(out.toByteArray());
            }
            return container.getBlobClient(key).openInputStream(new BlobInputStreamOptions()
                    .setRange(new BlobRange(offset, length == 0 ? null : length)));
        } catch (BlobStorageException e) {
            if (e.getStatusCode() == 416) {
                return InputStream.nullInputStream(); // offset at or past the end: the contract's empty read
            }
            throw AzureErrors.map(Op.READ, "read", config.container(), key, e);
        } catch (RuntimeException e) {
            throw AzureErrors.map(Op.READ, "read", config.container(), key, e);
        }
    }

    @Override
    public LtxFileInfo createFile(int level, long minTxid, long maxTxid, LtxBody body) throws ReplicaException {
        checkOpen();
        checkLevel("abs", level);
        String key = layout.key(level, minTxid, maxTxid);
        LtxHeader header = body.peekHeader("L" + level + "/" + new TxidRange(minTxid, maxTxid).filename());
        Instant timestamp = Instant.ofEpochMilli(header.timestamp());
        upload.create(key, body, Map.of(TIMESTAMP_METADATA, MetadataTimestamp.format(timestamp)));
        return new LtxFileInfo(level, minTxid, maxTxid, body.length(), timestamp);
    }

    @Override
    public void deleteFiles(Collection<LtxFileInfo> files) throws ReplicaException {
        checkOpen();
        List<String> keys = new ArrayList<>(files.size());
        for (LtxFileInfo f : files) {
            checkLevel("abs", f.level());
            keys.add(layout.key(f.level(), f.minTxid(), f.maxTxid()));
        }
        deleteKeys(keys);
    }

    @Override
    public void deleteAll() throws ReplicaException {
        checkOpen();
        String prefix = layout.replicaPrefix();
        List<String> keys = new ArrayList<>();
        try {
            for (BlobItem item : container.listBlobs(new ListBlobsOptions().setPrefix(prefix), null)) {
                keys.add(item.getName());
            }
        } catch (BlobStorageException e) {
            if (BlobErrorCode.CONTAINER_NOT_FOUND.equals(e.getErrorCode())) {
                return;
            }
            throw AzureErrors.map(Op.DELETE, "list for delete", config.container(), prefix, e);
        } catch (RuntimeException e) {
            throw AzureErrors.map(Op.DELETE, "list for delete", config.container(), prefix, e);
        }
        deleteKeys(keys);
    }

    private void deleteKeys(List<String> keys) throws ReplicaException {
        List<Future<?>> deletes = new ArrayList<>(keys.size());
        for (String key : keys) {
            deletes.add(deletePool.submit(() -> {
                try {
                    container.getBlobClient(key).deleteIfExists();
                } catch (BlobStorageException e) {
                    if (!BlobErrorCode.CONTAINER_NOT_FOUND.equals(e.getErrorCode())) {
                        throw AzureErrors.map(Op.DELETE, "delete", config.container(), key, e);
                    }
                } catch (RuntimeException e) {
                    throw AzureErrors.map(Op.DELETE, "delete", config.container(), key, e);
                }
                return null;
            }));
        }
        ReplicaException first = null;
        for (Future<?> delete : deletes) {
            try {
                delete.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                deletes.forEach(d -> d.cancel(true));
                throw new ReplicaTransientException("abs: delete interrupted in container '" + config.container() + "'", e);
            } catch (ExecutionException e) {
                if (first == null) {
                    first = e.getCause() instanceof ReplicaException re ? re
                            : new ReplicaTransientException("abs: delete failed: " + e.getCause(), e.getCause());
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }

    @Override
    public void close() {
        closed = true;
        deletePool.shutdownNow();
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("Azure replica client for " + config.describe() + " is closed");
        }
    }

    @Override
    public String toString() {
        return "AzureReplicaClient[" + config.describe() + "]";
    }
}
