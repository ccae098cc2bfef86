package dev.ltx4j.pagestore;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A committed transaction still held by the buffer (not yet marked synced).
 *
 * @param seq          transaction sequence number (consecutive, never reused by one buffer lineage)
 * @param commitSize   database size in pages after this transaction
 * @param commitMillis commit time from the buffer's clock
 * @param pages        each page the transaction changed, ascending, with the record of its last image; offsets
 *                     are valid in the buffer file generation current when this object was obtained
 */
public record CommittedTransaction(long seq, long commitSize, long commitMillis, List<PageLocation> pages) {

    public CommittedTransaction {
        pages = Collections.unmodifiableList(new ArrayList<>(pages));
    }
}
