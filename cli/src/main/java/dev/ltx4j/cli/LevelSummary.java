package dev.ltx4j.cli;

import dev.ltx4j.ltx.Txid;
import dev.ltx4j.replica.LtxFileInfo;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Files, bytes, TXID span and age of one replica level: the summary {@code ltx ls}, compact and retain print. */
record LevelSummary(int level, int files, long bytes, long minTxid, long maxTxid, Instant oldest, Instant newest) {

    /** One summary per level that has files, ascending. */
    static List<LevelSummary> of(List<LtxFileInfo> files) {
        Map<Integer, List<LtxFileInfo>> byLevel = new TreeMap<>();
        for (LtxFileInfo f : files) {
            byLevel.computeIfAbsent(f.level(), k -> new ArrayList<>()).add(f);
        }
        List<LevelSummary> out = new ArrayList<>();
        byLevel.forEach((level, list) -> out.add(of(level, list)));
        return out;
    }

    static LevelSummary of(int level, List<LtxFileInfo> files) {
        long bytes = 0;
        long min = -1;
        long max = 0;
        Instant oldest = null;
        Instant newest = null;
        for (LtxFileInfo f : files) {
            bytes += f.size();
            if (min == -1 || Long.compareUnsigned(f.minTxid(), min) < 0) {
                min = f.minTxid();
            }
            if (Long.compareUnsigned(f.maxTxid(), max) > 0) {
                max = f.maxTxid();
            }
            Instant at = f.createdAt();
            if (at != null) {
                oldest = oldest == null || at.isBefore(oldest) ? at : oldest;
                newest = newest == null || at.isAfter(newest) ? at : newest;
            }
        }
        return new LevelSummary(level, files.size(), bytes, files.isEmpty() ? 0 : min, max, oldest, newest);
    }

    Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("level", level);
        m.put("files", files);
        m.put("bytes", bytes);
        m.put("minTxid", Txid.format(minTxid));
        m.put("maxTxid", Txid.format(maxTxid));
        m.put("oldest", oldest == null ? null : oldest.toString());
        m.put("newest", newest == null ? null : newest.toString());
        return m;
    }

    static String describe(int level) {
        return level == 0 ? "L0 (synced)" : level == 9 ? "L9 (snapshots)" : "L" + level + " (compacted)";
    }

    static void print(PrintWriter out, List<LevelSummary> levels) {
        out.printf("%-15s %8s %14s  %-16s %-16s  %s%n", "level", "files", "bytes", "min_txid", "max_txid",
                "created (oldest .. newest)");
        int files = 0;
        long bytes = 0;
        for (LevelSummary l : levels) {
            out.printf("%-15s %8d %14d  %-16s %-16s  %s .. %s%n", describe(l.level), l.files, l.bytes,
                    Txid.format(l.minTxid), Txid.format(l.maxTxid), l.oldest, l.newest);
            files += l.files;
            bytes += l.bytes;
        }
        out.printf("%-15s %8d %14d%n", "total", files, bytes);
    }
}
