package dev.ltx4j.replica.s3;

import dev.ltx4j.replica.ReplicaAlreadyExistsException;
import dev.ltx4j.replica.ReplicaException;
import dev.ltx4j.replica.ReplicaPermanentException;
import dev.ltx4j.replica.ReplicaTransientException;

/**
 * Before a client's first create: does the store refuse a second create of one key? An S3-compatible store that
 * ignores {@code If-None-Match: *} answers every create 200, so two writers (or two compactors) overwrite each other's
 * files with no error and acknowledged commits vanish. The check creates {@code <path>/ltx4j-create-check}
 * conditionally: 412 means the store refuses it (one PUT on every later client); 200 is a first create or an
 * overwrite, so it creates again and needs the 412 then (two PUTs the first time). A second 200 gets a third PUT (the
 * object may have been deleted in between); three 200s refuse every create of this client with a permanent error
 * naming the store. Only 412 counts as a refusal; 409 ConditionalRequestConflict is retried. The object is not an LTX name, so no listing shows it;
 * {@code deleteAll} removes it. See docs/field-probes.md, round 6.
 */
final class S3CreateCheck {
    static final String OBJECT = "ltx4j-create-check";
    static final byte[] BODY = ("ltx4j checks with this object that the store refuses a second create of one key"
            + " (If-None-Match: *); see docs/field-probes.md\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    /** One conditional PUT of the check object; throws {@link ReplicaAlreadyExistsException} on 412. */
    interface Put {
        void put(String key) throws ReplicaException;
    }

    private static final int CONFLICT_ATTEMPTS = 3;

    private final S3ReplicaConfig config;
    private final String key;
    private final Object lock = new Object();
    private volatile boolean passed;
    private volatile String refusal;

    S3CreateCheck(S3ReplicaConfig config, S3KeyLayout layout) {
        this.config = config;
        this.key = layout.replicaPrefix() + OBJECT;
        this.passed = config.singleWriter();
    }

    String key() {
        return key;
    }

    /** Returns once the store is known to refuse a second create; {@code target} names the create waiting for it. */
    void ensure(Put put, String target) throws ReplicaException {
        if (passed) {
            return;
        }
        synchronized (lock) {
            if (passed) {
                return;
            }
            if (refusal == null) {
                try {
                    boolean first = created(put); // a first create, or an overwrite
                    boolean second = first && created(put); // the object exists now: only 412 is right
                    // Two 200s: an ignoring store, or the object was deleted in between (deleteAll, a lifecycle
                    // rule). A third PUT tells them apart: an ignoring store answers 200 again.
                    boolean third = second && created(put);
                    if (!third) {
                        passed = true;
                        return;
                    }
                } catch (ReplicaPermanentException e) {
                    throw new ReplicaPermanentException(e.getMessage() + " (checking that the store refuses a second"
                            + " create; '" + target + "' was not sent)", e);
                } catch (ReplicaException e) {
                    // Outcome unknown, throttled, 5xx: nothing of the target was sent, so this is only worth a retry.
                    throw checkFailed("s3: checking that the store refuses a second create failed; '" + target
                            + "' was not sent: " + e.getMessage(), e);
                }
                refusal = "s3: the store at " + config.endpointLabel() + " (bucket '" + config.bucket()
                        + "') ignores If-None-Match: * (it accepted a second create of '" + key + "'), so it cannot"
                        + " keep two writers or compactors from overwriting each other's files; creates are refused."
                        + " Use a store that honours conditional writes (AWS S3 has since August 2024), or, if this"
                        + " process is the replica's only writer and nothing else compacts or retains it (no other"
                        + " ltx4j or Litestream process, no ltx4j compact / retain), add single-writer=true to the"
                        + " replica URL";
            }
        }
        throw new ReplicaPermanentException(refusal + "; '" + target + "' was not sent");
    }

    private final Object multipartLock = new Object();
    private volatile Boolean multipartHonoured;

    /**
     * Whether the store refuses a multipart create whose completion carries {@code If-None-Match: *} over an existing
     * key; asked once per client, before its first multipart create and after {@link #ensure} (so the check object
     * exists). A store can honour the header on PutObject and ignore it on CompleteMultipartUpload; then the client
     * creates large files with single PUTs instead (S3 takes up to 5 GiB in one). Costs a start, one part, the refused
     * completion and an abort. With {@code single-writer=true} it is not asked.
     */
    boolean multipartHonoured(Put multipartPut, String target) throws ReplicaException {
        if (config.singleWriter()) {
            return true;
        }
        Boolean known = multipartHonoured;
        if (known != null) {
            return known;
        }
        synchronized (multipartLock) {
            if (multipartHonoured == null) {
                try {
                    multipartHonoured = !created(multipartPut);
                } catch (ReplicaPermanentException e) {
                    // A store that cannot do a conditional multipart completion at all (501/400 on it, parts without
                    // ETags) did take conditional single PUTs in ensure(): those carry large files up to 5 GiB.
                    multipartHonoured = false;
                } catch (ReplicaException e) {
                    throw checkFailed("s3: checking that the store refuses a second multipart create failed; '"
                            + target + "' was not sent: " + e.getMessage(), e);
                }
            }
            return multipartHonoured;
        }
    }

    /** A failed check is worth a retry; a count of requests the SDK already retried is kept, so retries do not nest. */
    private static ReplicaTransientException checkFailed(String message, ReplicaException cause) {
        if (cause instanceof ReplicaTransientException t && t.backendRetried()) {
            return ReplicaTransientException.backendRetried(message, cause, t.backendAttempts());
        }
        return new ReplicaTransientException(message, cause);
    }

    /** True when the store answered 2xx (created or overwrote), false when it refused: the object exists. */
    private boolean created(Put put) throws ReplicaException {
        for (int attempt = 1; ; attempt++) {
            try {
                put.put(key);
                return true;
            } catch (ReplicaAlreadyExistsException e) {
                if (!S3Errors.conditionalConflict(e)) {
                    return false; // 412: the store refused the second create
                }
                // 409 ConditionalRequestConflict decides nothing (another conditional write of the key was in flight)
                if (attempt == CONFLICT_ATTEMPTS) {
                    throw new ReplicaTransientException("s3: the store answered " + CONFLICT_ATTEMPTS + " conditional"
                            + " PUTs of '" + key + "' with 409 ConditionalRequestConflict, so whether it refuses a"
                            + " second create is not known yet: " + e.getMessage(), e);
                }
            }
        }
    }
}
