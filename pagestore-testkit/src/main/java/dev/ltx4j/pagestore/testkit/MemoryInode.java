package dev.ltx4j.pagestore.testkit;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One file of a {@link MemoryLogStorage}, whatever names it has: its durable image (as of its last force), what a
 * reader sees now, and the writes and truncations since the force, of which a crash keeps a chosen part.
 * Guarded by the storage's monitor.
 */
final class MemoryInode {
    byte[] durable = new byte[0];
    byte[] current = new byte[0];
    int currentSize;
    final List<Object> pending = new ArrayList<>(); // PendingWrite or Long (truncate size)

    record PendingWrite(long position, byte[] data) {}

    /** Rebuilds the file as a crash left it: the durable image plus the pending writes {@code policy} keeps. */
    void recover(String name, MemoryLogStorage.CrashPolicy policy) {
        byte[] image = durable.clone();
        int size = image.length;
        int n = pending.size();
        int lastKeptWrite = -1;
        boolean[] keep = new boolean[n];
        for (int i = 0; i < n; i++) {
            keep[i] = policy.keepWrite(name, i, n);
            if (keep[i] && pending.get(i) instanceof PendingWrite) {
                lastKeptWrite = i;
            }
        }
        for (int i = 0; i < n; i++) {
            if (!keep[i]) {
                continue;
            }
            Object op = pending.get(i);
            if (op instanceof PendingWrite w) {
                int len = w.data.length;
                if (i == lastKeptWrite) {
                    len = Math.max(0, Math.min(len, policy.tornLength(name, len)));
                }
                int end = (int) w.position + len;
                if (end > image.length) {
                    image = Arrays.copyOf(image, Math.max(end, image.length * 2));
                }
                System.arraycopy(w.data, 0, image, (int) w.position, len);
                if (len > 0) {
                    size = Math.max(size, end);
                }
            } else {
                long cut = (Long) op;
                if (cut < size) {
                    Arrays.fill(image, (int) cut, size, (byte) 0);
                    size = (int) cut;
                }
            }
        }
        byte[] result = Arrays.copyOf(image, size);
        durable = result;
        current = result.clone();
        currentSize = size;
        pending.clear();
    }

    /** Cuts the file to {@code size} bytes as an unforced truncation. */
    void cut(long size) {
        Arrays.fill(current, (int) size, currentSize, (byte) 0);
        currentSize = (int) size;
        pending.add(size);
    }
}
