package dev.ltx4j.vfs.engine;

import dev.ltx4j.pagestore.replica.DiskPageCache;
import dev.ltx4j.pagestore.replica.HydrationStatus;
import dev.ltx4j.syncer.Database;

/** Adds the {@code "hydration"} and {@code "disk_cache"} objects to {@code litestream_status()} (docs/hydration.md). */
final class LocalCopyStatus {
    private LocalCopyStatus() {}

    static String withLocalCopies(String json, Database db) {
        HydrationStatus h = db.hydrationStatus();
        DiskPageCache.Stats c = db.diskCacheStats();
        if (!json.endsWith("}")) {
            return json;
        }
        StringBuilder b = new StringBuilder(json.substring(0, json.length() - 1));
        b.append(",\"hydration\":").append(h == null ? "{\"state\":\"off\"}" : h.toJson());
        if (c != null) {
            b.append(",\"disk_cache\":{\"path\":").append(str(c.path()))
                    .append(",\"capacity_bytes\":").append(c.capacityBytes())
                    .append(",\"entries\":").append(c.entries())
                    .append(",\"hits\":").append(c.hits())
                    .append(",\"misses\":").append(c.misses())
                    .append(",\"writes\":").append(c.writes())
                    .append(",\"rejected\":").append(c.rejected())
                    .append(",\"disabled\":").append(str(c.disabled())).append('}');
        }
        return b.append('}').toString();
    }

    private static String str(String s) {
        if (s == null) return "null";
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
