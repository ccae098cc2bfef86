package dev.ltx4j.compaction.internal;

import dev.ltx4j.compaction.CompactionStatus;
import dev.ltx4j.compaction.LevelStatus;
import dev.ltx4j.compaction.RetentionStatus;
import dev.ltx4j.replica.internal.JsonText;
import java.time.Instant;
import java.time.format.DateTimeFormatter;

/** Writes {@link CompactionStatus#toJson()}: the {@code "compaction"} object of {@code litestream_status()}. */
public final class StatusJson {
    private StatusJson() {
    }

    public static String write(CompactionStatus status) {
        StringBuilder b = new StringBuilder(512);
        b.append("{\"enabled\":").append(status.enabled()).append(",\"levels\":[");
        boolean first = true;
        for (LevelStatus l : status.levels()) {
            b.append(first ? "" : ",");
            first = false;
            b.append("{\"level\":").append(l.level())
                    .append(",\"interval_ms\":").append(l.interval().toMillis())
                    .append(",\"files_created\":").append(l.filesCreated())
                    .append(",\"already_compacted\":").append(l.alreadyCompacted())
                    .append(",\"last_run\":");
            time(b, l.lastRun());
            b.append(",\"last_file\":");
            string(b, l.lastFile() == null ? null : "L" + l.lastFile().level() + "/" + l.lastFile().filename());
            b.append(",\"last_error\":");
            string(b, l.lastError());
            b.append('}');
        }
        RetentionStatus r = status.retention();
        b.append("],\"retention\":{\"window_ms\":").append(r.window().toMillis())
                .append(",\"grace_ms\":").append(r.grace().toMillis())
                .append(",\"last_run\":");
        time(b, r.lastRun());
        b.append(",\"files_deleted\":").append(r.filesDeleted())
                .append(",\"bytes_deleted\":").append(r.bytesDeleted())
                .append(",\"last_run_files_deleted\":").append(r.lastRunFilesDeleted())
                .append(",\"last_run_bytes_deleted\":").append(r.lastRunBytesDeleted())
                .append(",\"last_error\":");
        string(b, r.lastError());
        b.append("},\"files_per_level\":[");
        for (int i = 0; i < status.filesPerLevel().size(); i++) {
            b.append(i == 0 ? "" : ",").append(status.filesPerLevel().get(i));
        }
        return b.append("]}").toString();
    }

    private static void time(StringBuilder b, Instant t) {
        string(b, t == null ? null : DateTimeFormatter.ISO_INSTANT.format(t));
    }

    static void string(StringBuilder b, String s) {
        JsonText.quote(b, s);
    }
}
