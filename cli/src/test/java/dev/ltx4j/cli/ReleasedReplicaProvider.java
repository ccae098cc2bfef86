package dev.ltx4j.cli;

import dev.ltx4j.replica.ForwardingReplicaClient;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaClientProvider;
import dev.ltx4j.replica.ReplicaClients;
import dev.ltx4j.replica.ReplicaEnvironment;
import dev.ltx4j.replica.ReplicaException;
import dev.ltx4j.replica.ReplicaTransientException;
import dev.ltx4j.replica.ReplicaUrl;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Test backend {@code released:///dir}: the file replica at {@code dir}, whose files after TXID 1 are read only once a
 * file {@code dir.go} exists (checked every 20 ms), so a restore in another process waits part way, its output
 * checked and its temporary file written, until the test lets it finish.
 */
public final class ReleasedReplicaProvider implements ReplicaClientProvider {
    @Override
    public String scheme() {
        return "released";
    }

    static Path gate(Path replica) {
        return replica.resolveSibling(replica.getFileName() + ".go");
    }

    @Override
    public ReplicaClient open(ReplicaUrl url, ReplicaEnvironment env) throws ReplicaException {
        Path gate = gate(Path.of(url.path()));
        return new ForwardingReplicaClient(ReplicaClients.open("file://" + url.path(), env)) {
            @Override
            public InputStream openFile(int level, long minTxid, long maxTxid, long offset, long length)
                    throws ReplicaException {
                while (minTxid > 1 && !Files.exists(gate)) {
                    try {
                        Thread.sleep(20);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new ReplicaTransientException("released read interrupted");
                    }
                }
                return super.openFile(level, minTxid, maxTxid, offset, length);
            }
        };
    }
}
