package dev.ltx4j.replica.s3;

import dev.ltx4j.replica.LtxBody;
import dev.ltx4j.replica.ReplicaException;
import dev.ltx4j.replica.ReplicaPermanentException;
import dev.ltx4j.replica.ReplicaTransientException;
import dev.ltx4j.replica.s3.S3Errors.Op;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.CreateMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.ServerSideEncryption;

/**
 * One multipart create: parts go up sequentially (with SDK retries, they are idempotent), and the
 * {@code If-None-Match: *} condition sits on CompleteMultipartUpload, the only multipart call that takes it. Any
 * failure aborts the upload so no parts are left behind; the object appears atomically on completion or not at all.
 */
final class S3MultipartUpload {
    /** S3's limit on the parts of one multipart upload (part numbers 1 to 10,000). */
    static final int MAX_PARTS = 10_000;
    /** S3's largest object: 5 TiB. With parts of at most one byte array (2 GiB), 10,000 parts would hold ~20 TiB. */
    static final long MAX_OBJECT = 5L << 40;
    /**
     * A part is read from the body in slices of at most this size: a channel-backed stream reads a heap array through
     * a temporary direct buffer as large as the call, which the JDK then caches per thread (a whole part's worth).
     */
    static final int READ_SLICE = 1 << 20;

    private final S3Client conditional;
    private final S3Client retrying;
    private final S3ReplicaConfig config;
    private final S3Credentials credentials;
    private final String key;
    private final Map<String, String> metadata;

    S3MultipartUpload(S3Client conditional, S3Client retrying, S3ReplicaConfig config, S3Credentials credentials,
            String key, Map<String, String> metadata) {
        this.conditional = conditional;
        this.retrying = retrying;
        this.config = config;
        this.credentials = credentials;
        this.key = key;
        this.metadata = metadata;
    }

    void upload(LtxBody body) throws ReplicaException {
        CreateMultipartUploadRequest.Builder create = CreateMultipartUploadRequest.builder()
                .bucket(config.bucket())
                .key(key)
                .contentType("application/octet-stream")
                .metadata(metadata);
        config.storageClass().ifPresent(create::storageClass);
        config.sseKmsKeyId().ifPresent(k -> create.serverSideEncryption(ServerSideEncryption.AWS_KMS).ssekmsKeyId(k));
        String uploadId;
        try {
            uploadId = retrying.createMultipartUpload(create.build()).uploadId();
        } catch (SdkException e) {
            throw S3Errors.map(Op.READ, "start multipart upload of", config, credentials, key, e);
        }
        boolean completed = false;
        try {
            List<CompletedPart> parts = uploadParts(body, uploadId);
            try {
                conditional.completeMultipartUpload(b -> b.bucket(config.bucket()).key(key).uploadId(uploadId)
                        .ifNoneMatch("*")
                        .multipartUpload(m -> m.parts(parts)));
                completed = true;
            } catch (SdkException e) {
                throw S3Errors.map(Op.WRITE_CONDITIONAL, "create", config, credentials, key, e);
            }
        } finally {
            if (!completed) {
                abort(uploadId);
            }
        }
    }

    private List<CompletedPart> uploadParts(LtxBody body, String uploadId) throws ReplicaException {
        byte[] buffer = new byte[(int) Math.min(partSize(config.partSize(), body.length()), body.length())];
        List<CompletedPart> parts = new ArrayList<>();
        long sent = 0;
        try (InputStream in = body.open()) {
            for (int partNumber = 1; sent < body.length(); partNumber++) {
                int n = readSliced(in, buffer, (int) Math.min(buffer.length, body.length() - sent));
                if (n <= 0) {
                    throw new ReplicaTransientException("s3: upload body of '" + key + "' ended after " + sent
                            + " of " + body.length() + " bytes; nothing was written");
                }
                int number = partNumber;
                try {
                    String etag = retrying.uploadPart(b -> b.bucket(config.bucket()).key(key).uploadId(uploadId)
                            .partNumber(number).contentLength((long) n), S3ReplicaClient.partBody(buffer, n)).eTag();
                    if (etag == null || etag.isBlank()) {
                        // The completion must name each part's ETag; without one it fails with a 5xx that reads as
                        // "outcome unknown". The upload is aborted below: nothing is written.
                        throw new ReplicaPermanentException("s3: the store at " + config.endpointLabel()
                                + " returned no ETag for part " + number + " of '" + key + "' in bucket '"
                                + config.bucket() + "', so the multipart create cannot be completed; nothing was"
                                + " written. Raise part-size in the replica URL above the largest file (single PUTs"
                                + " need no ETag) or fix the store (a proxy in front of it may strip the header)");
                    }
                    parts.add(CompletedPart.builder().partNumber(number).eTag(etag).build());
                } catch (SdkException e) {
                    throw S3Errors.map(Op.READ, "upload part " + number + " of", config, credentials, key, e);
                }
                sent += n;
            }
        } catch (ReplicaException e) {
            throw e; // an IOException too, but not the body's
        } catch (IOException e) {
            throw new ReplicaTransientException("s3: reading the upload body of '" + key + "' failed after " + sent
                    + " bytes; nothing was written: " + e.getMessage(), e);
        }
        return parts;
    }

    /**
     * Refuses, before anything is sent, a body above S3's {@link #MAX_OBJECT} (5 TiB): S3 would refuse it only after
     * terabytes had gone up (and above ~19.5 TiB at part 10,001 anyway).
     */
    static void checkSize(String key, long length) throws ReplicaPermanentException {
        if (length > MAX_OBJECT) {
            throw new ReplicaPermanentException("s3: '" + key + "' is " + length + " bytes, more than S3's largest"
                    + " object (5 TiB, " + MAX_OBJECT + " bytes); it was not sent");
        }
    }

    /**
     * The part size for a body: the configured one, unless the body would need more than S3's {@link #MAX_PARTS}
     * parts of it; then the smallest whole number of MiB that fits it in {@link #MAX_PARTS}. With the default 5 MiB
     * parts a file above 48.8 GiB (a snapshot of a database that large) failed at part 10,001 after 48.8 GiB had gone
     * up. One part is held in heap, so a file above 48.8 GiB needs about its size / 10,000 of heap.
     */
    static long partSize(long configured, long length) {
        long size = configured;
        if ((length + configured - 1) / configured > MAX_PARTS) {
            long needed = (length + MAX_PARTS - 1) / MAX_PARTS;
            long mib = 1L << 20;
            size = (needed + mib - 1) / mib * mib;
        }
        return Math.min(size, Integer.MAX_VALUE - 8); // one heap buffer; 10,000 of these pass S3's 5 TiB object limit
    }

    /** Reads {@code n} bytes (fewer only at the end of the stream) in slices of at most {@link #READ_SLICE}. */
    static int readSliced(InputStream in, byte[] buffer, int n) throws IOException {
        int filled = 0;
        while (filled < n) {
            int r = in.read(buffer, filled, Math.min(READ_SLICE, n - filled));
            if (r < 0) {
                break;
            }
            filled += r;
        }
        return filled;
    }

    private void abort(String uploadId) {
        try {
            retrying.abortMultipartUpload(b -> b.bucket(config.bucket()).key(key).uploadId(uploadId));
        } catch (SdkException e) {
            // Best effort: an orphaned upload holds no visible object and bucket lifecycle rules expire it.
        }
    }
}
