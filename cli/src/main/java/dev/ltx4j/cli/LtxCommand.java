package dev.ltx4j.cli;

import dev.ltx4j.ltx.Crc64;
import dev.ltx4j.ltx.LtxDecoder;
import dev.ltx4j.ltx.LtxHeader;
import dev.ltx4j.ltx.LtxSource;
import dev.ltx4j.ltx.LtxSummary;
import dev.ltx4j.ltx.PageIndex;
import dev.ltx4j.ltx.Txid;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaUrl;
import dev.ltx4j.replica.internal.PrefetchedChain;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
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

/** {@code ltx4j ltx ...}: inspect LTX files and replicas. */
@Command(name = "ltx", description = "Inspect LTX files and replicas.",
        subcommands = {LtxCommand.Verify.class, LtxCommand.Dump.class, LtxCommand.Ls.class})
final class LtxCommand {

    @Command(name = "verify", description = "Fully decode and check LTX files; exit 0 only when every file is valid. "
            + "Each argument is a file, a file:// URL of one, or a replica URL (file://DIR, s3://..., abs://...): "
            + "then every file of the replica is checked.")
    static final class Verify implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(arity = "1..*", paramLabel = "FILE|URL", description = "LTX files, file:// URLs of LTX files, or "
                + "replica URLs.")
        List<String> files;

        private int checked;
        private int bad;

        @Override
        public Integer call() throws IOException {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            for (String arg : files) {
                Path file = LocalFiles.path(arg);
                if (file != null && !Files.isDirectory(file)) {
                    verify(LtxSource.ofPath(file), file.toString(), out, err);
                } else if (file != null && !arg.regionMatches(true, 0, "file:", 0, 5)) {
                    bad++;
                    checked++;
                    err.printf("bad   %s: a directory; give its LTX files, or the replica as a URL (%s) to check"
                            + " every file in it%n", file, file.toUri());
                } else {
                    // file:/dir (one slash) is a URL too, but not one the replica parser takes: give it the path's
                    verifyReplica(file != null && !LocalFiles.isUrl(arg) ? file.toUri().toString() : arg, out, err);
                }
            }
            if (bad > 0) {
                err.printf("%d of %d files are not valid LTX files%n", bad, checked);
            }
            return bad == 0 ? 0 : 1;
        }

        private void verify(LtxSource src, String name, PrintWriter out, PrintWriter err) {
            checked++;
            try (InputStream in = new BufferedInputStream(src.open(), 1 << 16)) {
                LtxSummary s = LtxDecoder.verify(in, name);
                LtxHeader h = s.header();
                out.printf("ok    %s: TXID %s-%s, %d pages, commit %d, page size %d%n", name,
                        Txid.format(h.minTxid()), Txid.format(h.maxTxid()), s.pageCount(), h.commitPages(),
                        h.pageSize());
            } catch (IOException e) {
                bad++;
                err.printf("bad   %s: %s%n", name, Errors.describe(e));
            }
        }

        /** Every file of the replica at {@code url}, every level, read ahead as a restore reads its plan. */
        private void verifyReplica(String url, PrintWriter out, PrintWriter err) throws IOException {
            String shown = ReplicaUrl.redact(url);
            List<LtxFileInfo> all = new ArrayList<>();
            try (ReplicaClient client = Replicas.open(url)) {
                for (int l = ReplicaClient.MIN_LEVEL; l <= ReplicaClient.MAX_LEVEL; l++) {
                    all.addAll(client.listFiles(l, 0, false));
                }
                if (all.isEmpty()) {
                    bad++;
                    checked++;
                    err.printf("bad   %s: the replica holds no LTX files (ltx verify takes LTX files, file:// URLs of"
                            + " them, or a replica URL)%n", shown);
                    return;
                }
                try (PrefetchedChain chain = new PrefetchedChain(client, all, i -> { })) {
                    for (LtxSource src : chain.sources()) {
                        verify(src, shown + " " + src.name(), out, err);
                    }
                }
            }
        }
    }

    @Command(name = "dump", description = "Print an LTX file's header, pages and trailer.")
    static final class Dump implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "FILE", description = "An LTX file (a path or a file:// URL).")
        String arg;

        @Option(names = "--json", description = "Print JSON.")
        boolean json;

        @Override
        public Integer call() throws IOException {
            Path file = LocalFiles.path(arg);
            if (file == null) {
                throw new IllegalArgumentException("ltx dump reads a local LTX file (a path or a file:// URL), not "
                        + ReplicaUrl.redact(arg) + "; list a replica's files with: ltx4j ltx ls URL");
            }
            Map<String, Object> header;
            List<Map<String, Object>> pages = new ArrayList<>();
            LtxSummary summary;
            try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
                    LtxDecoder dec = new LtxDecoder(in, file.toString())) {
                LtxHeader h = dec.header();
                header = headerMap(h);
                byte[] page = new byte[h.pageSize()];
                for (long pgno; (pgno = dec.readPage(page, 0)) != 0; ) {
                    Map<String, Object> p = new LinkedHashMap<>();
                    p.put("pgno", pgno);
                    p.put("checksum", Txid.format(Crc64.pageChecksum(pgno, page, 0, page.length)));
                    pages.add(p);
                }
                dec.close();
                summary = dec.summary();
            }
            PageIndex index = summary.pageIndex();
            for (int i = 0; i < pages.size(); i++) {
                pages.get(i).put("offset", index.offset(i));
                pages.get(i).put("size", index.frameSize(i));
            }
            Map<String, Object> trailer = new LinkedHashMap<>();
            trailer.put("postApplyChecksum", Txid.format(summary.postApplyChecksum()));
            trailer.put("fileChecksum", Txid.format(summary.fileChecksum()));
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                Map<String, Object> all = new LinkedHashMap<>();
                all.put("file", file.toString());
                all.put("size", summary.size());
                all.put("header", header);
                all.put("pages", pages);
                all.put("trailer", trailer);
                out.println(Json.write(all));
                return 0;
            }
            out.printf("%s (%d bytes)%n", file, summary.size());
            // The timestamp as a UTC time with the raw milliseconds beside it; "time" is its JSON-only twin.
            header.forEach((k, v) -> {
                if (k.equals("timestamp")) {
                    out.printf("  %-18s %s (%s ms)%n", k, header.get("time"), v);
                } else if (!k.equals("time")) {
                    out.printf("  %-18s %s%n", k, v);
                }
            });
            out.printf("  %-8s %-12s %-8s %s%n", "pgno", "offset", "size", "page checksum");
            for (Map<String, Object> p : pages) {
                out.printf("  %-8s %-12s %-8s %s%n", p.get("pgno"), p.get("offset"), p.get("size"), p.get("checksum"));
            }
            trailer.forEach((k, v) -> out.printf("  %-18s %s%n", k, v));
            return 0;
        }
    }

    static Map<String, Object> headerMap(LtxHeader h) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("flags", String.format("0x%08x", h.flags()));
        m.put("pageSize", h.pageSize());
        m.put("commit", h.commitPages());
        m.put("minTxid", Txid.format(h.minTxid()));
        m.put("maxTxid", Txid.format(h.maxTxid()));
        m.put("timestamp", h.timestamp());
        m.put("time", Instant.ofEpochMilli(h.timestamp()).toString());
        m.put("preApplyChecksum", Txid.format(h.preApplyChecksum()));
        m.put("walOffset", h.walOffset());
        m.put("walSize", h.walSize());
        m.put("walSalt1", String.format("%08x", h.walSalt1()));
        m.put("walSalt2", String.format("%08x", h.walSalt2()));
        m.put("nodeId", Txid.format(h.nodeId()));
        return m;
    }

    @Command(name = "ls", description = "List the LTX files of a replica with their level, and a summary per level "
            + "(0 = synced transactions, 1-8 = compacted, 9 = snapshots).")
    static final class Ls implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "REPLICA_URL")
        String url;

        @Option(names = "--level", paramLabel = "N", description = "Only this level (0-9); default all levels.")
        Integer level;

        @Option(names = "--summary", description = "Only the per-level summary, not every file.")
        boolean summaryOnly;

        @Option(names = "--json", description = "Print JSON: {\"files\": [...], \"levels\": [...]}.")
        boolean json;

        @Override
        public Integer call() throws IOException {
            if (level != null && (level < ReplicaClient.MIN_LEVEL || level > ReplicaClient.MAX_LEVEL)) {
                throw new IllegalArgumentException("--level must be between 0 and 9, not " + level);
            }
            List<LtxFileInfo> files = new ArrayList<>();
            try (ReplicaClient client = Replicas.open(url)) {
                for (int l = ReplicaClient.MIN_LEVEL; l <= ReplicaClient.MAX_LEVEL; l++) {
                    if (level == null || level == l) {
                        files.addAll(client.listFiles(l, 0, true));
                    }
                }
            }
            List<LevelSummary> levels = LevelSummary.of(files);
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                Map<String, Object> all = new LinkedHashMap<>();
                if (!summaryOnly) {
                    List<Map<String, Object>> rows = new ArrayList<>();
                    for (LtxFileInfo f : files) {
                        rows.add(fileJson(f));
                    }
                    all.put("files", rows);
                }
                all.put("levels", levels.stream().map(LevelSummary::toJson).toList());
                out.println(Json.write(all));
                return 0;
            }
            if (!summaryOnly) {
                out.printf("%-5s %-16s %-16s %10s  %s%n", "level", "min_txid", "max_txid", "size", "created");
                for (LtxFileInfo f : files) {
                    out.printf("%-5d %-16s %-16s %10d  %s%n", f.level(), Txid.format(f.minTxid()),
                            Txid.format(f.maxTxid()), f.size(), f.createdAt());
                }
                out.println();
            }
            LevelSummary.print(out, levels);
            return 0;
        }
    }

    static Map<String, Object> fileJson(LtxFileInfo f) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("level", f.level());
        m.put("minTxid", Txid.format(f.minTxid()));
        m.put("maxTxid", Txid.format(f.maxTxid()));
        m.put("size", f.size());
        m.put("createdAt", String.valueOf(f.createdAt()));
        return m;
    }
}
