package dev.ltx4j.cli;

import dev.ltx4j.ltx.LtxFormatException;
import dev.ltx4j.ltx.LtxRestorer;
import dev.ltx4j.ltx.Txid;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaUrl;
import dev.ltx4j.replica.RestorePlanException;
import dev.ltx4j.replica.RestorePlanner;
import dev.ltx4j.replica.RestoreTarget;
import dev.ltx4j.replica.internal.DamagedFiles;
import dev.ltx4j.replica.internal.PrefetchedChain;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code ltx4j restore URL -o OUT}: rebuild a database file from a replica. */
@Command(name = "restore", description = "Rebuild a SQLite database from a replica (snapshot level 9, then the "
        + "greedy chain across levels 8..0, as Litestream plans it).")
final class RestoreCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "REPLICA_URL")
    String url;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "OUT.db", description = "Database file to write.")
    Path output;

    @Option(names = "--txid", paramLabel = "TXID", description = "Restore the state right after this TXID (16 hex digits).")
    String txid;

    @Option(names = "--timestamp", paramLabel = "RFC3339",
            description = "Restore the newest state from files created strictly before this time.")
    String timestamp;

    @Option(names = {"-f", "--force"}, description = "Overwrite OUT.db if it exists, and delete its -wal, -journal and"
            + " -shm (SQLite would apply an old -wal or -journal to the restored database).")
    boolean force;

    @Option(names = "--json", description = "Print the result as JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        RestoreTarget target = target();
        PrintWriter out = spec.commandLine().getOut();
        // The check's locks are held until the restored file is renamed into place (RestoreOutput).
        try (RestoreOutput where = RestoreOutput.check(output, force); ReplicaClient client = Replicas.open(url)) {
            List<LtxFileInfo> plan;
            try {
                plan = new RestorePlanner(client).plan(target);
            } catch (RestorePlanException e) { // "the replica holds no files": say which one
                throw new IOException("cannot restore from " + ReplicaUrl.redact(url) + ": " + e.getMessage(), e);
            }
            if (plan.get(0).minTxid() != 1) {
                throw new IOException("replica " + ReplicaUrl.redact(url) + " has no snapshot to start from: the plan begins at "
                        + plan.get(0) + "; the first file must start at TXID 1");
            }
            long bytes = 0;
            for (LtxFileInfo f : plan) {
                bytes += f.size();
            }
            Progress progress = Progress.onTerminal(System.err);
            String what = "restoring " + plan.size() + " files, " + bytes + " bytes:";
            progress.update(what, 0, plan.size());
            LtxRestorer.Result result;
            // Files are read ahead of the restorer, a bounded number and bytes at a time (PrefetchedChain).
            for (Path p : LtxRestorer.removeLeftovers(where.file())) {
                spec.commandLine().getErr().println("removed " + p + ": the partial database of an earlier restore that"
                        + " was stopped");
            }
            try (PrefetchedChain chain = new PrefetchedChain(client, plan, i -> progress.update(what, i, plan.size()));
                    RestoreOutput.StopHook stop = where.stopHook()) {
                result = LtxRestorer.restore(chain.sources(), where.file(), stop);
            } catch (LtxFormatException e) {
                throw explain(e, plan, ReplicaUrl.redact(url));
            }
            progress.update(what, plan.size(), plan.size());
            if (json) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("output", output.toString());
                m.put("txid", Txid.format(result.maxTxid()));
                m.put("pageSize", result.pageSize());
                m.put("pages", result.commit());
                m.put("files", plan.stream().map(LtxFileInfo::toString).toList());
                m.put("checksum", result.checksum() == 0 ? null : Txid.format(result.checksum()));
                Instant created = plan.get(plan.size() - 1).createdAt();
                m.put("createdAt", created == null ? null : created.toString());
                out.println(Json.write(m));
            } else {
                out.printf("restored %s at TXID %s: %d pages of %d bytes from %d files (%s)%n", where.shown(),
                        Txid.format(result.maxTxid()), result.commit(), result.pageSize(), plan.size(),
                        result.checksum() == 0 ? "checksums not tracked by this replica" : "checksum "
                                + Txid.format(result.checksum()) + " verified");
                LtxFileInfo last = plan.get(plan.size() - 1);
                if (timestamp != null && last.createdAt() != null) {
                    // A compacted file holds its transactions only together: the state restored may be well before
                    // the time asked for (docs/time-travel.md, "Restore to a file").
                    out.printf("the newest state created before %s: TXID %s, created at %s (%s)%n", timestamp,
                            Txid.format(result.maxTxid()), last.createdAt(), last);
                }
            }
        }
        return 0;
    }

    /** A damaged file of the plan named with its listed size and what to do (DamagedFiles); others as they are. */
    private static LtxFormatException explain(LtxFormatException e, List<LtxFileInfo> plan, String url) {
        for (LtxFileInfo f : plan) {
            if (f.toString().equals(e.fileName())) {
                return DamagedFiles.explain(e, f, url);
            }
        }
        return e;
    }

    private RestoreTarget target() {
        if (txid != null && timestamp != null) {
            throw new IllegalArgumentException("give --txid or --timestamp, not both");
        }
        if (txid != null) {
            long t;
            try {
                t = Txid.parse(txid);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--txid takes 16 hex digits, e.g. 0000000000000003; got \"" + txid + "\"");
            }
            if (t == 0) { // RestoreTarget's own refusal speaks Java ("use latest()")
                throw new IllegalArgumentException("--txid " + txid + " is before the first transaction (TXIDs start"
                        + " at 0000000000000001); leave out --txid to restore the latest state");
            }
            return RestoreTarget.txid(t);
        }
        if (timestamp != null) {
            try {
                return RestoreTarget.before(Instant.parse(timestamp));
            } catch (DateTimeParseException e) {
                throw new IllegalArgumentException("--timestamp takes an RFC 3339 time such as 2026-01-02T03:04:05Z; got \""
                        + timestamp + "\"");
            }
        }
        return RestoreTarget.latest();
    }
}
