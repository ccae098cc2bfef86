package dev.ltx4j.compaction;

import dev.ltx4j.ltx.Ltx;
import dev.ltx4j.ltx.LtxFormatException;
import dev.ltx4j.ltx.LtxHeader;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaClient;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;

/**
 * Decides which inputs of one compaction are served from {@link RecentUploads} and proves, with at most two small
 * ranged reads per run of held inputs, that the store holds this writer's uploads under those names
 * (docs/compaction-upload-reuse.md):
 *
 * <ul>
 *   <li>a run is a stretch of consecutive inputs held here whose database checksums chain (each post-apply equals the
 *       next pre-apply); a file without database checksums is a run of its own (one trailer read proves it);</li>
 *   <li>its end: the stored last file's trailer (16 bytes: post-apply and file checksum) must equal the held one, so
 *       that file is byte for byte this upload and the replica's state at the run's last TXID is ours;</li>
 *   <li>its start: the same for the first file (so the replica's state before the run is ours), unless the previous
 *       compaction ended exactly before it on a verified trailer whose post-apply equals the held pre-apply (then
 *       that state is known already): one read for a run in the steady state.</li>
 * </ul>
 *
 * Both ends anchored means the merged output, applied to the replica's state before the run, gives the replica's
 * state after it: the file is correct for the replica whatever lies in between. A run that fails an anchor is
 * downloaded instead, and its entries are forgotten.
 */
final class ReusedInputs {
    /** The replica's verified state at a TXID: {@code checksum} after applying up to {@code txid}. */
    record Anchor(int level, long txid, long checksum) {}

    /** The bytes per input (null: download it) and the anchor the last verified run leaves (null: none). */
    record Plan(byte[][] bytes, Anchor end, int served, int refused, int anchorReads) {}

    private ReusedInputs() {}

    /**
     * Whether the stored file's last 16 bytes (post-apply checksum and the CRC-64 file checksum over everything before
     * it) equal the held upload's: then the stored file is byte for byte this upload.
     */
    private static boolean sameTrailer(ReplicaClient client, LtxFileInfo f, RecentUploads.Held held)
            throws IOException {
        byte[] tail = client.readRange(f.level(), f.minTxid(), f.maxTxid(), f.size() - Ltx.TRAILER_SIZE,
                Ltx.TRAILER_SIZE);
        byte[] mine = held.data();
        return Arrays.equals(tail, 0, tail.length, mine, mine.length - Ltx.TRAILER_SIZE, mine.length);
    }

    static Plan plan(List<LtxFileInfo> inputs, RecentUploads store, ReplicaClient client, Anchor known,
            boolean trustNames) throws IOException {
        int n = inputs.size();
        RecentUploads.Held[] held = new RecentUploads.Held[n];
        LtxHeader[] headers = new LtxHeader[n];
        for (int i = 0; i < n; i++) {
            RecentUploads.Held h = store.candidate(inputs.get(i));
            if (h == null) {
                continue;
            }
            try {
                LtxHeader hd = h.header();
                if (hd.minTxid() != inputs.get(i).minTxid() || hd.maxTxid() != inputs.get(i).maxTxid()) {
                    continue;
                }
                held[i] = h;
                headers[i] = hd;
            } catch (LtxFormatException e) {
                store.forget(inputs.get(i));
            }
        }
        byte[][] bytes = new byte[n][];
        Anchor end = null;
        int served = 0;
        int refused = 0;
        int reads = 0;
        for (int a = 0; a < n; ) {
            if (held[a] == null) {
                a++;
                continue;
            }
            int b = a;
            // A file without database checksums (Litestream's) chains nothing: it is a run of its own, proven by its
            // own trailer (the file checksum) alone.
            boolean untracked = headers[a].noChecksum();
            while (!untracked && b + 1 < n && held[b + 1] != null && !headers[b + 1].noChecksum()
                    && inputs.get(b + 1).minTxid() == inputs.get(b).maxTxid() + 1
                    && headers[b + 1].preApplyChecksum() == held[b].postApply()) {
                b++;
            }
            boolean ok = true;
            if (!trustNames) {
                LtxFileInfo first = inputs.get(a);
                boolean startKnown = !untracked && known != null && known.level() == first.level()
                        && known.txid() == first.minTxid() - 1 && known.checksum() == headers[a].preApplyChecksum();
                if (!startKnown) {
                    ok = sameTrailer(client, first, held[a]);
                    reads++;
                }
                if (ok && (b != a || startKnown)) {
                    ok = sameTrailer(client, inputs.get(b), held[b]);
                    reads++;
                }
            }
            if (ok) {
                for (int i = a; i <= b; i++) {
                    bytes[i] = held[i].data();
                    served++;
                }
                end = b == n - 1 && !untracked ? new Anchor(inputs.get(b).level(), inputs.get(b).maxTxid(), held[b].postApply()) : null;
            } else {
                for (int i = a; i <= b; i++) {
                    store.forget(inputs.get(i)); // not this writer's bytes under that name any more
                    refused++;
                }
            }
            a = b + 1;
        }
        return new Plan(bytes, end, served, refused, reads);
    }
}
