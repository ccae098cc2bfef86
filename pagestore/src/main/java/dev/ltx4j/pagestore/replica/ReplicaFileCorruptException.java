package dev.ltx4j.pagestore.replica;

import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.internal.DamagedFiles;
import java.io.IOException;

/**
 * A replica LTX file failed verification (file checksum, structure, or a page read later that differs from the
 * verified file): no page of it is served. Names the file (level, TXID range, size) and the reason. Not
 * transient: retrying the read gives the same answer until the file is replaced and the database refreshed or
 * reopened.
 */
public final class ReplicaFileCorruptException extends IOException {
    private final RemoteFile file;
    private final String reason;

    public ReplicaFileCorruptException(RemoteFile file, String reason, Throwable cause) {
        super("replica file " + file.name() + " (" + file.sizeBytes() + " bytes) is corrupt: " + reason
                + "; no page of it is served; " + DamagedFiles.advice(new LtxFileInfo(file.level(), file.minTxid(),
                        file.maxTxid(), file.sizeBytes(), null), null), cause);
        this.file = file;
        this.reason = reason;
    }

    /** The corrupt file. */
    public RemoteFile file() {
        return file;
    }

    /** Why verification failed. */
    public String reason() {
        return reason;
    }
}
