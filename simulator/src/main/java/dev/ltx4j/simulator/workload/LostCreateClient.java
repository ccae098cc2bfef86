package dev.ltx4j.simulator.workload;

import dev.ltx4j.replica.LtxBody;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ForwardingReplicaClient;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaException;
import dev.ltx4j.replica.ReplicaOutcomeUnknownException;
import dev.ltx4j.replica.ReplicaTransientException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * The writer's view of the store with the faults of the {@link LostUploadRestart} step, each on only while the step
 * asks for it: the next level-0 create lands and its response is lost; reads of that file fail (the read-back cannot
 * tell the outcome); listings leave out files that reach that TXID (a listing lagging behind the create).
 */
final class LostCreateClient extends ForwardingReplicaClient {
    private boolean armed;
    private long landed = -1;
    private long unreadable = -1;
    private long hiddenFrom = -1;

    LostCreateClient(ReplicaClient delegate) {
        super(delegate);
    }

    /** The next level-0 create lands, then answers "outcome unknown"; its file is unreadable until {@link #reset}. */
    void loseNextCreateResponse() {
        armed = true;
        landed = -1;
    }

    /** The TXID of the level-0 create whose response was lost, or -1 when none landed since arming. */
    long landed() {
        return landed;
    }

    /** Reads work again; listings leave out every file ending at or after {@code txid} (-1: none). */
    void hideFromListings(long txid) {
        armed = false;
        unreadable = -1;
        hiddenFrom = txid;
    }

    /** Every fault of the step off. */
    void reset() {
        hideFromListings(-1);
    }


    @Override
    public List<LtxFileInfo> listFiles(int level, long seekTxid, boolean useMetadata) throws ReplicaException {
        List<LtxFileInfo> all = delegate.listFiles(level, seekTxid, useMetadata);
        if (hiddenFrom < 0) {
            return all;
        }
        List<LtxFileInfo> shown = new ArrayList<>(all.size());
        for (LtxFileInfo f : all) {
            if (Long.compareUnsigned(f.maxTxid(), hiddenFrom) < 0) {
                shown.add(f);
            }
        }
        return List.copyOf(shown);
    }

    @Override
    public InputStream openFile(int level, long minTxid, long maxTxid, long offset, long length)
            throws ReplicaException {
        if (level == 0 && minTxid == unreadable) {
            throw new ReplicaTransientException("simulated failed read of L0/" + minTxid + " (lost-upload step)");
        }
        return delegate.openFile(level, minTxid, maxTxid, offset, length);
    }

    @Override
    public byte[] readRange(int level, long minTxid, long maxTxid, long offset, long length) throws ReplicaException {
        if (level == 0 && minTxid == unreadable) {
            throw new ReplicaTransientException("simulated failed read of L0/" + minTxid + " (lost-upload step)");
        }
        return delegate.readRange(level, minTxid, maxTxid, offset, length);
    }

    @Override
    public LtxFileInfo createFile(int level, long minTxid, long maxTxid, LtxBody body) throws ReplicaException {
        if (!armed || level != 0) {
            return delegate.createFile(level, minTxid, maxTxid, body);
        }
        armed = false;
        delegate.createFile(level, minTxid, maxTxid, body);
        landed = minTxid;
        unreadable = minTxid;
        throw new ReplicaOutcomeUnknownException("simulated lost response after the create of L0/" + minTxid
                + " landed (lost-upload step)");
    }




}
