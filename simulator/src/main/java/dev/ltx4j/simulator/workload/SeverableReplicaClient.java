package dev.ltx4j.simulator.workload;

import dev.ltx4j.replica.LtxBody;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaException;
import dev.ltx4j.replica.ReplicaPermanentException;
import java.io.InputStream;
import java.util.Collection;
import java.util.List;

/** A replica client a crash cuts off: the dead process must not reach the store while it is torn down. */
final class SeverableReplicaClient implements ReplicaClient {
    private final ReplicaClient delegate;
    private volatile boolean severed;

    SeverableReplicaClient(ReplicaClient delegate) {
        this.delegate = delegate;
    }

    void sever() {
        severed = true;
    }

    private void check() throws ReplicaException {
        if (severed) {
            throw new ReplicaPermanentException("the process crashed");
        }
    }

    @Override
    public String type() {
        return delegate.type();
    }

    @Override
    public List<LtxFileInfo> listFiles(int level, long seekTxid, boolean useMetadata)
            throws ReplicaException {
        check();
        return delegate.listFiles(level, seekTxid, useMetadata);
    }

    @Override
    public InputStream openFile(int level, long minTxid, long maxTxid, long offset, long length)
            throws ReplicaException {
        check();
        return delegate.openFile(level, minTxid, maxTxid, offset, length);
    }

    @Override
    public LtxFileInfo createFile(int level, long minTxid, long maxTxid, LtxBody body)
            throws ReplicaException {
        check();
        return delegate.createFile(level, minTxid, maxTxid, body);
    }

    @Override
    public void deleteFiles(Collection<LtxFileInfo> files) throws ReplicaException {
        check();
        delegate.deleteFiles(files);
    }

    @Override
    public void deleteAll() throws ReplicaException {
        check();
        delegate.deleteAll();
    }

    @Override
    public void close() {
        delegate.close();
    }
}
