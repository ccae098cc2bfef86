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
                int n = in.readNBytes(buffer, 0, (int) Math.min(buffer.length, body.length() - sent));
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
     * The part size for a body: the configured one, raised (to whole MiB) when the body would need more than S3's
     * {@link #MAX_PARTS} parts of it. With the default 5 MiB parts a file above 48.8 GiB (a snapshot of a database
     * that large) failed at part 10,001 after 48.8 GiB had gone up.
     */
    static long partSize(long configured, long length) {
        long needed = (length + MAX_PARTS - 1) / MAX_PARTS;
        long mib = 1L << 20;
        long raised = Math.max(configured, (needed + mib - 1) / mib * mib);
        return Math.min(raised, Integer.MAX_VALUE - 8); // one heap buffer; 10,000 of these pass S3's 5 TiB object limit
    }

    private void abort(String uploadId) {
        try {
            retrying.abortMultipartUpload(b -> b.bucket(config.bucket()).key(key).uploadId(uploadId));
        } catch (SdkException e) {
            // Best effort: an orphaned upload holds no visible object and bucket lifecycle rules expire it.
        }
    }
}
