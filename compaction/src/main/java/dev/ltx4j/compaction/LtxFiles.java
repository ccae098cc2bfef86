package dev.ltx4j.compaction;

import dev.ltx4j.ltx.Txid;
import dev.ltx4j.replica.LtxFileInfo;
import java.util.List;

/** Helpers on listed files shared by compaction, snapshots and retention. */
final class LtxFiles {
    private LtxFiles() {}

    /** {@code level/min/max}: a file's identity, whatever its size or timestamp. */
    static String key(LtxFileInfo f) {
        return f.level() + "/" + f.minTxid() + "/" + f.maxTxid();
    }

    /** The file with the highest max TXID, or null for none. */
    static LtxFileInfo newest(List<LtxFileInfo> files) {
        LtxFileInfo newest = null;
        for (LtxFileInfo f : files) {
            if (newest == null || Txid.compare(f.maxTxid(), newest.maxTxid()) > 0) {
                newest = f;
            }
        }
        return newest;
    }
}
