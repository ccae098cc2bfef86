package dev.ltx4j.replica;

import dev.ltx4j.ltx.TxidRange;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Retries failures that may pass, within a {@link RetryPolicy}, with exponential backoff and seeded jitter.
 *
 * <ul>
 *   <li>Reads, listings and deletes are idempotent: {@link ReplicaTransientException} and
 *       {@link ReplicaOutcomeUnknownException} are retried. Every other failure is thrown at once.</li>
 *   <li>{@link #createFile} is repeated only after a {@link ReplicaTransientException} (nothing was sent). A
 *       {@link ReplicaOutcomeUnknownException} is thrown unchanged: this decorator never resolves an ambiguous
 *       create. The caller resolves it in one place (the engine compares the stored file's NodeID and checksum
 *       with its own, see {@code SyncEngine}), so there is exactly one layer that decides "commit state
 *       unknown". An "already exists" that follows an earlier failed attempt becomes
 *       {@link ReplicaOutcomeUnknownException} too, because that earlier attempt may be the one that landed.</li>
 *   <li>A stream from {@link #openFile} that fails part way reopens at the byte where it stopped, so callers see
 *       one uninterrupted stream.</li>
 *   <li>A failure the backend {@link ReplicaTransientException#backendRetried already retried} counts with the
 *       requests it sent: a store client's ten attempts under sustained throttling use up the policy's eight, so the
 *       operation fails with that failure instead of repeating the backend's whole retry sequence up to eight
 *       times (docs/field-probes.md, round 8).</li>
 * </ul>
 * Thread-safe; the jitter sequence is shared by all threads and derived from the seed.
 */
public final class RetryingReplicaClient implements ReplicaClient {
    private final ReplicaClient delegate;
    private final RetryPolicy policy;
    private final RetryTimer timer;
    private final SplittableRandom random;
    private final AtomicLong retries = new AtomicLong();
    /**
     * {@link RetryTimer#nanoTime()} of the last retry logged at info, {@link #NEVER} before the first: an outage of
     * hours would otherwise log a line per attempt of every sync, poll and compaction (the engine's lanes report
     * the outage itself once, with the database's name).
     */
    private final AtomicLong lastInfoRetry = new AtomicLong(NEVER);
    private static final long NEVER = Long.MIN_VALUE;
    private static final long INFO_RETRY_EVERY_NANOS = Duration.ofMinutes(1).toNanos();

    /** Initialised on the first message only: SLF4J looks for providers (and may warn) when first used. */
    private static final class Log {
        static final Logger LOG = LoggerFactory.getLogger(RetryingReplicaClient.class);
    }

    /**
     * @param jitterSeed seeds the jitter; use different seeds in different processes so they do not retry in step
     */
    public RetryingReplicaClient(ReplicaClient delegate, RetryPolicy policy, RetryTimer timer, long jitterSeed) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
        this.policy = Objects.requireNonNull(policy, "policy");
        this.timer = Objects.requireNonNull(timer, "timer");
        this.random = new SplittableRandom(jitterSeed);
    }

    /** Wraps with {@link RetryPolicy#defaults()} and real time. */
    public static RetryingReplicaClient wrap(ReplicaClient delegate, long jitterSeed) {
        return new RetryingReplicaClient(delegate, RetryPolicy.defaults(), RetryTimer.system(), jitterSeed);
    }

    /** Attempts repeated after a retryable failure, since creation ({@code ltx4j.retries}). */
    public long retries() {
        return retries.get();
    }

    @Override
    public String type() {
        return delegate.type();
    }

    @Override
    public List<LtxFileInfo> listFiles(int level, long seekTxid, boolean useMetadata) throws ReplicaException {
        return idempotent(() -> delegate.listFiles(level, seekTxid, useMetadata));
    }

    @Override
    public boolean holdsLitestreamV3Generations() throws ReplicaException {
        return idempotent(delegate::holdsLitestreamV3Generations);
    }

    @Override
    public InputStream openFile(int level, long minTxid, long maxTxid, long offset, long length) throws ReplicaException {
        Budget budget = new Budget();
        InputStream first = openWithRetry(budget, level, minTxid, maxTxid, offset, length);
        return new ResumingStream(budget, level, minTxid, maxTxid, offset, length, first);
    }

    @Override
    public void deleteFiles(Collection<LtxFileInfo> files) throws ReplicaException {
        if (files.isEmpty()) {
            return;
        }
        idempotent(() -> {
            delegate.deleteFiles(files);
            return null;
        });
    }

    @Override
    public void deleteAll() throws ReplicaException {
        idempotent(() -> {
            delegate.deleteAll();
            return null;
        });
    }

    @Override
    public LtxFileInfo createFile(int level, long minTxid, long maxTxid, LtxBody body) throws ReplicaException {
        Budget budget = new Budget();
        boolean earlierFailure = false;
        while (true) {
            try {
                return delegate.createFile(level, minTxid, maxTxid, body);
            } catch (ReplicaAlreadyExistsException e) {
                if (!earlierFailure) {
                    throw e;
                }
                // The failed attempt may be the one that landed: whose file it is stays for the caller to decide.
                throw new ReplicaOutcomeUnknownException("create of L" + level + "/"
                        + new TxidRange(minTxid, maxTxid).filename() + " found the file present after an earlier"
                        + " attempt failed, so that attempt may have landed: " + e.getMessage(), e);
            } catch (ReplicaTransientException e) {
                earlierFailure = true;
                if (!budget.awaitNextAttempt(e)) {
                    throw e;
                }
            }
        }
    }

    @FunctionalInterface
    private interface Call<T> {
        T run() throws ReplicaException;
    }

    private <T> T idempotent(Call<T> call) throws ReplicaException {
        Budget budget = new Budget();
        while (true) {
            try {
                return call.run();
            } catch (ReplicaTransientException | ReplicaOutcomeUnknownException e) {
                if (!budget.awaitNextAttempt(e)) {
                    throw e;
                }
            }
        }
    }

    private InputStream openWithRetry(Budget budget, int level, long min, long max, long offset, long length)
            throws ReplicaException {
        while (true) {
            try {
                return delegate.openFile(level, min, max, offset, length);
            } catch (ReplicaTransientException | ReplicaOutcomeUnknownException e) {
                if (!budget.awaitNextAttempt(e)) {
                    throw e;
                }
            }
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

    private static boolean isUnreachable(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof ReplicaTransientException r && r.endpointUnreachable()) {
                return true;
            }
        }
        return false;
    }

    /** The largest backend count in the cause chain: a wrapper of a backend-retried failure keeps its count. */
    private static int backendAttempts(Throwable failure) {
        int most = 1;
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof ReplicaTransientException r) {
                most = Math.max(most, r.backendAttempts());
            }
        }
        return most;
    }

    /**
     * Attempts (requests sent, the backend's retries included) and elapsed time of one logical operation. Bound
     * (docs/replica-urls-timeouts.md, "Throttling: retries do not nest"): at most {@code maxAttempts} requests, except
     * that after the first backend-retried failure one more backend call is allowed while the elapsed time is under
     * the policy's time budget, so an operation sends at most two backend sequences.
     */
    private final class Budget {
        private final long startNanos = timer.nanoTime();
        private int attempts = 1;
        private int backendSequences;

        /**
         * Waits before the next attempt and returns true, or returns false when the policy allows no more after
         * {@code failure}.
         */
        boolean awaitNextAttempt(Throwable failure) {
            // The backend's own retries count as attempts: retries do not nest (ReplicaTransientException#backendRetried).
            int backend = backendAttempts(failure);
            attempts = (int) Math.min(Integer.MAX_VALUE, (long) attempts + backend - 1); // saturates
            boolean secondBackendCall = false;
            if (backend > 1) {
                backendSequences++;
                // One SDK sequence (30-80 s) used to end the operation well inside the engine's budget: one more.
                secondBackendCall = backendSequences == 1;
            }
            if (attempts >= policy.maxAttempts() && !secondBackendCall) {
                return false;
            }
            Duration wait = jittered(policy.nominalBackoff(attempts));
            long elapsed = timer.nanoTime() - startNanos;
            Duration bound = isUnreachable(failure) ? policy.unreachableElapsed() : policy.maxElapsed();
            if (elapsed + wait.toNanos() > bound.toNanos()) {
                return false;
            }
            retries.incrementAndGet();
            String reason = failure == null ? "unknown" : failure.getMessage();
            long now = timer.nanoTime();
            long last = lastInfoRetry.get();
            if ((last == NEVER || now - last >= INFO_RETRY_EVERY_NANOS) && lastInfoRetry.compareAndSet(last, now)) {
                Log.LOG.info("replica request failed (attempt {} of at most {}), retrying in {} ms: {} (retries of"
                        + " this replica are logged at info at most once a minute, the others at debug)", attempts,
                        policy.maxAttempts(), wait.toMillis(), reason);
            } else {
                Log.LOG.debug("replica request failed (attempt {} of at most {}), retrying in {} ms: {}", attempts,
                        policy.maxAttempts(), wait.toMillis(), reason);
            }
            try {
                timer.sleep(wait);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
            attempts = attempts == Integer.MAX_VALUE ? attempts : attempts + 1;
            return true;
        }

        private Duration jittered(Duration nominal) {
            long nanos = nominal.toNanos();
            long half = nanos / 2;
            long extra;
            synchronized (random) {
                extra = half == 0 ? 0 : random.nextLong(half + 1);
            }
            return Duration.ofNanos(nanos - half + extra);
        }
    }

    /** Reopens at the current position when the underlying stream fails part way. */
    private final class ResumingStream extends InputStream {
        private final Budget budget;
        private final int level;
        private final long min;
        private final long max;
        private final long offset;
        private final long length;
        private InputStream current;
        private long consumed;

        ResumingStream(Budget budget, int level, long min, long max, long offset, long length, InputStream first) {
            this.budget = budget;
            this.level = level;
            this.min = min;
            this.max = max;
            this.offset = offset;
            this.length = length;
            this.current = first;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            if (current == null) {
                throw new IOException("stream closed");
            }
            while (true) {
                try {
                    int n = current.read(b, off, len);
                    if (n > 0) {
                        consumed += n;
                    }
                    return n;
                } catch (ReplicaNotFoundException | ReplicaPermanentException e) {
                    throw e;
                } catch (IOException e) {
                    resumeAfter(e);
                }
            }
        }

        private void resumeAfter(IOException failure) throws IOException {
            closeQuietly(current);
            current = null;
            if (!budget.awaitNextAttempt(failure)) {
                throw failure;
            }
            long remaining = length == 0 ? 0 : length - consumed;
            if (length != 0 && remaining <= 0) {
                current = InputStream.nullInputStream();
                return;
            }
            current = openWithRetry(budget, level, min, max, offset + consumed, remaining);
        }

        @Override
        public void close() throws IOException {
            InputStream c = current;
            current = null;
            if (c != null) {
                c.close();
            }
        }

        private void closeQuietly(InputStream in) {
            try {
                in.close();
            } catch (IOException ignored) {
                // The stream already failed; its close error adds nothing.
            }
        }
    }
}
