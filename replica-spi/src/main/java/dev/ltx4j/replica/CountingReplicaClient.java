package dev.ltx4j.replica;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
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

    /** The request kinds of {@link #requestsByKindAndOutcome()}, in a fixed order. */
    public static final List<String> KINDS = List.of("list", "open", "create", "delete", "delete_all");
    /** The outcomes of {@link #requestsByKindAndOutcome()}, in a fixed order. */
    public static final List<String> OUTCOMES = List.of("ok", "not_found", "already_exists", "outcome_unknown",
            "transient", "permanent", "error");
    private static final int LIST = 0;
    private static final int OPEN = 1;
    private static final int CREATE = 2;
    private static final int DELETE = 3;
    private static final int DELETE_ALL = 4;

    private final ReplicaClient delegate;
    private final boolean perFile;
    private final LongAdder lists = new LongAdder();
    private final LongAdder opens = new LongAdder();
    private final LongAdder creates = new LongAdder();
    private final LongAdder deletes = new LongAdder();
    private final LongAdder deleteAlls = new LongAdder();
    private final LongAdder bytesRead = new LongAdder();
    private final LongAdder bytesWritten = new LongAdder();
    private final Map<String, LongAdder> opensByFile = new ConcurrentHashMap<>();
    /** Indexed [kind][outcome], allocated up front: counting a request allocates nothing. */
    private final LongAdder[][] byKindAndOutcome = new LongAdder[KINDS.size()][OUTCOMES.size()];

    /** Counts everything, also opens per file ({@link #opensOf}). */
    public CountingReplicaClient(ReplicaClient delegate) {
        this(delegate, true);
    }

    /**
     * @param perFile whether to keep {@link #opensOf} per file (tests); a long-running host passes false, since that
     *                map grows by one entry per file ever opened
     */
    public CountingReplicaClient(ReplicaClient delegate, boolean perFile) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
        this.perFile = perFile;
        for (LongAdder[] row : byKindAndOutcome) {
            for (int i = 0; i < row.length; i++) {
                row[i] = new LongAdder();
            }
        }
    }

    /** The counts so far. */
    public Counts snapshot() {
        return new Counts(lists.sum(), opens.sum(), creates.sum(), deletes.sum(), deleteAlls.sum(), bytesRead.sum(),
                bytesWritten.sum());
    }

    /** How many times one file was opened (any range); always 0 without per-file counting. */
    public long opensOf(int level, long minTxid, long maxTxid) {
        LongAdder n = opensByFile.get(key(level, minTxid, maxTxid));
        return n == null ? 0 : n.sum();
    }

    /**
     * Requests so far keyed {@code kind/outcome} (only those that happened): kind one of {@link #KINDS}
     * ({@code list}, {@code open}, {@code create}, {@code delete}, {@code delete_all}); outcome one of
     * {@link #OUTCOMES} ({@code ok}, {@code not_found}, {@code already_exists},
     * {@code outcome_unknown}, {@code transient}, {@code permanent} or {@code error}: the typed replica errors). An
     * open counts its call only; reading the stream afterwards is not a request outcome.
     */
    public Map<String, Long> requestsByKindAndOutcome() {
        Map<String, Long> out = new TreeMap<>();
        for (int k = 0; k < KINDS.size(); k++) {
            for (int o = 0; o < OUTCOMES.size(); o++) {
                long n = byKindAndOutcome[k][o].sum();
                if (n != 0) {
                    out.put(KINDS.get(k) + "/" + OUTCOMES.get(o), n);
                }
            }
        }
        return out;
    }

    private void outcome(int kind, Throwable failure) {
        int o = failure == null ? 0
                : failure instanceof ReplicaNotFoundException ? 1
                : failure instanceof ReplicaAlreadyExistsException ? 2
                : failure instanceof ReplicaOutcomeUnknownException ? 3
                : failure instanceof ReplicaTransientException ? 4
                : failure instanceof ReplicaPermanentException ? 5 : 6;
        byKindAndOutcome[kind][o].increment();
    }

    /** Sets every count back to zero. */
    public void reset() {
        for (LongAdder a : List.of(lists, opens, creates, deletes, deleteAlls, bytesRead, bytesWritten)) {
            a.reset();
        }
        opensByFile.clear();
        for (LongAdder[] row : byKindAndOutcome) {
            for (LongAdder a : row) {
                a.reset();
            }
        }
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
            outcome(LIST, null);
            return l;
        } catch (RuntimeException | ReplicaException e) {
            outcome(LIST, e);
            throw e;
        }
    }

    /** Counted as a listing: it is one. */
    @Override
    public boolean holdsLitestreamV3Generations() throws ReplicaException {
        lists.increment();
        try {
            boolean held = delegate.holdsLitestreamV3Generations();
            outcome(LIST, null);
            return held;
        } catch (RuntimeException | ReplicaException e) {
            outcome(LIST, e);
            throw e;
        }
    }

    @Override
    public InputStream openFile(int level, long minTxid, long maxTxid, long offset, long length) throws ReplicaException {
        opens.increment();
        if (perFile) {
            opensByFile.computeIfAbsent(key(level, minTxid, maxTxid), k -> new LongAdder()).increment();
        }
        InputStream in;
        try {
            in = delegate.openFile(level, minTxid, maxTxid, offset, length);
            outcome(OPEN, null);
        } catch (RuntimeException | ReplicaException e) {
            outcome(OPEN, e);
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

    /**
     * Counted as an {@code open} of the range; goes to the delegate's own {@code readRange}, so a delegate that
     * overrides it (a backend's faster path, a test fake) keeps its behaviour under the counting.
     */
    @Override
    public byte[] readRange(int level, long minTxid, long maxTxid, long offset, long length) throws ReplicaException {
        opens.increment();
        if (perFile) {
            opensByFile.computeIfAbsent(key(level, minTxid, maxTxid), k -> new LongAdder()).increment();
        }
        byte[] b;
        try {
            b = delegate.readRange(level, minTxid, maxTxid, offset, length);
            outcome(OPEN, null);
        } catch (RuntimeException | ReplicaException e) {
            outcome(OPEN, e);
            throw e;
        }
        bytesRead.add(b.length);
        return b;
    }

    @Override
    public LtxFileInfo createFile(int level, long minTxid, long maxTxid, LtxBody body) throws ReplicaException {
        creates.increment();
        LtxFileInfo info;
        try {
            info = delegate.createFile(level, minTxid, maxTxid, body);
            outcome(CREATE, null);
        } catch (RuntimeException | ReplicaException e) {
            outcome(CREATE, e);
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
            outcome(DELETE, null);
        } catch (RuntimeException | ReplicaException e) {
            outcome(DELETE, e);
            throw e;
        }
    }

    @Override
    public void deleteAll() throws ReplicaException {
        deleteAlls.increment();
        try {
            delegate.deleteAll();
            outcome(DELETE_ALL, null);
        } catch (RuntimeException | ReplicaException e) {
            outcome(DELETE_ALL, e);
            throw e;
        }
    }

    @Override
    public java.util.Optional<StoreRequests> storeRequests() {
        return delegate.storeRequests();
    }

    @Override
    public void close() {
        delegate.close();
    }
}
