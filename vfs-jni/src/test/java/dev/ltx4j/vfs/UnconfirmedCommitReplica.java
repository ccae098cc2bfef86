package dev.ltx4j.vfs;

import dev.ltx4j.replica.LtxBody;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaAlreadyExistsException;
import dev.ltx4j.replica.ReplicaClientProvider;
import dev.ltx4j.replica.ReplicaEnvironment;
import dev.ltx4j.replica.ReplicaException;
import dev.ltx4j.replica.ReplicaOutcomeUnknownException;
import dev.ltx4j.replica.ReplicaPermanentException;
import dev.ltx4j.replica.ReplicaUrl;
import dev.ltx4j.replica.file.FileReplicaClient;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;

/**
 * A file replica whose creates of L0 files from TXID {@code from} on fail, for the VFS's unconfirmed-commit codes:
 * {@code failed} refuses them before anything is stored; {@code unknown} stores them, then loses the answer, and
 * refuses reads of them, so the engine cannot tell whether they landed; {@code rival} lets another writer's file land
 * there just before the create. Everything works again once a file named
 * {@code heal} exists next to the replica directory (a sqlite3 script makes it with {@code .shell touch}). As a
 * provider (scheme {@code unconfirmed}, {@code unconfirmed:///dir?fault=unknown&from=2}) it serves host processes
 * whose class path has it.
 */
public final class UnconfirmedCommitReplica implements ReplicaClient {
    private final FileReplicaClient files;
    private final Path heal;
    private final String fault;
    private final long from;

    UnconfirmedCommitReplica(Path root, String fault, long from) {
        this.files = new FileReplicaClient(root);
        this.heal = root.resolveSibling("heal");
        this.fault = fault;
        this.from = from;
    }

    private boolean faulty(int level, long minTxid) {
        return level == 0 && minTxid >= from && !Files.exists(heal);
    }

    @Override
    public String type() {
        return "unconfirmed";
    }

    @Override
    public List<LtxFileInfo> listFiles(int level, long seekTxid, boolean useMetadata) throws ReplicaException {
        return files.listFiles(level, seekTxid, useMetadata);
    }

    @Override
    public InputStream openFile(int level, long minTxid, long maxTxid, long offset, long length)
            throws ReplicaException {
        if (fault.equals("unknown") && faulty(level, minTxid)) {
            throw new ReplicaPermanentException("simulated: reads of L0/" + minTxid + " refused");
        }
        return files.openFile(level, minTxid, maxTxid, offset, length);
    }

    @Override
    public LtxFileInfo createFile(int level, long minTxid, long maxTxid, LtxBody body) throws ReplicaException {
        if (fault.equals("failed") && faulty(level, minTxid)) {
            throw new ReplicaPermanentException("simulated: the store refuses the create of L0/" + minTxid);
        }
        if (fault.equals("rival") && faulty(level, minTxid)) {
            // Another writer's file lands between the engine's listing and its create: the same bytes under another
            // NodeID (header bytes 72-79), then the create-if-absent finds it there.
            byte[] theirs;
            try (InputStream in = body.open()) {
                theirs = in.readAllBytes();
            } catch (java.io.IOException e) {
                throw new ReplicaPermanentException("reading the body failed", e);
            }
            theirs[79] ^= 1;
            files.createFile(level, minTxid, maxTxid, LtxBody.of(theirs));
            throw new ReplicaAlreadyExistsException("L0/" + minTxid + " exists (a rival's)");
        }
        LtxFileInfo info = files.createFile(level, minTxid, maxTxid, body);
        if (fault.equals("unknown") && faulty(level, minTxid)) {
            throw new ReplicaOutcomeUnknownException("simulated: connection reset after sending L0/" + minTxid);
        }
        return info;
    }

    @Override
    public void deleteFiles(Collection<LtxFileInfo> list) throws ReplicaException {
        files.deleteFiles(list);
    }

    @Override
    public void deleteAll() throws ReplicaException {
        files.deleteAll();
    }

    @Override
    public void close() {
        files.close();
    }

    /** The provider for host processes. */
    public static final class Provider implements ReplicaClientProvider {
        @Override
        public String scheme() {
            return "unconfirmed";
        }

        @Override
        public ReplicaClient open(ReplicaUrl url, ReplicaEnvironment env) {
            return new UnconfirmedCommitReplica(Path.of(url.path()), url.param("fault").orElse("none"),
                    Long.parseLong(url.param("from").orElse("2")));
        }
    }
}
