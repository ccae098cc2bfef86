package dev.ltx4j.pagestore.replica;

import dev.ltx4j.ltx.LtxHeader;
import dev.ltx4j.ltx.PageIndex;
import dev.ltx4j.replica.LtxFileInfo;

/**
 * What the engine needs of one replica file without downloading its pages: header, page index and the trailer's
 * post-apply checksum (two ranged reads: the header and the tail).
 */
public record LoadedFile(LtxFileInfo info, LtxHeader header, PageIndex index, long postApplyChecksum) {

    public RemoteFile remoteFile() {
        return new RemoteFile(info.level(), info.minTxid(), info.maxTxid(), header.pageSize(), info.size());
    }
}
