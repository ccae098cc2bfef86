package dev.ltx4j.ltx;

/**
 * What {@link LtxEncoder#finish} wrote.
 *
 * @param header            the header written
 * @param postApplyChecksum the trailer's post-apply checksum
 * @param fileChecksum      the trailer's file checksum (bit 63 set)
 * @param size              total bytes written
 * @param pageIndex         the page index written (frame offsets and sizes), usable for random access
 */
public record LtxEncodeResult(LtxHeader header, long postApplyChecksum, long fileChecksum, long size,
        PageIndex pageIndex) {
    /** Number of page frames in the file. */
    public int pageCount() {
        return pageIndex.size();
    }
}
