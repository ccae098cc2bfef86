package dev.ltx4j.ltx;

/**
 * A fully verified LTX file (see {@link LtxDecoder#verify}).
 *
 * @param header            the validated header
 * @param postApplyChecksum the trailer's post-apply checksum (0 on NoChecksum files)
 * @param fileChecksum      the trailer's file checksum, which matched the computed one
 * @param size              the file's size in bytes
 * @param pageIndex         the page index, which matched the frames decoded
 */
public record LtxSummary(LtxHeader header, long postApplyChecksum, long fileChecksum, long size,
        PageIndex pageIndex) {
    public int pageCount() {
        return pageIndex.size();
    }
}
