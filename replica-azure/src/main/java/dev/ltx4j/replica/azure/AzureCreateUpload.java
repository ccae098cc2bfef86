package dev.ltx4j.replica.azure;

import com.azure.core.util.BinaryData;
import com.azure.core.util.Context;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.models.BlobErrorCode;
import com.azure.storage.blob.models.BlobHttpHeaders;
import com.azure.storage.blob.models.BlobRequestConditions;
import com.azure.storage.blob.models.BlobStorageException;
import com.azure.storage.blob.options.BlockBlobCommitBlockListOptions;
import com.azure.storage.blob.options.BlockBlobSimpleUploadOptions;
import com.azure.storage.blob.specialized.BlockBlobClient;
import dev.ltx4j.replica.LtxBody;
import dev.ltx4j.replica.ReplicaAlreadyExistsException;
import dev.ltx4j.replica.ReplicaException;
import dev.ltx4j.replica.ReplicaPermanentException;
import dev.ltx4j.replica.ReplicaTransientException;
import dev.ltx4j.replica.azure.AzureErrors.Op;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.random.RandomGenerator;

/**
 * Create-if-absent upload of one blob. The body stream is read here, on the caller's thread, in bounded chunks;
 * the SDK only ever gets byte arrays. (Handing the SDK a plain {@link InputStream} fails: its sync upload path
 * calls {@code mark/reset} on the stream, so any non-markable body, such as a file channel stream, dies with
 * "mark/reset not supported" before a byte is sent; a markable wrapper would make it buffer the whole body.)
 *
 * <p>A body of at most {@code blockSize} bytes is one Put Blob with {@code If-None-Match: *}. A longer body is
 * staged as uncommitted blocks, then made visible at once by Put Block List with {@code If-None-Match: *}. Staged
 * blocks are invisible to listings and reads, and staging is idempotent, so it uses the retrying client; only the
 * final, conditional request goes through the client without retries. Block IDs start with a random per-upload
 * nonce, so two writers racing for the same key never commit each other's blocks. Blocks grow past {@code blockSize}
 * only for a body that would need more than Azure's 50,000 ({@link #stageSize}), up to {@link #MAX_HELD_BLOCK}: a
 * block is held in one byte array, so the largest blob is 50,000 blocks of ~2 GiB (~97.7 TiB), not Azure's 50,000
 * of 4000 MiB (~190.7 TiB).
 */
final class AzureCreateUpload {
    /** Azure's limit on committed blocks per blob. */
    static final int MAX_BLOCKS = 50_000;
    /** Azure's limit on one block (service version 2019-12-12 and later): 4000 MiB. */
    static final long MAX_BLOCK_SIZE = 4000L << 20;
    /** Our limit on one block: it is held in one byte array (the JVM's array limit, just under 2 GiB). */
    static final int MAX_HELD_BLOCK = Integer.MAX_VALUE - 8;
    /** A block is read from the body in slices of at most this size, straight into the block's array. */
    static final int READ_SLICE = 1 << 20;

    private final BlobContainerClient retrying;
    private final BlobContainerClient conditional;
    private final String container;
    private final int blockSize;
    private final int maxBlocks;
    private final RandomGenerator nonces;

    AzureCreateUpload(BlobContainerClient retrying, BlobContainerClient conditional, String container, int blockSize,
            RandomGenerator nonces) {
        this(retrying, conditional, container, blockSize, MAX_BLOCKS, nonces);
    }

    /** With a lower block count limit (tests: a blob past the limit without uploading 50,000 blocks). */
    AzureCreateUpload(BlobContainerClient retrying, BlobContainerClient conditional, String container, int blockSize,
            int maxBlocks, RandomGenerator nonces) {
        if (blockSize <= 0) {
            throw new IllegalArgumentException("block size must be positive: " + blockSize);
        }
        if (maxBlocks <= 0) {
            throw new IllegalArgumentException("block count limit must be positive: " + maxBlocks);
        }
        this.retrying = retrying;
        this.conditional = conditional;
        this.container = container;
        this.blockSize = blockSize;
        this.maxBlocks = maxBlocks;
        this.nonces = nonces;
    }

    /** Uploads {@code body} to {@code key} unless a blob already exists there. */
    void create(String key, LtxBody body, Map<String, String> metadata) throws ReplicaException {
        long length = body.length();
        long stageSize = stageSize(length);
        if ((length + stageSize - 1) / stageSize > maxBlocks) {
            throw new ReplicaPermanentException("abs: body of '" + key + "' is " + length + " bytes, more than "
                    + maxBlocks + " blocks of " + stageSize + " bytes (" + maxBlocks * stageSize + " bytes): Azure"
                    + " commits at most " + maxBlocks + " blocks per blob, and ltx4j holds a block in one byte array,"
                    + " so its blocks are at most " + MAX_HELD_BLOCK + " bytes (Azure's own block limit, 4000 MiB, is"
                    + " larger); it was not sent");
        }
        BlobHttpHeaders headers = new BlobHttpHeaders().setContentType("application/octet-stream");
        BlobRequestConditions ifAbsent = new BlobRequestConditions().setIfNoneMatch("*");
        try (InputStream in = body.open()) {
            if (length <= blockSize) {
                byte[] data = readChunk(in, (int) length, key, 0);
                expectEnd(in, key, length);
                put(key, new BlockBlobSimpleUploadOptions(BinaryData.fromBytes(data)).setHeaders(headers)
                        .setMetadata(metadata).setRequestConditions(ifAbsent));
            } else {
                List<String> ids = stageAll(key, in, length, (int) stageSize);
                commit(key, new BlockBlobCommitBlockListOptions(ids).setHeaders(headers).setMetadata(metadata)
                        .setRequestConditions(ifAbsent));
            }
        } catch (ReplicaException e) {
            throw e; // a ReplicaException is an IOException, but not a failure to read the body
        } catch (IOException e) {
            throw new ReplicaTransientException("abs: cannot read the upload body of '" + key + "': " + e.getMessage(),
                    e);
        }
    }

    /**
     * The block size for staging a body: the configured one, raised to a multiple of it when the body would need
     * more than {@code maxBlocks} blocks (with 4 MiB blocks a blob above 195 GiB, the snapshot of a database that
     * large, was refused), at most {@link #MAX_HELD_BLOCK} (under Azure's 4000 MiB). One block is held in memory at
     * a time.
     */
    long stageSize(long length) {
        long needed = (length + maxBlocks - 1) / maxBlocks;
        long raised = Math.max(1, (needed + blockSize - 1) / blockSize) * blockSize;
        return Math.min(raised, Math.min(MAX_BLOCK_SIZE, MAX_HELD_BLOCK));
    }

    private List<String> stageAll(String key, InputStream in, long length, int size)
            throws IOException, ReplicaException {
        String nonce = HexFormat.of().formatHex(randomBytes());
        BlockBlobClient blob = retrying.getBlobClient(key).getBlockBlobClient();
        List<String> ids = new ArrayList<>();
        for (long offset = 0; offset < length; offset += size) {
            byte[] chunk = readChunk(in, (int) Math.min(size, length - offset), key, offset);
            // Equal-length IDs are required within one blob: nonce (32 hex) + '-' + 5-digit index.
            String id = Base64.getEncoder().encodeToString(
                    String.format("%s-%05d", nonce, ids.size()).getBytes(StandardCharsets.US_ASCII));
            try {
                blob.stageBlock(id, BinaryData.fromBytes(chunk));
            } catch (RuntimeException e) {
                throw AzureErrors.map(Op.WRITE, "stage a block of", container, key, e);
            }
            ids.add(id);
        }
        expectEnd(in, key, length);
        return ids;
    }

    private void put(String key, BlockBlobSimpleUploadOptions options) throws ReplicaException {
        try {
            conditional.getBlobClient(key).getBlockBlobClient().uploadWithResponse(options, null, Context.NONE);
        } catch (RuntimeException e) {
            throw AzureErrors.map(Op.WRITE_CONDITIONAL, "create", container, key, e);
        }
    }

    private void commit(String key, BlockBlobCommitBlockListOptions options) throws ReplicaException {
        try {
            conditional.getBlobClient(key).getBlockBlobClient().commitBlockListWithResponse(options, null,
                    Context.NONE);
        } catch (BlobStorageException e) {
            // A rival's commit of the same key discards our uncommitted blocks; the service may then report
            // InvalidBlockList rather than BlobAlreadyExists.
            if (BlobErrorCode.INVALID_BLOCK_LIST.equals(e.getErrorCode()) && exists(key)) {
                throw new ReplicaAlreadyExistsException("abs: create '" + key + "' in container '" + container
                        + "' already exists (committed by another writer while our blocks were staged)", e);
            }
            throw AzureErrors.map(Op.WRITE_CONDITIONAL, "create", container, key, e);
        } catch (RuntimeException e) {
            throw AzureErrors.map(Op.WRITE_CONDITIONAL, "create", container, key, e);
        }
    }

    private boolean exists(String key) throws ReplicaException {
        try {
            return retrying.getBlobClient(key).exists();
        } catch (RuntimeException e) {
            throw AzureErrors.map(Op.READ, "check", container, key, e);
        }
    }

    private byte[] randomBytes() {
        byte[] bytes = new byte[16];
        for (int i = 0; i < bytes.length; i += 8) {
            long r = nonces.nextLong();
            for (int j = 0; j < 8; j++) {
                bytes[i + j] = (byte) (r >>> (8 * j));
            }
        }
        return bytes;
    }

    /**
     * Reads one block into an array of its size, in slices of at most {@link #READ_SLICE}: {@code readNBytes(size)}
     * collects 8 KiB pieces and then copies them, two blocks in heap at once (a 200 MiB block under -Xmx300m ran out
     * of heap), and one large read of a file's stream goes through a direct buffer of its size that the JDK caches.
     */
    static byte[] readChunk(InputStream in, int size, String key, long offset)
            throws IOException, ReplicaPermanentException {
        byte[] chunk = new byte[size];
        int filled = 0;
        while (filled < size) {
            int n = in.read(chunk, filled, Math.min(READ_SLICE, size - filled));
            if (n < 0) {
                throw new ReplicaPermanentException("abs: body of '" + key + "' ended at byte " + (offset + filled)
                        + ", before its declared length");
            }
            filled += n;
        }
        return chunk;
    }

    private static void expectEnd(InputStream in, String key, long length) throws IOException,
            ReplicaPermanentException {
        if (in.read() >= 0) {
            throw new ReplicaPermanentException("abs: body of '" + key + "' is longer than its declared length "
                    + length);
        }
    }
}
