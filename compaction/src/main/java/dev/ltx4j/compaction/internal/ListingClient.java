package dev.ltx4j.compaction.internal;

import dev.ltx4j.ltx.Txid;
import dev.ltx4j.replica.LtxBody;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaException;
import dev.ltx4j.replica.ReplicaPermanentException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/** A read-only client over a fixed listing (no bodies), so the real restore planner can run over any file set. */
public final class ListingClient implements ReplicaClient {
    private final List<List<LtxFileInfo>> levels = new ArrayList<>();

    public ListingClient(Map<Integer, List<LtxFileInfo>> filesByLevel) {
        for (int level = MIN_LEVEL; level <= MAX_LEVEL; level++) {
            List<LtxFileInfo> files = new ArrayList<>(filesByLevel.getOrDefault(level, List.of()));
            files.sort((a, b) -> a.minTxid() != b.minTxid()
                    ? Txid.compare(a.minTxid(), b.minTxid()) : Txid.compare(a.maxTxid(), b.maxTxid()));
            levels.add(List.copyOf(files));
        }
    }

    @Override
    public String type() {
        return "listing";
    }

    @Override
    public List<LtxFileInfo> listFiles(int level, long seekTxid, boolean useMetadata) throws ReplicaException {
        List<LtxFileInfo> files = levels.get(level);
        if (seekTxid == 0) {
            return files;
        }
        List<LtxFileInfo> out = new ArrayList<>();
        for (LtxFileInfo f : files) {
            if (Long.compareUnsigned(f.minTxid(), seekTxid) >= 0) {
                out.add(f);
            }
        }
        return out;
    }

    @Override
    public InputStream openFile(int level, long minTxid, long maxTxid, long offset, long length)
            throws ReplicaException {
        throw new ReplicaPermanentException("a listing has no file bodies");
    }

    @Override
    public LtxFileInfo createFile(int level, long minTxid, long maxTxid, LtxBody body) throws ReplicaException {
        throw new ReplicaPermanentException("a listing is read-only");
    }

    @Override
    public void deleteFiles(Collection<LtxFileInfo> files) throws ReplicaException {
        throw new ReplicaPermanentException("a listing is read-only");
    }

    @Override
    public void deleteAll() throws ReplicaException {
        throw new ReplicaPermanentException("a listing is read-only");
    }

    @Override
    public void close() {
    }
}
