package dev.ltx4j.pagestore.replica;

import dev.ltx4j.ltx.Txid;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaClient;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

/**
 * Whether a hydrated file found at open may be reused (docs/hydration.md): its size matches its sidecar, its
 * contents have the sidecar's database checksum (the whole file is read once, locally), and the replica still
 * holds the sidecar's TXID with that checksum (the state at that TXID, or a file ending there: a few requests).
 */
final class HydrationReuse {
    private final ReplicaClient client;
    private final ReplicaIndex index;
    private final Path path;
    private final FileChannel channel;
    private final HydratedPages pages;
    private final boolean trustSidecar;

    HydrationReuse(ReplicaClient client, ReplicaIndex index, Path path, FileChannel channel, HydratedPages pages,
            boolean trustSidecar) {
        this.client = client;
        this.index = index;
        this.path = path;
        this.channel = channel;
        this.pages = pages;
        this.trustSidecar = trustSidecar;
    }

    /** Why the file described by {@code sc} cannot be reused, or null when it can (the page checksums are then read). */
    String why(HydrationSidecar sc, DatabaseVersion target) throws IOException {
        if (target.pageSize() != sc.pageSize()) {
            return "its page size " + sc.pageSize() + " is not the replica's " + target.pageSize();
        }
        long size = channel.size();
        if (size != sc.commit() * sc.pageSize()) {
            return "it is " + size + " bytes but its sidecar says " + sc.commit() + " pages of " + sc.pageSize();
        }
        long sum = pages.readAll(channel, path, sc.pageSize(), sc.commit());
        if (!trustSidecar && sum != sc.checksum()) {
            return String.format("its contents have checksum %016x but its sidecar says %016x (changed since)", sum,
                    sc.checksum());
        }
        int c = Long.compareUnsigned(target.txid(), sc.txid());
        if (c < 0) {
            return "the replica is at TXID " + Txid.format(target.txid()) + ", before the file's "
                    + Txid.format(sc.txid()) + " (replaced or restored to an earlier point)";
        }
        if (c == 0) {
            return target.checksum() == 0 || target.checksum() == sc.checksum() ? null
                    : "the replica's state at TXID " + Txid.format(sc.txid()) + " has another checksum";
        }
        return anchorCheck(sc);
    }

    /** Whether the replica still has a file ending at the sidecar's TXID, with the sidecar's checksum. */
    private String anchorCheck(HydrationSidecar sc) throws IOException {
        String[] a = sc.anchor().split("/");
        if (a.length == 3) {
            int level = Integer.parseInt(a[0]);
            long min = Long.parseLong(a[1]);
            long max = Long.parseLong(a[2]);
            for (LtxFileInfo info : client.listFiles(level, min, false)) {
                if (info.minTxid() == min && info.maxTxid() == max) {
                    LoadedFile f = index.load(info);
                    if (!f.header().noChecksum() && f.postApplyChecksum() != sc.checksum()) {
                        return "replica file " + info + " ends TXID " + Txid.format(max) + " with another checksum"
                                + " (the replica was replaced)";
                    }
                    return null;
                }
                if (Long.compareUnsigned(info.minTxid(), min) > 0) {
                    break;
                }
            }
        }
        return "TXID " + Txid.format(sc.txid()) + " is no longer a file boundary in the replica (compacted or"
                + " replaced)";
    }
}
