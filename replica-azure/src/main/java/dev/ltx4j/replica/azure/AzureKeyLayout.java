package dev.ltx4j.replica.azure;

import dev.ltx4j.replica.support.GoPath;
import dev.ltx4j.ltx.TxidRange;

/**
 * Litestream's Azure keys: {@code path.Join(path, "ltx", level) + "/" + "<min>-<max>.ltx"}, level in decimal.
 * {@code path.Join} cleans, so a root replica ({@code "."} or {@code ""}) keeps its files under {@code ltx/}.
 */
record AzureKeyLayout(String path) {

    boolean isRoot() {
        return path.isEmpty() || path.equals(".");
    }

    String levelPrefix(int level) {
        return GoPath.clean((isRoot() ? "" : path + "/") + "ltx/" + level) + "/";
    }

    String key(int level, long minTxid, long maxTxid) {
        return levelPrefix(level) + new TxidRange(minTxid, maxTxid).filename();
    }

    /**
     * Everything {@link dev.ltx4j.replica.ReplicaClient#deleteAll} removes. For a root replica that is {@code ltx/}
     * only, never the whole container (Litestream's prefix there, {@code "./"} or {@code "/"}, matches nothing).
     */
    String replicaPrefix() {
        return isRoot() ? "ltx/" : GoPath.clean(path) + "/";
    }
}
