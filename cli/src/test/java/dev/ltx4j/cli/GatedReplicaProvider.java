package dev.ltx4j.cli;

import dev.ltx4j.replica.ForwardingReplicaClient;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaClientProvider;
import dev.ltx4j.replica.ReplicaClients;
import dev.ltx4j.replica.ReplicaEnvironment;
import dev.ltx4j.replica.ReplicaException;
import dev.ltx4j.replica.ReplicaUrl;
import java.io.InputStream;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Test backend {@code gated:///dir}: the file replica at {@code dir}, whose reads are watched. The read of the
 * plan's first file ({@code level 9} or TXID 1) waits until {@link #othersBeforeFirst} other reads have started (at
 * most {@link #WAIT_SECONDS}), so a restore that reads ahead lets it through at once and a sequential one waits
 * out the bound. What the gate saw is in {@link #seenWhileFirstWaited}.
 */
public final class GatedReplicaProvider implements ReplicaClientProvider {
    static final int WAIT_SECONDS = 10;
    static volatile int othersBeforeFirst = 2;
    static volatile CountDownLatch others = new CountDownLatch(2);
    static final AtomicInteger seenWhileFirstWaited = new AtomicInteger(-1);
    static final AtomicInteger reads = new AtomicInteger();
    static final List<String> readThreads = new CopyOnWriteArrayList<>();

    static void reset(int othersWanted) {
        othersBeforeFirst = othersWanted;
        others = new CountDownLatch(othersWanted);
        seenWhileFirstWaited.set(-1);
        reads.set(0);
        readThreads.clear();
    }

    @Override
    public String scheme() {
        return "gated";
    }

    @Override
    public ReplicaClient open(ReplicaUrl url, ReplicaEnvironment env) throws ReplicaException {
        return new ForwardingReplicaClient(ReplicaClients.open("file://" + url.path(), env)) {
            @Override
            public InputStream openFile(int level, long minTxid, long maxTxid, long offset, long length)
                    throws ReplicaException {
                reads.incrementAndGet();
                readThreads.add(Thread.currentThread().getName());
                if (minTxid == 1) {
                    try {
                        others.await(WAIT_SECONDS, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    seenWhileFirstWaited.compareAndSet(-1, othersBeforeFirst - (int) others.getCount());
                } else {
                    others.countDown();
                }
                return super.openFile(level, minTxid, maxTxid, offset, length);
            }
        };
    }
}
