package dev.ltx4j.replica;

import java.io.InputStream;
import java.util.Collection;
import java.util.List;
import java.util.Objects;

/**
 * Base for decorators: forwards every call to {@code delegate}. Subclasses override what they change (fault
 * injection, counting, policies) and inherit the rest, so a new SPI method needs one change here.
 */
public abstract class ForwardingReplicaClient implements ReplicaClient {
    protected final ReplicaClient delegate;

    protected ForwardingReplicaClient(ReplicaClient delegate) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
    }

    @Override
    public String type() {
        return delegate.type();
    }

    @Override
    public List<LtxFileInfo> listFiles(int level, long seekTxid, boolean useMetadata) throws ReplicaException {
        return delegate.listFiles(level, seekTxid, useMetadata);
    }

    @Override
    public boolean holdsLitestreamV3Generations() throws ReplicaException {
        return delegate.holdsLitestreamV3Generations();
    }

    @Override
    public InputStream openFile(int level, long minTxid, long maxTxid, long offset, long length)
            throws ReplicaException {
        return delegate.openFile(level, minTxid, maxTxid, offset, length);
    }

    @Override
    public LtxFileInfo createFile(int level, long minTxid, long maxTxid, LtxBody body) throws ReplicaException {
        return delegate.createFile(level, minTxid, maxTxid, body);
    }

    @Override
    public void deleteFiles(Collection<LtxFileInfo> files) throws ReplicaException {
        delegate.deleteFiles(files);
    }

    @Override
    public void deleteAll() throws ReplicaException {
        delegate.deleteAll();
    }

    @Override
    public java.util.Optional<StoreRequests> storeRequests() {
        return delegate.storeRequests();
    }

    @Override
    public void close() {
        delegate.close();
    }
}
