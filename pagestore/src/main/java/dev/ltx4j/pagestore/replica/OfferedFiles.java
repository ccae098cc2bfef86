package dev.ltx4j.pagestore.replica;

import java.util.Iterator;
import java.util.LinkedHashMap;

/**
 * Whole bytes of small replica files the engine downloaded anyway (a cold open reads each small file of its plan
 * whole), kept until their one use replaces a download; the oldest go first beyond the byte bound. Thread-safe.
 */
final class OfferedFiles {
    private final long budget;
    private final LinkedHashMap<RemoteFile, byte[]> files = new LinkedHashMap<>();
    private long bytes;

    OfferedFiles(long budget) {
        this.budget = budget;
    }

    /** Keeps {@code data} as the bytes of {@code file} when they are all of it and at most a quarter of the bound. */
    synchronized void offer(RemoteFile file, byte[] data) {
        if (data.length != file.sizeBytes() || data.length > budget / 4) {
            return;
        }
        byte[] older = files.remove(file); // the newest download is what the store holds now
        if (older != null) {
            bytes -= older.length;
        }
        files.put(file, data);
        bytes += data.length;
        Iterator<byte[]> it = files.values().iterator();
        while (bytes > budget && it.hasNext()) {
            bytes -= it.next().length;
            it.remove();
        }
    }

    /** The bytes of {@code file}, taken out (used once); null when none. */
    synchronized byte[] take(RemoteFile file) {
        byte[] b = files.remove(file);
        if (b != null) {
            bytes -= b.length;
        }
        return b;
    }

    synchronized void clear() {
        files.clear();
        bytes = 0;
    }
}
