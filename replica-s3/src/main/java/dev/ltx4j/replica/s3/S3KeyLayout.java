package dev.ltx4j.replica.s3;

import dev.ltx4j.ltx.TxidRange;

/**
 * Litestream's S3 keys: {@code <path>/<level as %04x>/<min>-<max>.ltx}, with the path joined by plain
 * concatenation (so path {@code "."} gives {@code ./0000/...} and {@code ""} gives {@code /0000/...}, as in Go).
 */
record S3KeyLayout(String path) {

    /** The prefix every object of this replica starts with; a sibling like {@code db2} never matches {@code db/}. */
    String replicaPrefix() {
        return path + "/";
    }

    String levelPrefix(int level) {
        return path + "/" + String.format("%04x", level) + "/";
    }

    String key(int level, long minTxid, long maxTxid) {
        return levelPrefix(level) + new TxidRange(minTxid, maxTxid).filename();
    }

    static String basename(String key) {
        return key.substring(key.lastIndexOf('/') + 1);
    }
}
