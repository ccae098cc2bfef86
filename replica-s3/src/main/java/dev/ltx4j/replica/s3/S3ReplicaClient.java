package dev.ltx4j.replica.s3;

import static dev.ltx4j.replica.support.ReplicaArguments.checkLevel;
import static dev.ltx4j.replica.support.ReplicaArguments.checkRead;

import dev.ltx4j.ltx.LtxHeader;
import dev.ltx4j.ltx.Txid;
import dev.ltx4j.ltx.TxidRange;
import dev.ltx4j.replica.LtxBody;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaEnvironment;
import dev.ltx4j.replica.ReplicaException;
import dev.ltx4j.replica.ReplicaPermanentException;
import dev.ltx4j.replica.ReplicaTransientException;
import dev.ltx4j.replica.StoreRequests;
import dev.ltx4j.replica.s3.S3Errors.Op;
import dev.ltx4j.replica.support.MetadataTimestamp;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.Set;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.SdkHttpConfigurationOption;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.retries.StandardRetryStrategy;
import software.amazon.awssdk.retries.api.BackoffStrategy;
import software.amazon.awssdk.retries.api.RetryStrategy;
import software.amazon.awssdk.services.s3.LegacyMd5Plugin;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.CreateMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.Delete;
import software.amazon.awssdk.services.s3.model.DeleteObjectsResponse;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Error;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.model.ServerSideEncryption;
import software.amazon.awssdk.utils.AttributeMap;

/**
 * A {@link ReplicaClient} on Amazon S3 or an S3-compatible service, with Litestream's key layout
 * ({@code <path>/<level %04x>/<min>-<max>.ltx}) and metadata ({@code litestream-timestamp}).
 *
 * <p>Creates are {@code If-None-Match: *} uploads (a single PUT, or multipart above
 * {@link S3ReplicaConfig#partSize()} with the condition on the completion), sent without SDK retries: a replayed
 * conditional PUT whose first attempt landed would see its own object and report a false conflict. Before its first
 * create a client checks once that the store refuses a second create of one key ({@link S3CreateCheck}: one PUT, two
 * on a replica's first write; a store that ignores {@code If-None-Match} gets every create refused), and before its first
 * multipart create that the store refuses one on completion too (else large files go up as single PUTs). Other calls use
 * the SDK's standard retries (10 attempts, no retry quota), as Litestream does, except for an unreachable endpoint
 * (no connection, or no response within the request timeout), which fails at once naming the endpoint (see
 * {@link FailFastOnUnreachable} and {@link dev.ltx4j.replica.ReplicaTimeouts}). Thread-safe.
 */
public final class S3ReplicaClient implements ReplicaClient {
    private static final int DELETE_BATCH = 1000;
    /** Requests the SDK sends for one call at most (Litestream's count); a failure after more than one is reported as
     * {@link ReplicaTransientException#backendRetried}, so the engine's retries do not multiply them. */
    static final int SDK_ATTEMPTS = 10;
    /** S3's largest single PUT. */
    static final long MAX_SINGLE_PUT = 5L << 30;
    static final String TIMESTAMP_METADATA = "litestream-timestamp";

    private final S3ReplicaConfig config;
    private final S3KeyLayout layout;
    private final SdkHttpClient http;
    private final S3Client s3;
    private final S3Client conditionalS3;
    private final S3Credentials credentials;
    private final ExecutorService headPool;
    private final S3CreateCheck createCheck;
    private final StoreRequests storeRequests = new StoreRequests();
    private volatile boolean closed;

    private S3ReplicaClient(S3ReplicaConfig config, S3Credentials credentials, BackoffStrategy sdkBackoff) {
        this.config = config;
        this.layout = new S3KeyLayout(config.path());
        this.credentials = credentials;
        this.createCheck = new S3CreateCheck(config, layout);
        RevealingSdkLogs.warnIfEnabled();
        this.http = httpClient(config);
        StandardRetryStrategy.Builder sdkRetries = AwsRetryStrategy.standardRetryStrategy().toBuilder()
                .maxAttempts(SDK_ATTEMPTS)
                .circuitBreakerEnabled(false);
        if (sdkBackoff != null) {
            sdkRetries.backoffStrategy(sdkBackoff).throttlingBackoffStrategy(sdkBackoff);
        }
        RetryStrategy retries = sdkRetries.build();
        // The socket timeout (= request timeout) notices a silent server; this backstop also covers connecting and the
        // SDK's own work before it, so a cold start cannot use up a short request timeout before anything is sent.
        Duration attemptTimeout = config.timeouts().request().plus(config.timeouts().connect());
        this.s3 = clientBuilder(config, credentials, http)
                .overrideConfiguration(c -> c.retryStrategy(new ClockSkewOnce(new FailFastOnUnreachable(retries)))
                        .apiCallAttemptTimeout(attemptTimeout)
                        .addExecutionInterceptor(new S3RequestCounting(storeRequests))
                        .addExecutionInterceptor(new S3ErrorFacts()))
                .build();
        this.conditionalS3 = clientBuilder(config, credentials, http)
                .overrideConfiguration(c -> c.retryStrategy(new ClockSkewOnce(AwsRetryStrategy.doNotRetry()))
                        .apiCallAttemptTimeout(attemptTimeout)
                        .addExecutionInterceptor(new S3RequestCounting(storeRequests))
                        .addExecutionInterceptor(new S3ErrorFacts()))
                .build();
        AtomicInteger threads = new AtomicInteger();
        this.headPool = Executors.newFixedThreadPool(config.concurrency(), r -> {
            Thread t = new Thread(r, "s3-replica-head-" + threads.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Opens a client; no request is made until the first call. Credentials: static keys from {@code env}
     * ({@code AWS_ACCESS_KEY_ID}/{@code AWS_SECRET_ACCESS_KEY}[/{@code AWS_SESSION_TOKEN}], or the {@code LITESTREAM_}
     * pair), else an {@code AwsCredentialsProvider} component of {@code env}
     * ({@link ReplicaEnvironment#with}), else the AWS SDK default chain, resolved (and refreshed) per request; when
     * that finds nothing, the first request fails with a {@link ReplicaPermanentException} saying "no credentials"
     * and the chain's reason.
     *
     * @throws ReplicaPermanentException when only one of the access key id and the secret key is set
     */
    public static S3ReplicaClient open(S3ReplicaConfig config, ReplicaEnvironment env) throws ReplicaPermanentException {
        return new S3ReplicaClient(config, S3Credentials.from(env, config.describe()), null);
    }

    /** As {@link #open(S3ReplicaConfig, ReplicaEnvironment)}, with the SDK's retry waits replaced (tests). */
    static S3ReplicaClient open(S3ReplicaConfig config, ReplicaEnvironment env, BackoffStrategy sdkBackoff)
            throws ReplicaPermanentException {
        return new S3ReplicaClient(config, S3Credentials.from(env, config.describe()), sdkBackoff);
    }

    private static SdkHttpClient httpClient(S3ReplicaConfig config) {
        Apache5HttpClient.Builder builder = Apache5HttpClient.builder()
                .maxConnections(Math.max(50, config.concurrency() * 2))
                .connectionTimeout(config.timeouts().connect())
                .socketTimeout(config.timeouts().request());
        if (config.skipVerify()) {
            return builder.buildWithDefaults(AttributeMap.builder()
                    .put(SdkHttpConfigurationOption.TRUST_ALL_CERTIFICATES, Boolean.TRUE)
                    .build());
        }
        return builder.build();
    }

    private static S3ClientBuilder clientBuilder(S3ReplicaConfig config, S3Credentials credentials, SdkHttpClient http) {
        S3ClientBuilder builder = S3Client.builder()
                .httpClient(http)
                .region(Region.of(config.region()))
                .credentialsProvider(credentials.provider())
                .forcePathStyle(config.forcePathStyle())
                .useArnRegion(true);
        if (config.endpoint().isPresent()) {
            // S3-compatible services: the checksum settings Litestream uses for them (no aws-chunked trailers).
            builder.endpointOverride(config.endpoint().get())
                    .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                    .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED);
            if (config.requireContentMd5()) {
                builder.addPlugin(LegacyMd5Plugin.create());
            }
        } else {
            builder.crossRegionAccessEnabled(true);
        }
        return builder;
    }

    public S3ReplicaConfig config() {
        return config;
    }

    @Override
    public String type() {
        return "s3";
    }

    /** Every HTTP attempt of both SDK clients, counted by {@link S3RequestCounting}. */
    @Override
    public Optional<StoreRequests> storeRequests() {
        return Optional.of(storeRequests);
    }

    @Override
    public boolean holdsLitestreamV3Generations() throws ReplicaException {
        checkOpen();
        String prefix = layout.path().isEmpty() ? "generations/" : layout.replicaPrefix() + "generations/"; // v0.3: path.Join
        try {
            // One page; only generations/<16 hex>/... counts (not a console folder object or a stray file).
            return s3.listObjectsV2(ListObjectsV2Request.builder().bucket(config.bucket()).prefix(prefix)
                    .maxKeys(dev.ltx4j.replica.support.LitestreamV3Keys.LISTING_PAGE).build()).contents().stream()
                    .anyMatch(o -> dev.ltx4j.replica.support.LitestreamV3Keys.isGenerationEntry(
                            o.key().substring(prefix.length())));
        } catch (SdkException e) {
            throw S3Errors.map(Op.LIST, "list", config, credentials, prefix, e);
        }
    }

    @Override
    public List<LtxFileInfo> listFiles(int level, long seekTxid, boolean useMetadata) throws ReplicaException {
        checkOpen();
        checkLevel("s3", level);
        String prefix = layout.levelPrefix(level);
        ListObjectsV2Request.Builder request = ListObjectsV2Request.builder().bucket(config.bucket()).prefix(prefix);
        if (seekTxid != 0) {
            // Every key with min >= seek sorts after "<prefix><seek hex>"; servers that ignore it are filtered below.
            request.startAfter(prefix + Txid.format(seekTxid));
        }
        List<LtxFileInfo> files = new ArrayList<>();
        try {
            for (S3Object object : listAll(request, prefix)) {
                String key = object.key();
                if (key.indexOf('/', prefix.length()) >= 0) {
                    continue; // nested objects are not files of this level
                }
                TxidRange range = TxidRange.parseFilename(S3KeyLayout.basename(key)).orElse(null);
                if (range == null || Long.compareUnsigned(range.minTxid(), seekTxid) < 0) {
                    continue;
                }
                files.add(new LtxFileInfo(level, range.minTxid(), range.maxTxid(), object.size(), object.lastModified()));
            }
        } catch (SdkException e) {
            throw S3Errors.map(Op.LIST, "list", config, credentials, prefix, e);
        }
        files.sort(Comparator.comparing(LtxFileInfo::range));
        return useMetadata ? withMetadataTimestamps(files) : files;
    }

    /**
     * Every object of a listing, page by page. The SDK's paginator ends quietly on a truncated page without a
     * continuation token (a store that ignores {@code list-type=2} and answers in ListObjects v1's format) and loops
     * forever on a token the store repeats; both are refused here, so a partial listing is never returned.
     */
    private List<S3Object> listAll(ListObjectsV2Request.Builder request, String prefix) throws ReplicaException {
        List<S3Object> objects = new ArrayList<>();
        Set<String> tokens = new HashSet<>();
        String token = null;
        while (true) {
            ListObjectsV2Response page = s3.listObjectsV2(request.continuationToken(token).build());
            objects.addAll(page.contents());
            if (!Boolean.TRUE.equals(page.isTruncated())) {
                return objects;
            }
            token = page.nextContinuationToken();
            if (token == null || token.isEmpty()) {
                throw new ReplicaPermanentException("s3: the store at " + config.endpointLabel() + " returned a"
                        + " truncated listing of '" + prefix + "' in bucket '" + config.bucket() + "' without a"
                        + " continuation token after " + objects.size() + " objects: it does not implement"
                        + " ListObjectsV2 (list-type=2), which ltx4j needs, as Litestream does; use a store or"
                        + " version that does");
            }
            if (!tokens.add(token)) {
                throw new ReplicaPermanentException("s3: the store at " + config.endpointLabel() + " repeated a"
                        + " continuation token while listing '" + prefix + "' in bucket '" + config.bucket()
                        + "' (after " + objects.size() + " objects): its ListObjectsV2 pagination is broken and the"
                        + " listing would never end");
            }
        }
    }

    /** Replaces upload times with the stored header timestamps; a file without one keeps its upload time, as in Go. */
    private List<LtxFileInfo> withMetadataTimestamps(List<LtxFileInfo> files) throws ReplicaException {
        List<Future<LtxFileInfo>> heads = new ArrayList<>(files.size());
        for (LtxFileInfo f : files) {
            heads.add(headPool.submit(() -> {
                String key = layout.key(f.level(), f.minTxid(), f.maxTxid());
                try {
                    Map<String, String> metadata = s3.headObject(b -> b.bucket(config.bucket()).key(key)).metadata();
                    return MetadataTimestamp.parse(metadata.get(TIMESTAMP_METADATA))
                            .map(ts -> new LtxFileInfo(f.level(), f.minTxid(), f.maxTxid(), f.size(), ts))
                            .orElse(f);
                } catch (S3Exception e) {
                    if (e.statusCode() == 404) {
                        return f; // deleted since it was listed
                    }
                    throw S3Errors.map(Op.READ, "head", config, credentials, key, e);
                } catch (SdkException e) {
                    throw S3Errors.map(Op.READ, "head", config, credentials, key, e);
                }
            }));
        }
        List<LtxFileInfo> result = new ArrayList<>(files.size());
        try {
            for (Future<LtxFileInfo> head : heads) {
                result.add(head.get());
            }
        } catch (InterruptedException e) {
            heads.forEach(h -> h.cancel(true));
            Thread.currentThread().interrupt();
            throw new ReplicaTransientException("s3: listing with metadata interrupted in bucket '" + config.bucket()
                    + "'", e);
        } catch (ExecutionException e) {
            heads.forEach(h -> h.cancel(true));
            if (e.getCause() instanceof ReplicaException re) {
                throw re;
            }
            throw new ReplicaTransientException("s3: reading metadata failed in bucket '" + config.bucket() + "': "
                    + e.getCause(), e.getCause());
        }
        return result;
    }

    @Override
    public InputStream openFile(int level, long minTxid, long maxTxid, long offset, long length)
            throws ReplicaException {
        checkOpen();
        checkRead("s3", level, minTxid, maxTxid, offset, length);
        String key = layout.key(level, minTxid, maxTxid);
        String range = length > 0 ? "bytes=" + offset + "-" + (offset + length - 1) : "bytes=" + offset + "-";
        try {
            ResponseInputStream<GetObjectResponse> in = s3.getObject(b -> b.bucket(config.bucket()).key(key).range(range));
            return new AbortingInputStream(in);
        } catch (S3Exception e) {
            if (e.statusCode() == 416) {
                return InputStream.nullInputStream(); // offset at or past the end: the contract's empty read
            }
            throw S3Errors.map(Op.READ, "read", config, credentials, key, e);
        } catch (SdkException e) {
            throw S3Errors.map(Op.READ, "read", config, credentials, key, e);
        }
    }

    @Override
    public LtxFileInfo createFile(int level, long minTxid, long maxTxid, LtxBody body) throws ReplicaException {
        checkOpen();
        checkLevel("s3", level);
        String key = layout.key(level, minTxid, maxTxid);
        S3MultipartUpload.checkSize(key, body.length());
        LtxHeader header = body.peekHeader("L" + level + "/" + new TxidRange(minTxid, maxTxid).filename());
        Instant timestamp = Instant.ofEpochMilli(header.timestamp());
        Map<String, String> metadata = Map.of(TIMESTAMP_METADATA, MetadataTimestamp.format(timestamp));
        createCheck.ensure(k -> putObject(k, RequestBody.fromBytes(S3CreateCheck.BODY), S3CreateCheck.BODY.length,
                Map.of()), key);
        // Above 5 GiB a single PUT is refused whatever part-size says (a part-size above it sent such files as one).
        boolean large = body.length() >= config.partSize() || body.length() > MAX_SINGLE_PUT;
        boolean fallback = large && !createCheck.multipartHonoured(k ->
                new S3MultipartUpload(conditionalS3, s3, config, credentials, k, Map.of())
                        .upload(LtxBody.of(S3CreateCheck.BODY)), key);
        boolean single = !large || fallback;
        if (fallback && body.length() > MAX_SINGLE_PUT) {
            throw new ReplicaPermanentException("s3: the store at " + config.endpointLabel() + " (bucket '"
                    + config.bucket() + "') ignores If-None-Match: * on CompleteMultipartUpload, so files go up as"
                    + " single PUTs, which S3 limits to 5 GiB; '" + key + "' is " + body.length() + " bytes and was"
                    + " not sent. Use a store that honours conditional multipart completion, or single-writer=true"
                    + " if this process is the replica's only writer and compactor");
        }
        if (single) {
            putObject(key, RequestBody.fromContentProvider(() -> openBody(body), body.length(),
                    "application/octet-stream"), body.length(), metadata);
        } else {
            new S3MultipartUpload(conditionalS3, s3, config, credentials, key, metadata).upload(body);
        }
        return new LtxFileInfo(level, minTxid, maxTxid, body.length(), timestamp);
    }

    /** A conditional single PUT; the check object goes up with the same storage class and encryption as files. */
    private void putObject(String key, RequestBody content, long length, Map<String, String> metadata)
            throws ReplicaException {
        PutObjectRequest.Builder request = PutObjectRequest.builder()
                .bucket(config.bucket())
                .key(key)
                .ifNoneMatch("*")
                .contentLength(length)
                .contentType("application/octet-stream")
                .metadata(metadata);
        config.storageClass().ifPresent(request::storageClass);
        config.sseKmsKeyId().ifPresent(k -> request.serverSideEncryption(ServerSideEncryption.AWS_KMS).ssekmsKeyId(k));
        try {
            conditionalS3.putObject(request.build(), content);
        } catch (SdkException e) {
            throw S3Errors.map(Op.WRITE_CONDITIONAL, "create", config, credentials, key, e);
        }
    }

    static InputStream openBody(LtxBody body) {
        try {
            return body.open();
        } catch (IOException e) {
            throw new S3Errors.BodyReadFailure(e);
        }
    }

    @Override
    public void deleteFiles(Collection<LtxFileInfo> files) throws ReplicaException {
        checkOpen();
        List<String> keys = new ArrayList<>(files.size());
        for (LtxFileInfo f : files) {
            checkLevel("s3", f.level());
            keys.add(layout.key(f.level(), f.minTxid(), f.maxTxid()));
        }
        deleteKeys(keys);
    }

    @Override
    public void deleteAll() throws ReplicaException {
        checkOpen();
        String prefix = layout.replicaPrefix();
        try {
            deleteKeys(listAll(ListObjectsV2Request.builder().bucket(config.bucket()).prefix(prefix), prefix)
                    .stream().map(S3Object::key).toList());
        } catch (SdkException e) {
            throw S3Errors.map(Op.DELETE, "delete all under", config, credentials, prefix, e);
        }
    }

    private void deleteKeys(List<String> keys) throws ReplicaException {
        for (int start = 0; start < keys.size(); start += DELETE_BATCH) {
            List<ObjectIdentifier> batch = keys.subList(start, Math.min(keys.size(), start + DELETE_BATCH)).stream()
                    .map(k -> ObjectIdentifier.builder().key(k).build())
                    .toList();
            DeleteObjectsResponse response;
            try {
                response = s3.deleteObjects(b -> b.bucket(config.bucket())
                        .delete(Delete.builder().objects(batch).quiet(true).build()));
            } catch (SdkException e) {
                throw S3Errors.map(Op.DELETE, "delete " + batch.size() + " objects", config, credentials, null, e);
            }
            List<S3Error> errors = response.errors().stream().filter(err -> !"NoSuchKey".equals(err.code())).toList();
            if (!errors.isEmpty()) {
                StringBuilder message = new StringBuilder("s3: failed to delete " + errors.size() + " objects in bucket '"
                        + config.bucket() + "':");
                errors.stream().limit(10).forEach(err -> message.append("\n  ").append(err.key()).append(": ")
                        .append(err.code()).append(" ").append(err.message()));
                boolean denied = errors.stream().anyMatch(err -> "AccessDenied".equals(err.code()));
                throw denied ? new ReplicaPermanentException(message.toString())
                        : new ReplicaTransientException(message.toString());
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        headPool.shutdownNow();
        s3.close();
        conditionalS3.close();
        http.close();
        credentials.close();
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("S3 replica client for " + config.describe() + " is closed");
        }
    }

    @Override
    public String toString() {
        return "S3ReplicaClient[" + config.describe() + "]";
    }

    /** Wraps a byte array so multipart parts can be replayed by SDK retries. */
    static RequestBody partBody(byte[] part, int length) {
        return RequestBody.fromContentProvider(() -> new ByteArrayInputStream(part, 0, length), length,
                "application/octet-stream");
    }
}
