package dev.ltx4j.pagestore.replica;

/**
 * What a {@link Hydrator} is doing, for {@code litestream_status()} (key {@code "hydration"}) and the Java status API.
 *
 * @param state        {@code off}, {@code starting}, {@code hydrating}, {@code ready} (the file holds {@link #txid}
 *                     and serves reads), {@code failed} (retried every step; reads go to the replica) or
 *                     {@code closed}
 * @param txid         the TXID the local file holds complete and verified (0: none yet)
 * @param targetTxid   the TXID being hydrated to
 * @param bytesDone    replica bytes downloaded for the current hydration or catch-up
 * @param bytesTotal   replica bytes the current hydration or catch-up needs in all
 * @param path         the hydrated file
 * @param lastError    the last failure, or null
 * @param filesApplied replica files applied to the local file since open
 * @param pagesServed  page reads served from the local file since open
 * @param rebuilds     times the local file was found unusable (tampered, stale, corrupt sidecar) and rebuilt
 * @param resumed      whether the file found at open was checked and reused
 */
public record HydrationStatus(String state, long txid, long targetTxid, long bytesDone, long bytesTotal, String path,
        String lastError, long filesApplied, long pagesServed, long rebuilds, boolean resumed) {

    /** A compact JSON object. */
    public String toJson() {
        return "{\"state\":" + str(state) + ",\"txid\":" + str(dev.ltx4j.ltx.Txid.format(txid))
                + ",\"target_txid\":" + str(dev.ltx4j.ltx.Txid.format(targetTxid))
                + ",\"bytes_done\":" + bytesDone + ",\"bytes_total\":" + bytesTotal
                + ",\"path\":" + str(path) + ",\"last_error\":" + str(lastError)
                + ",\"files_applied\":" + filesApplied + ",\"pages_served\":" + pagesServed
                + ",\"rebuilds\":" + rebuilds + ",\"resumed\":" + resumed + "}";
    }

    static String str(String s) {
        if (s == null) {
            return "null";
        }
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') {
                b.append('\\').append(c);
            } else if (c < 0x20) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.append('"').toString();
    }
}
