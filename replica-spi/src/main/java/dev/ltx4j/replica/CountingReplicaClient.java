package dev.ltx4j.replica;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counts the requests made through it and the bytes moved, for tests and metrics ("this restore never downloaded
 * a file twice"). Every call is counted, whether it succeeds or fails. Thread-safe.
 */
public final class CountingReplicaClient implements ReplicaClient {

    /**
     * Counts at one moment.
     *
     * @param lists {@code listFiles} calls
     * @param opens {@code openFile} calls
     * @param creates {@code createFile} calls
     * @param deletes {@code deleteFiles} calls with at least one file
     * @param deleteAlls {@code deleteAll} calls
     * @param bytesRead bytes delivered by streams from {@code openFile}
     * @param bytesWritten body bytes of successful {@code createFile} calls
     */
    public record Counts(long lists, long opens, long creates, long deletes, long deleteAlls, long bytesRead,
            long bytesWritten) {
        /** All requests of any kind. */
        public long requests() {
            return lists + opens + creates + deletes + deleteAlls;
        }
    }

    private final ReplicaClient delegate;
    private final LongAdder lists = new LongAdder();
    private final LongAdder opens = new LongAdder();
    private final LongAdder creates = new LongAdder();
    private final LongAdder deletes = new LongAdder();
    private final LongAdder deleteAlls = new LongAdder();
    private final LongAdder bytesRead = new LongAdder();
    private final LongAdder bytesWritten = new LongAdder();
    private final Map<String, LongAdder> opensByFile = new ConcurrentHashMap<>();

    public CountingReplicaClient(ReplicaClient delegate) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
    }

    /** The counts so far. */
    public Counts snapshot() {
        return new Counts(lists.sum(), opens.sum(), creates.sum(), deletes.sum(), deleteAlls.sum(), bytesRead.sum(),
                bytesWritten.sum());
    }

    /** How many times one file was opened (any range). */
    public long opensOf(int level, long minTxid, long maxTxid) {
        LongAdder n = opensByFile.get(key(level, minTxid, maxTxid));
        return n == null ? 0 : n.sum();
    }

    /** Sets every count back to zero. */
    public void reset() {
        for (LongAdder a : List.of(lists, opens, creates, deletes, deleteAlls, bytesRead, bytesWritten)) {
            a.reset();
        }
        opensByFile.clear();
    }

    private static String key(int level, long min, long max) {
        return level + "/" + min + "/" + max;
    }

    @Override
    public String type() {
        return delegate.type();
    }

    @Override
    public List<LtxFileInfo> listFiles(int level, long seekTxid, boolean useMetadata) throws ReplicaException {
        lists.increment();
        return delegate.listFiles(level, seekTxid, useMetadata);
    }

    @Override
    public InputStream openFile(int level, long minTxid, long maxTxid, long offset, long length) throws ReplicaException {
        opens.increment();
        opensByFile.computeIfAbsent(key(level, minTxid, maxTxid), k -> new LongAdder()).increment();
        InputStream in = delegate.openFile(level, minTxid, maxTxid, offset, length);
        return new FilterInputStream(in) {
            @Override
            public int read() throws IOException {
                int b = super.read();
                if (b >= 0) {
                    bytesRead.increment();
                }
                return b;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                int n = super.read(b, off, len);
                if (n > 0) {
                    bytesRead.add(n);
                }
                return n;
            }
        };
    }

    @Override
    public LtxFileInfo createFile(int level, long minTxid, long maxTxid, LtxBody body) throws ReplicaException {
        creates.increment();
        LtxFileInfo info = delegate.createFile(level, minTxid, maxTxid, body);
        bytesWritten.add(body.length());
        return info;
    }

    @Override
    public void deleteFiles(Collection<LtxFileInfo> files) throws ReplicaException {
        if (!files.isEmpty()) {
            deletes.increment();
        }
        delegate.deleteFiles(files);
    }

    @Override
    public void deleteAll() throws ReplicaException {
        deleteAlls.increment();
        delegate.deleteAll();
    }

    @Override
    public void close() {
        delegate.close();
    }
}
