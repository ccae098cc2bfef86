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
 * a file twice"). Every call is counted, whether it succeeds or fails, and also by kind and outcome
 * ({@link #requestsByKindAndOutcome()}, the {@code ltx4j.requests} metric). Thread-safe.
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
    private final Map<String, LongAdder> byKindAndOutcome = new ConcurrentHashMap<>();

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

    /**
     * Requests so far keyed {@code kind/outcome}: kind {@code list}, {@code open}, {@code create}, {@code delete},
     * {@code delete_all}; outcome {@code ok}, {@code not_found}, {@code already_exists}, {@code conflict},
     * {@code outcome_unknown}, {@code transient}, {@code permanent} or {@code error} (the typed replica errors). An
     * open counts its call only; reading the stream afterwards is not a request outcome.
     */
    public Map<String, Long> requestsByKindAndOutcome() {
        Map<String, Long> out = new java.util.TreeMap<>();
        byKindAndOutcome.forEach((k, v) -> out.put(k, v.sum()));
        return out;
    }

    private void outcome(String kind, Throwable failure) {
        String o = failure == null ? "ok"
                : failure instanceof ReplicaNotFoundException ? "not_found"
                : failure instanceof ReplicaAlreadyExistsException ? "already_exists"
                : failure instanceof ReplicaConflictException ? "conflict"
                : failure instanceof ReplicaOutcomeUnknownException ? "outcome_unknown"
                : failure instanceof ReplicaTransientException ? "transient"
                : failure instanceof ReplicaPermanentException ? "permanent" : "error";
        byKindAndOutcome.computeIfAbsent(kind + "/" + o, k -> new LongAdder()).increment();
    }

    /** Sets every count back to zero. */
    public void reset() {
        for (LongAdder a : List.of(lists, opens, creates, deletes, deleteAlls, bytesRead, bytesWritten)) {
            a.reset();
        }
        opensByFile.clear();
        byKindAndOutcome.clear();
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
        try {
            List<LtxFileInfo> l = delegate.listFiles(level, seekTxid, useMetadata);
            outcome("list", null);
            return l;
        } catch (RuntimeException | ReplicaException e) {
            outcome("list", e);
            throw e;
        }
    }

    @Override
    public InputStream openFile(int level, long minTxid, long maxTxid, long offset, long length) throws ReplicaException {
        opens.increment();
        opensByFile.computeIfAbsent(key(level, minTxid, maxTxid), k -> new LongAdder()).increment();
        InputStream in;
        try {
            in = delegate.openFile(level, minTxid, maxTxid, offset, length);
            outcome("open", null);
        } catch (RuntimeException | ReplicaException e) {
            outcome("open", e);
            throw e;
        }
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
        LtxFileInfo info;
        try {
            info = delegate.createFile(level, minTxid, maxTxid, body);
            outcome("create", null);
        } catch (RuntimeException | ReplicaException e) {
            outcome("create", e);
            throw e;
        }
        bytesWritten.add(body.length());
        return info;
    }

    @Override
    public void deleteFiles(Collection<LtxFileInfo> files) throws ReplicaException {
        if (files.isEmpty()) {
            delegate.deleteFiles(files);
            return;
        }
        deletes.increment();
        try {
            delegate.deleteFiles(files);
            outcome("delete", null);
        } catch (RuntimeException | ReplicaException e) {
            outcome("delete", e);
            throw e;
        }
    }

    @Override
    public void deleteAll() throws ReplicaException {
        deleteAlls.increment();
        try {
            delegate.deleteAll();
            outcome("delete_all", null);
        } catch (RuntimeException | ReplicaException e) {
            outcome("delete_all", e);
            throw e;
        }
    }

    @Override
    public void close() {
        delegate.close();
    }
}
