package dev.ltx4j.cli;

import dev.ltx4j.compaction.CompactionFaults;
import dev.ltx4j.compaction.CompactionResult;
import dev.ltx4j.compaction.CompactionSettings;
import dev.ltx4j.compaction.Compactor;
import dev.ltx4j.compaction.RecentUploads;
import dev.ltx4j.replica.CountingReplicaClient;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaUrl;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code ltx4j compact URL}: compacts an existing replica now (one written before compaction existed, by the reference
 * extension, or by a writer with compaction off), level by level as the writer's scheduler would, then writes a
 * level-9 snapshot. Deletes nothing: {@code ltx4j retain} does that.
 */
@Command(name = "compact", description = "Compact a replica now: level 0 into 1, 1 into 2, ... (the levels of the "
        + "default intervals 30s,5m,1h or --intervals), then a level-9 snapshot of the latest TXID unless --no-snapshot. "
        + "Writes only new files (create-if-absent, safe beside a running writer or another compactor); deletes nothing.")
final class CompactCommand implements Callable<Integer> {
    /** Bytes of this run's own outputs held for the next level (files up to a quarter of it). */
    static final long HELD_OUTPUT_BYTES = 64L << 20;

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "REPLICA_URL")
    String url;

    @Option(names = "--intervals", paramLabel = "LIST", description = "Compaction levels as the writer's intervals, "
            + "e.g. 30s,5m,1h (3 levels, the default); only their number matters here; 'none' = no levels.")
    String intervals;

    @Option(names = "--no-snapshot", description = "Do not write a level-9 snapshot.")
    boolean noSnapshot;

    @Option(names = "--json", description = "Print the result as JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        CompactionSettings settings = CompactionSettings.defaults();
        if (intervals != null) {
            settings = settings.withLevelIntervals(CompactionSettings.parseLevelIntervals("--intervals", intervals));
        }
        String where = ReplicaUrl.redact(url);
        List<Map<String, Object>> steps = new ArrayList<>();
        CountingReplicaClient.Counts requests;
        long started = System.nanoTime();
        Progress progress = Progress.onTerminal(System.err);
        try (ReplicaClient opened = Replicas.open(url); CountingReplicaClient client = new CountingReplicaClient(opened)) {
            Compactor compactor = new Compactor(client, settings, CompactionFaults.NONE);
            // Each level's outputs are the next level's inputs: held here, they are proven by a 16-byte trailer read
            // instead of downloaded again (docs/request-costs.md).
            compactor.reuseUploads(new RecentUploads(HELD_OUTPUT_BYTES), false);
            for (int level = 1; level <= settings.levels(); level++) {
                steps.add(compactLevel(compactor, client, level, progress, where));
            }
            if (!noSnapshot) {
                steps.add(step(client, ReplicaClient.SNAPSHOT_LEVEL, () -> List.of(compactor.snapshot(Instant.now())), where));
            }
            requests = client.snapshot();
        }
        long ms = (System.nanoTime() - started) / 1_000_000;
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("url", where);
            m.put("levels", steps);
            m.put("requests", Requests.toJson(requests));
            m.put("elapsed_ms", ms);
            out.println(Json.write(m));
            return 0;
        }
        for (Map<String, Object> s : steps) {
            out.println(describe(s));
        }
        out.printf("compacted %s in %d ms (%s)%n", where, ms, Requests.describe(requests));
        return 0;
    }

    private interface Step {
        List<CompactionResult> run() throws IOException;
    }

    /** Compacts one level until nothing is left (the compactor caps one output at MAX_INPUTS inputs). */
    private Map<String, Object> compactLevel(Compactor compactor, ReplicaClient client, int level, Progress progress,
            String where) throws IOException {
        long waiting = progress.enabled() ? client.listFiles(level - 1, 0, false).size() : 0;
        return step(client, level, () -> {
            List<CompactionResult> results = new ArrayList<>();
            long read = 0;
            CompactionResult r;
            do {
                r = compactor.compactLevel(level, Instant.now());
                results.add(r);
                read += r.inputs().size();
                if (r.more()) {
                    progress.update("compacting L" + (level - 1) + " into L" + level + ": files read",
                            Math.min(read, waiting - 1), Math.max(waiting, read + 1));
                }
            } while (r.more() && r.outcome() != CompactionResult.Outcome.NOTHING_TO_DO);
            progress.update("compacting L" + (level - 1) + " into L" + level + ": files read", read, read);
            return results;
        }, where);
    }

    private static Map<String, Object> step(ReplicaClient client, int level, Step step, String where) throws IOException {
        List<CompactionResult> results;
        try {
            results = step.run();
        } catch (IOException | RuntimeException e) {
            throw new IOException("compacting " + (level == ReplicaClient.SNAPSHOT_LEVEL ? "the snapshot" : "level " + level)
                    + " of " + where + " failed: " + Errors.describe(e), e);
        }
        long readFiles = 0;
        long readBytes = 0;
        long already = 0;
        List<Map<String, Object>> written = new ArrayList<>();
        for (CompactionResult r : results) {
            for (LtxFileInfo in : r.inputs()) {
                readFiles++;
                readBytes += in.size();
            }
            if (r.output() != null) {
                Map<String, Object> f = LtxCommand.fileJson(r.output());
                f.put("outcome", r.outcome() == CompactionResult.Outcome.CREATED ? "created" : "already_compacted");
                written.add(f);
                if (r.outcome() == CompactionResult.Outcome.ALREADY_COMPACTED) {
                    already++;
                }
            }
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("level", level);
        m.put("files_read", readFiles);
        m.put("bytes_read", readBytes);
        m.put("files_written", written.size() - already);
        m.put("already_compacted", already);
        m.put("outputs", written);
        return m;
    }

    private static String describe(Map<String, Object> s) {
        int level = (Integer) s.get("level");
        String name = level == ReplicaClient.SNAPSHOT_LEVEL ? "L9 snapshot" : "L" + level;
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> outputs = (List<Map<String, Object>>) s.get("outputs");
        if (outputs.isEmpty()) {
            return String.format("%-12s nothing to do", name);
        }
        StringBuilder sb = new StringBuilder(String.format("%-12s read %d file(s) (%d bytes), wrote %d file(s)", name,
                (Long) s.get("files_read"), (Long) s.get("bytes_read"), (Long) s.get("files_written")));
        if ((Long) s.get("already_compacted") > 0) {
            sb.append(", ").append(s.get("already_compacted")).append(" already compacted");
        }
        Map<String, Object> last = outputs.get(outputs.size() - 1);
        sb.append("; newest ").append(last.get("minTxid")).append('-').append(last.get("maxTxid"));
        return sb.toString();
    }
}
