package dev.ltx4j.syncer;

import dev.ltx4j.replica.LtxBody;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaException;
import java.io.InputStream;
import java.util.Collection;
import java.util.List;

/** A decorator base for fault-injecting clients. */
class ForwardingClient implements ReplicaClient {
    final ReplicaClient delegate;

    ForwardingClient(ReplicaClient delegate) {
        this.delegate = delegate;
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
    public void close() {
        delegate.close();
    }
}
