package dev.ltx4j.syncer;

import dev.ltx4j.ltx.Ltx;
import dev.ltx4j.ltx.LtxEncoder;
import dev.ltx4j.ltx.LtxHeader;
import dev.ltx4j.replica.LtxBody;
import dev.ltx4j.replica.ReplicaClient;
import java.io.ByteArrayOutputStream;

/** Writes LTX files the way another (Litestream-like, NoChecksum) writer would. */
final class Rival {
    private Rival() {}

    /** An L0 file at {@code txid} that sets page 2 to fill 77 with commit 2. */
    static byte[] append(ReplicaClient client, long txid, int pageSize) throws Exception {
        return file(client, 0, txid, txid, pageSize, 2, new long[] {2}, 77);
    }

    /** A NoChecksum file with the given pages (byte {@code fill + pgno}; one fill for all or one per page) and commit. */
    static byte[] file(ReplicaClient client, int level, long min, long max, int pageSize, long commit, long[] pgnos,
            int... fills) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        LtxEncoder enc = new LtxEncoder(out, LtxHeader.of(Ltx.HEADER_FLAG_NO_CHECKSUM, pageSize, commit, min, max,
                1_600_000_000_000L, 0).withNodeId(99));
        for (int i = 0; i < pgnos.length; i++) {
            enc.writePage(pgnos[i], content(pageSize, pgnos[i], fills.length == 1 ? fills[0] : fills[i]), 0);
        }
        enc.finish(0);
        byte[] bytes = out.toByteArray();
        client.createFile(level, min, max, LtxBody.of(bytes));
        return bytes;
    }

    static byte[] content(int pageSize, long pgno, int fill) {
        byte[] p = new byte[pageSize];
        java.util.Arrays.fill(p, (byte) (fill + pgno));
        return p;
    }
}
