package dev.ltx4j.replica;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * The HTTP requests a backend sent to its object store, counted where the store sees them: every attempt of the SDK's
 * own retries, every page of a listing, every part of an upload, the HEAD per file of a listing with metadata, each
 * batch of a delete. These are what the store bills and rate-limits, which the per-call counts of
 * {@link CountingReplicaClient} (one per SPI call) do not show. Backends that speak HTTP keep one per client and
 * return it from {@link ReplicaClient#storeRequests()}; the engine reports it as {@code storeRequests} and the
 * {@code ltx4j.store.requests} metric. Thread-safe; counting allocates nothing.
 */
public final class StoreRequests {
    /** Kinds as stores bill them: listings, object reads, metadata reads, writes (also parts), deletes, the rest. */
    public static final List<String> KINDS = List.of("list", "get", "head", "put", "delete", "other");
    /**
     * Outcomes: {@code ok} 2xx; {@code not_found} 404; {@code precondition_failed} 412 or 409 (a create-if-absent
     * that lost); {@code throttled} 429 or 503 (the store pushing back); {@code error} any other status;
     * {@code no_response} the attempt got no response (connection failed, timed out).
     */
    public static final List<String> OUTCOMES = List.of("ok", "not_found", "precondition_failed", "throttled", "error",
            "no_response");
    public static final int LIST = 0;
    public static final int GET = 1;
    public static final int HEAD = 2;
    public static final int PUT = 3;
    public static final int DELETE = 4;
    public static final int OTHER = 5;

    private final LongAdder[][] counts = new LongAdder[KINDS.size()][OUTCOMES.size()];

    public StoreRequests() {
        for (LongAdder[] row : counts) {
            for (int i = 0; i < row.length; i++) {
                row[i] = new LongAdder();
            }
        }
    }

    /** The kind index of an HTTP method that is not a listing: GET, HEAD, PUT, DELETE, else other. */
    public static int kindOfMethod(String method) {
        return switch (method.toUpperCase(Locale.ROOT)) {
            case "GET" -> GET;
            case "HEAD" -> HEAD;
            case "PUT" -> PUT;
            case "DELETE" -> DELETE;
            default -> OTHER;
        };
    }

    /** The outcome index of an HTTP status; 0 or less means no response. */
    public static int outcomeOf(int status) {
        if (status <= 0) return 5;
        if (status >= 200 && status < 300) return 0;
        if (status == 404) return 1;
        if (status == 412 || status == 409) return 2;
        if (status == 429 || status == 503) return 3;
        return 4;
    }

    /**
     * Counts one request.
     *
     * @param kind   one of the kind constants ({@link #LIST} ...)
     * @param status the final HTTP status of this attempt, or 0 when it got no response
     */
    public void record(int kind, int status) {
        counts[kind][outcomeOf(status)].increment();
    }

    /** Requests of {@code kind} that ended in {@code outcome} (names of {@link #KINDS} and {@link #OUTCOMES}). */
    public long count(String kind, String outcome) {
        int k = KINDS.indexOf(kind);
        int o = OUTCOMES.indexOf(outcome);
        return k < 0 || o < 0 ? 0 : counts[k][o].sum();
    }

    /** All requests so far. */
    public long total() {
        long n = 0;
        for (LongAdder[] row : counts) {
            for (LongAdder a : row) {
                n += a.sum();
            }
        }
        return n;
    }

    /** Requests so far keyed {@code kind/outcome}, only those that happened. */
    public Map<String, Long> byKindAndOutcome() {
        Map<String, Long> out = new TreeMap<>();
        for (int k = 0; k < KINDS.size(); k++) {
            for (int o = 0; o < OUTCOMES.size(); o++) {
                long n = counts[k][o].sum();
                if (n != 0) {
                    out.put(KINDS.get(k) + "/" + OUTCOMES.get(o), n);
                }
            }
        }
        return out;
    }

    @Override
    public String toString() {
        return "StoreRequests" + byKindAndOutcome();
    }
}
