package dev.ltx4j.cli;

import dev.ltx4j.compaction.CompactionFaults;
import dev.ltx4j.compaction.CompactionSettings;
import dev.ltx4j.compaction.Compactor;
import dev.ltx4j.compaction.RetentionPlan;
import dev.ltx4j.compaction.RetentionResult;
import dev.ltx4j.ltx.Txid;
import dev.ltx4j.replica.CountingReplicaClient;
import dev.ltx4j.replica.ForwardingReplicaClient;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaException;
import dev.ltx4j.replica.ReplicaUrl;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code ltx4j retain URL --keep DURATION}: retention, the one destructive operation, as a dry run by default. Lists
 * what the plan would delete (files that newer snapshots and higher levels fully cover, outside the window and the
 * grace period) and what stays restorable; deletes only with {@code --apply}.
 */
@Command(name = "retain", description = "Delete replica files no longer needed to restore any state of the last "
        + "--keep DURATION (dry run unless --apply). Only files that snapshots and higher levels cover go; run "
        + "'ltx4j compact' first on a replica without them.")
final class RetainCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "REPLICA_URL")
    String url;

    @Option(names = "--keep", required = true, paramLabel = "DURATION",
            description = "Retention window as a Go duration (24h, 90m, 168h for a week): every state from this long "
                    + "ago until now stays restorable.")
    String keep;

    @Option(names = "--grace", paramLabel = "DURATION", defaultValue = "15m",
            description = "Only delete files that were already deletable this long ago, so readers holding an older "
                    + "plan keep their files (default: ${DEFAULT-VALUE}).")
    String grace;

    @Option(names = "--apply", description = "Delete. Without it nothing is changed.")
    boolean apply;

    @Option(names = "--json", description = "Print the result as JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        Duration window = CompactionSettings.parseDurationOrZero("--keep", keep);
        if (window.isZero()) {
            throw new IllegalArgumentException("--keep 0 would keep everything (retention off): give a window such as 24h");
        }
        Duration graceDuration = CompactionSettings.parseDurationOrZero("--grace", grace);
        CompactionSettings settings = CompactionSettings.defaults().withRetention(window).withRetentionGrace(graceDuration);
        String where = ReplicaUrl.redact(url);
        Progress progress = Progress.onTerminal(System.err);
        RetentionResult result;
        CountingReplicaClient.Counts requests;
        try (ReplicaClient opened = Replicas.open(url); CountingReplicaClient counting = new CountingReplicaClient(opened)) {
            DeleteProgress client = new DeleteProgress(counting, progress);
            Compactor compactor = new Compactor(client, settings, CompactionFaults.NONE);
            Instant now = Instant.now();
            try {
                if (apply && progress.enabled()) {
                    client.total = compactor.retain(now, false).plan().delete().size();
                }
                result = compactor.retain(now, apply);
            } catch (IOException | RuntimeException e) {
                throw new IOException("retention of " + where + " failed after deleting " + client.deleted.get()
                        + " files (the replica still restores every state in the window): " + Errors.describe(e), e);
            }
            requests = counting.snapshot();
        }
        RetentionPlan plan = result.plan();
        Map<String, Object> report = report(where, result, requests);
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(Json.write(report));
        } else {
            print(out, where, result, report);
        }
        if (plan.refusal() != null) {
            spec.commandLine().getErr().println("ltx4j: retention refused for " + where + ": " + plan.refusal()
                    + " (nothing deleted)");
            return 1;
        }
        return 0;
    }

    private static Map<String, Object> report(String where, RetentionResult result, CountingReplicaClient.Counts requests) {
        RetentionPlan plan = result.plan();
        Map<Integer, long[]> perLevel = new TreeMap<>(); // level -> delete files, delete bytes, keep files, keep bytes
        for (LtxFileInfo f : plan.delete()) {
            long[] c = perLevel.computeIfAbsent(f.level(), k -> new long[4]);
            c[0]++;
            c[1] += f.size();
        }
        for (LtxFileInfo f : plan.keep()) {
            long[] c = perLevel.computeIfAbsent(f.level(), k -> new long[4]);
            c[2]++;
            c[3] += f.size();
        }
        List<Map<String, Object>> levels = new ArrayList<>();
        perLevel.forEach((level, c) -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("level", level);
            m.put("delete_files", c[0]);
            m.put("delete_bytes", c[1]);
            m.put("keep_files", c[2]);
            m.put("keep_bytes", c[3]);
            levels.add(m);
        });
        List<Long> points = plan.restorePoints();
        Long oldest = points.isEmpty() ? null : points.get(0);
        Long latest = points.isEmpty() ? null : points.get(points.size() - 1);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("url", where);
        m.put("applied", result.applied());
        m.put("now", plan.now().toString());
        m.put("keep_ms", plan.retention().toMillis());
        m.put("grace_ms", plan.grace().toMillis());
        m.put("window_start", plan.retention().isZero() ? null : plan.windowStart().toString());
        m.put("refusal", plan.refusal());
        m.put("files_to_delete", plan.delete().size());
        m.put("bytes_to_delete", plan.bytesToDelete());
        m.put("files_deleted", result.filesDeleted());
        m.put("bytes_deleted", result.bytesDeleted());
        m.put("files_kept", plan.keep().size());
        m.put("levels", levels);
        m.put("oldest_restorable_txid", oldest == null ? null : Txid.format(oldest));
        m.put("oldest_restorable_time", oldest == null ? null : createdAtOfMax(plan.keep(), oldest));
        m.put("latest_txid", latest == null ? null : Txid.format(latest));
        m.put("restore_points", points.stream().map(Txid::format).toList());
        m.put("requests", Requests.toJson(requests));
        return m;
    }

    /** When the state at {@code txid} was written: the newest createdAt among kept files ending there. */
    private static String createdAtOfMax(List<LtxFileInfo> files, long txid) {
        Instant at = null;
        for (LtxFileInfo f : files) {
            if (f.maxTxid() == txid && f.createdAt() != null && (at == null || f.createdAt().isAfter(at))) {
                at = f.createdAt();
            }
        }
        return at == null ? null : at.toString();
    }

    @SuppressWarnings("unchecked")
    private static void print(PrintWriter out, String where, RetentionResult result, Map<String, Object> r) {
        RetentionPlan plan = result.plan();
        if (result.applied()) {
            out.printf("deleted %d files (%d bytes) from %s; kept %d%n", result.filesDeleted(), result.bytesDeleted(),
                    where, plan.keep().size());
        } else {
            out.printf("dry run: would delete %d files (%d bytes) from %s; keep %d (pass --apply to delete)%n",
                    plan.delete().size(), plan.bytesToDelete(), where, plan.keep().size());
        }
        out.printf("%-15s %12s %14s %12s %14s%n", "level", "delete", "bytes", "keep", "bytes");
        for (Map<String, Object> l : (List<Map<String, Object>>) r.get("levels")) {
            out.printf("%-15s %12d %14d %12d %14d%n", LevelSummary.describe((Integer) l.get("level")),
                    (Long) l.get("delete_files"), (Long) l.get("delete_bytes"), (Long) l.get("keep_files"),
                    (Long) l.get("keep_bytes"));
        }
        if (plan.delete().isEmpty() && plan.keep().stream().allMatch(f -> f.level() == 0)) {
            out.println("nothing is covered by a snapshot or a higher level yet: run 'ltx4j compact " + where + "' first");
        }
        if (r.get("oldest_restorable_txid") != null) {
            out.printf("restorable: %d points from TXID %s (%s) to %s; window %s from %s%n", plan.restorePoints().size(),
                    r.get("oldest_restorable_txid"), r.get("oldest_restorable_time"), r.get("latest_txid"),
                    goDuration(plan.retention()), plan.retention().isZero() ? "the start" : plan.windowStart());
        }
    }

    /** A duration as the options take it: 24h, 90m, 15s, 1ms. */
    static String goDuration(Duration d) {
        long ms = d.toMillis();
        if (ms % 3_600_000 == 0 && ms > 0) {
            return ms / 3_600_000 + "h";
        } else if (ms % 60_000 == 0 && ms > 0) {
            return ms / 60_000 + "m";
        } else if (ms % 1000 == 0) {
            return ms / 1000 + "s";
        }
        return ms + "ms";
    }

    /** Counts deleted files for the progress line (and the error message of a failed batch). */
    private static final class DeleteProgress extends ForwardingReplicaClient {
        final AtomicLong deleted = new AtomicLong();
        final Progress progress;
        long total;

        DeleteProgress(ReplicaClient delegate, Progress progress) {
            super(delegate);
            this.progress = progress;
        }

        @Override
        public void deleteFiles(Collection<LtxFileInfo> files) throws ReplicaException {
            super.deleteFiles(files);
            long done = deleted.addAndGet(files.size());
            progress.update("deleting files", done, Math.max(done, total));
        }
    }
}
