package dev.ltx4j.vfs.engine;

import java.util.Map;
import java.util.TreeMap;

/**
 * A write transaction a replica conflict refused ({@link EngineVfsDatabase}'s class comment): why, and the pages
 * SQLite wrote in it. They are never committed, but stay visible to the connection so SQLite's own view of the
 * transaction is consistent until it rolls back.
 */
final class DoomedWrites {
    private String reason;
    private final TreeMap<Long, byte[]> overlay = new TreeMap<>();

    /** True while the current transaction is refused. */
    boolean active() {
        return reason != null;
    }

    /** Why it is refused, the text of its {@code ReplicaConflictException}. */
    String reason() {
        return reason;
    }

    void doom(String why) {
        reason = why;
    }

    /** A new session started: the transaction is no longer refused (its overlay goes at the transaction's end). */
    void lift() {
        reason = null;
    }

    void put(long offset, byte[] bytes) {
        overlay.put(offset, bytes);
    }

    /** Reads {@code len} bytes at {@code offset} from the overlay when one write covers them, else keeps {@code n}. */
    int apply(long offset, byte[] b, int len, int n) {
        Map.Entry<Long, byte[]> e = overlay.floorEntry(offset);
        if (e == null || e.getKey() + e.getValue().length < offset + len) return n;
        System.arraycopy(e.getValue(), (int) (offset - e.getKey()), b, 0, len);
        return len;
    }

    /** The transaction ended: nothing refused, no overlay. */
    void clear() {
        reason = null;
        overlay.clear();
    }
}
