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

/**
 * Test backend {@code stalled:///dir}: the file replica at {@code dir} whose files after TXID 1 never arrive (each
 * read waits until interrupted), so a restore stops part way with its output half written: a process to stop.
 */
public final class StalledReplicaProvider implements ReplicaClientProvider {
    @Override
    public String scheme() {
        return "stalled";
    }

    @Override
    public ReplicaClient open(ReplicaUrl url, ReplicaEnvironment env) throws ReplicaException {
        return new ForwardingReplicaClient(ReplicaClients.open("file://" + url.path(), env)) {
            @Override
            public InputStream openFile(int level, long minTxid, long maxTxid, long offset, long length)
                    throws ReplicaException {
                if (minTxid > 1) {
                    try {
                        Thread.sleep(Long.MAX_VALUE);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new ReplicaTransientException("stalled read interrupted");
                    }
                }
                return super.openFile(level, minTxid, maxTxid, offset, length);
            }
        };
    }
}
