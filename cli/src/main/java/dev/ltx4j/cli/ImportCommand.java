package dev.ltx4j.cli;

import dev.ltx4j.ltx.DatabaseChecksum;
import dev.ltx4j.ltx.Ltx;
import dev.ltx4j.ltx.LtxEncodeResult;
import dev.ltx4j.ltx.LtxEncoder;
import dev.ltx4j.ltx.LtxHeader;
import dev.ltx4j.ltx.Txid;
import dev.ltx4j.replica.LtxBody;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaAlreadyExistsException;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaClients;
import dev.ltx4j.replica.ReplicaNotFoundException;
import dev.ltx4j.replica.ReplicaOutcomeUnknownException;
import dev.ltx4j.replica.ReplicaPermanentException;
import dev.ltx4j.replica.ReplicaUrl;
import dev.ltx4j.replica.file.FileReplicaClient;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code ltx4j import DB REPLICA_URL}: publish an existing SQLite database as a snapshot at TXID 1. */
@Command(name = "import", description = "Write an existing SQLite database into an empty replica as a snapshot at TXID 1.")
final class ImportCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "DB_FILE", description = "The SQLite database to import (not being written).")
    Path db;

    @Parameters(index = "1", paramLabel = "REPLICA_URL", description = "An empty replica: file:///..., s3://..., abs://...")
    String url;

    @Option(names = "--json", description = "Print the result as JSON.")
    boolean json;

    @Override
    public Integer call() throws IOException {
        SqliteFile source = SqliteFile.inspect(db);
        ReplicaClient raw = ReplicaClients.open(url);
        String where = describe(raw);
        try (ReplicaClient client = Replicas.retrying(raw)) {
            if (!json) {
                // Said before any work, so a mistyped URL is visible even if the import then fails.
                spec.commandLine().getOut().println("replica " + where);
                spec.commandLine().getOut().flush();
            }
            requireEmpty(client, url);
            Path tmp = Files.createTempFile("ltx4j-import-", ".ltx");
            try {
                LtxEncodeResult result = encodeSnapshot(source, tmp, Clock.systemUTC().millis(),
                        Progress.onTerminal(System.err));
                LtxFileInfo info = create(client, tmp, result);
                report(source, result, info, where);
            } finally {
                Files.deleteIfExists(tmp);
            }
        }
        return 0;
    }

    /**
     * Creates TXID 1. The client stack passes an ambiguous create on unresolved; this is the import's one place
     * that resolves it: the stored file is ours if its file checksum (the trailer's last 8 bytes) is ours, absent
     * means create again, anything else is another writer's.
     */
    static LtxFileInfo create(ReplicaClient client, Path file, LtxEncodeResult result) throws IOException {
        LtxFileInfo ours = new LtxFileInfo(0, 1, 1, result.size(), Instant.ofEpochMilli(result.header().timestamp()));
        for (int attempt = 1; ; attempt++) {
            try {
                return client.createFile(0, 1, 1, LtxBody.of(file));
            } catch (ReplicaOutcomeUnknownException unknown) {
                byte[] tail;
                try {
                    tail = client.readRange(0, 1, 1, result.size() - 8, 0);
                } catch (ReplicaNotFoundException absent) {
                    if (attempt < 3) {
                        continue; // it did not land: create again
                    }
                    throw unknown;
                }
                if (tail.length == 8 && ByteBuffer.wrap(tail).getLong() == result.fileChecksum()) {
                    return ours;
                }
                throw new ReplicaAlreadyExistsException("another writer created " + ours + " while the import's"
                        + " create was in doubt (" + unknown.getMessage() + ")", unknown);
            }
        }
    }

    /** Where the replica lives: the resolved root directory for file://, else the redacted URL. */
    private String describe(ReplicaClient client) {
        if (client instanceof FileReplicaClient file) {
            return "root: " + file.root().toAbsolutePath();
        }
        return "URL: " + ReplicaUrl.redact(url);
    }

    private void report(SqliteFile source, LtxEncodeResult result, LtxFileInfo info, String where) {
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("replica", where.substring(where.indexOf(": ") + 2));
            m.put("database", source.path().toString());
            m.put("pageSize", source.pageSize());
            m.put("pages", source.pages());
            m.put("txid", Txid.format(1));
            m.put("file", info.toString());
            m.put("size", info.size());
            m.put("postApplyChecksum", Txid.format(result.postApplyChecksum()));
            out.println(Json.write(m));
        } else {
            out.printf("imported %s: %d pages of %d bytes as %s (%d bytes), checksum %s%n", source.path(),
                    source.pages(), source.pageSize(), info, info.size(), Txid.format(result.postApplyChecksum()));
        }
    }

    static void requireEmpty(ReplicaClient client, String url) throws IOException {
        for (int level = ReplicaClient.MIN_LEVEL; level <= ReplicaClient.MAX_LEVEL; level++) {
            List<LtxFileInfo> files = client.listFiles(level, 0, false);
            if (!files.isEmpty()) {
                throw new ReplicaPermanentException("replica " + ReplicaUrl.redact(url) + " is not empty (it has " + files.get(0)
                        + "); import writes TXID 1 and needs an empty replica");
            }
        }
    }

    /** Encodes every page of the database (except the lock page) as a checksum-tracked snapshot. */
    static LtxEncodeResult encodeSnapshot(SqliteFile source, Path out, long timestampMillis, Progress progress)
            throws IOException {
        int pageSize = source.pageSize();
        long lockPgno = Ltx.lockPgno(pageSize);
        LtxHeader header = LtxHeader.of(0, pageSize, source.pages(), 1, 1, timestampMillis, 0);
        DatabaseChecksum checksum = new DatabaseChecksum(pageSize);
        byte[] page = new byte[pageSize];
        ByteBuffer buf = ByteBuffer.wrap(page);
        try (FileChannel in = FileChannel.open(source.path());
                OutputStream os = new BufferedOutputStream(Files.newOutputStream(out), 1 << 16)) {
            LtxEncoder encoder = new LtxEncoder(os, header, out.getFileName().toString());
            for (long pgno = 1; pgno <= source.pages(); pgno++) {
                if (pgno == lockPgno) {
                    continue;
                }
                buf.clear();
                long pos = (pgno - 1) * pageSize;
                while (buf.hasRemaining()) {
                    if (in.read(buf, pos + buf.position()) < 0) {
                        throw new IOException(source.path() + " shrank while it was being imported");
                    }
                }
                checksum.toggle(pgno, page, 0);
                encoder.writePage(pgno, page, 0);
                progress.update("importing pages", pgno, source.pages());
            }
            LtxEncodeResult result = encoder.finish(checksum.value());
            os.flush();
            return result;
        }
    }
}
