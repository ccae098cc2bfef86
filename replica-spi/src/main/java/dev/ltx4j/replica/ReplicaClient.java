package dev.ltx4j.replica;

import dev.ltx4j.ltx.TxidRange;
import java.io.IOException;
import java.io.InputStream;
import java.util.Collection;
import java.util.List;

/**
 * Storage for the LTX files of one database. The contract speaks in levels and TXID ranges only; how files map
 * to keys or paths is the backend's business (Litestream's layouts: S3 {@code <path>/<level %04x>/<min>-<max>.ltx},
 * file and Azure {@code <path>/ltx/<level>/<min>-<max>.ltx}).
 *
 * <p>Every method reports failure with a subclass of {@link ReplicaException}; unchecked exceptions are bugs. Bad
 * arguments (a level outside {@link #MIN_LEVEL}..{@link #MAX_LEVEL}, a negative offset or length) are
 * {@link ReplicaPermanentException}, raised before storage is touched (checks in
 * {@link dev.ltx4j.replica.support.ReplicaArguments}).
 * Implementations must be safe for use by many threads at once. Files are immutable once created: the engine
 * never changes the bytes behind a name, it only creates new names and deletes old ones.
 */
public interface ReplicaClient extends AutoCloseable {

    /** Lowest and highest level a file may live at. Level 9 holds snapshots. */
    int MIN_LEVEL = 0;
    int MAX_LEVEL = 9;
    int SNAPSHOT_LEVEL = 9;

    /** Backend name: {@code file}, {@code s3}, {@code abs}, ... */
    String type();

    /**
     * Lists the files of one level whose {@code minTxid >= seekTxid} (0 lists everything), sorted ascending by
     * min TXID, then max TXID, whatever order the storage returns. Only names that match {@code %016x-%016x.ltx}
     * exactly are files; anything else under the level (temp files, upper-case names, other objects) is
     * skipped. A level, directory or prefix that does not exist is an empty list, not an error.
     *
     * <p>{@link LtxFileInfo#createdAt()}: with {@code useMetadata} the backend returns the LTX header timestamp
     * it stored at upload (within a millisecond); without it, it may return a cheaper approximation such as
     * the object's upload time. Backends that get the header timestamp for free return it either way.
     *
     * @throws ReplicaTransientException when the listing failed part way; a partial listing is never returned
     */
    List<LtxFileInfo> listFiles(int level, long seekTxid, boolean useMetadata) throws ReplicaException;

    /**
     * Opens bytes {@code [offset, offset+length)} of a file; {@code length == 0} means to the end. A range that
     * runs past the end returns the bytes that exist (a short stream, not an error); {@code offset >= size}
     * returns an empty stream. The caller must close the stream; closing early must not leak connections.
     *
     * @throws ReplicaNotFoundException when the file does not exist. Nothing else means "not found".
     */
    InputStream openFile(int level, long minTxid, long maxTxid, long offset, long length) throws ReplicaException;

    /**
     * Creates a file <em>only if no file of that name exists</em>: the conflict-prevention primitive. The create
     * is atomic: listings and reads see either nothing or the whole body, never a part. Exactly one of several
     * concurrent creators of the same name succeeds; the others get {@link ReplicaAlreadyExistsException}
     * and have written nothing. A backend whose store may accept the condition and ignore it (S3-compatible stores
     * without conditional writes) must find that out and refuse to create there ({@link ReplicaPermanentException}),
     * never overwrite: the conformance kit's {@code create.unenforced}.
     *
     * <p>The body must start with a valid 100-byte LTX header (magic checked, fields not validated); its
     * timestamp becomes the file's {@code createdAt}. Beyond the header the body is opaque to the backend.
     * A body shorter than 100 bytes or with a bad magic is rejected with {@link ReplicaPermanentException}
     * before anything is written.
     *
     * <p>When the backend cannot tell whether the create landed (lost response, timeout after sending), it throws
     * {@link ReplicaOutcomeUnknownException}; it must never report success or "already exists" it did not observe.
     * Callers resolve the outcome by reading the file back; {@link RetryingReplicaClient} passes it on unresolved.
     *
     * @return the created file's info: its level and range, {@code size == body.length()}, and
     *     {@code createdAt} = the header timestamp
     */
    LtxFileInfo createFile(int level, long minTxid, long maxTxid, LtxBody body) throws ReplicaException;

    /**
     * Deletes the named files (only level and range of each info are used). One call may name any number of files
     * at any levels (the backend batches as its store requires, e.g. S3's 1000 keys per request). Idempotent: files
     * already gone, named twice, or deleted concurrently by another caller are not an error. An empty collection
     * makes no request. When it returns, no listing shows the files, every read of them is
     * {@link ReplicaNotFoundException}, and their names are free for {@link #createFile}. When some deletes fail,
     * the files named in the error may or may not be gone; the others are. The conformance kit checks each sentence.
     */
    void deleteFiles(Collection<LtxFileInfo> files) throws ReplicaException;

    /**
     * Deletes every file of this replica at every level, and nothing outside it (a replica at {@code db} never
     * touches one at {@code db2}). Succeeds on an empty replica.
     */
    void deleteAll() throws ReplicaException;

    /** Reads a whole range into memory; see {@link #openFile}. */
    default byte[] readRange(int level, long minTxid, long maxTxid, long offset, long length) throws ReplicaException {
        try (InputStream in = openFile(level, minTxid, maxTxid, offset, length)) {
            return in.readAllBytes();
        } catch (ReplicaException e) {
            throw e;
        } catch (IOException e) {
            throw new ReplicaTransientException("read of L" + level + "/" + new TxidRange(minTxid, maxTxid)
                    + " failed: " + (e.getMessage() != null ? e.getMessage() : e.toString()), e);
        }
    }

    /**
     * The HTTP requests this client sent to its store, as the store counts them (SDK retries, listing pages, upload
     * parts and the HEADs of a listing with metadata each count), or empty for a backend that makes no billed
     * requests (a directory) or does not count them. Decorators return their delegate's.
     */
    default java.util.Optional<StoreRequests> storeRequests() {
        return java.util.Optional.empty();
    }

    /**
     * Whether the replica's path holds a Litestream v0.3 replica (a {@code generations/} folder), which neither ltx4j
     * nor Litestream 0.5 reads. One listing; asked only to explain a replica that holds no LTX files. The default
     * (a backend that cannot tell) is false. Decorators return their delegate's.
     */
    default boolean holdsLitestreamV3Generations() throws ReplicaException {
        return false;
    }

    /** Releases connections and threads. Further calls fail. */
    @Override
    void close();
}
