package dev.ltx4j.simulator.store;

import dev.ltx4j.ltx.LtxHeader;
import dev.ltx4j.ltx.TxidRange;
import dev.ltx4j.replica.LtxBody;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaAlreadyExistsException;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaException;
import dev.ltx4j.replica.ReplicaNotFoundException;
import dev.ltx4j.replica.ReplicaOutcomeUnknownException;
import dev.ltx4j.replica.ReplicaPermanentException;
import dev.ltx4j.replica.ReplicaTransientException;
import dev.ltx4j.replica.support.ReplicaArguments;
import dev.ltx4j.simulator.FaultKind;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A {@link ReplicaClient} over one prefix of a {@link SimObjectStore}; see the store for its faults and the
 * guarantees it keeps. With {@link dev.ltx4j.simulator.FaultPlan#none()} it passes the conformance kit.
 */
public final class SimReplicaClient implements ReplicaClient {
    private final SimObjectStore store;
    private final String prefix;
    private volatile boolean closed;

    SimReplicaClient(SimObjectStore store, String prefix) {
        this.store = Objects.requireNonNull(store, "store");
        this.prefix = Objects.requireNonNull(prefix, "prefix");
    }

    /** The key prefix of this client. */
    public String prefix() {
        return prefix;
    }

    /** The bucket behind this client. */
    public SimObjectStore store() {
        return store;
    }

    @Override
    public String type() {
        return "sim";
    }

    private String key(int level, long min, long max) {
        return SimObjectStore.levelKey(prefix, level) + new TxidRange(min, max).filename();
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("simulated replica client at \"" + prefix + "\" is closed");
        }
    }

    @Override
    public List<LtxFileInfo> listFiles(int level, long seekTxid, boolean useMetadata) throws ReplicaException {
        checkOpen();
        ReplicaArguments.checkLevel("sim", level);
        String dir = SimObjectStore.levelKey(prefix, level);
        synchronized (store) {
            String what = "list " + dir;
            store.latency(what);
            store.failBefore(what);
            long now = store.world().clock().nanoTime();
            List<LtxFileInfo> files = new ArrayList<>();
            int lagged = 0;
            for (Map.Entry<String, SimObjectStore.Obj> e : SimObjectStore.under(store.objects, dir).entrySet()) {
                if (e.getValue().listVisibleAtNanos > now) {
                    lagged++;
                    continue;
                }
                add(files, dir, e.getKey(), e.getValue(), level, seekTxid);
            }
            for (Map.Entry<String, SimObjectStore.Tombstone> e : SimObjectStore.under(store.tombstones, dir).entrySet()) {
                if (e.getValue().listHiddenAtNanos() > now && !store.objects.containsKey(e.getKey())) {
                    lagged++;
                    add(files, dir, e.getKey(), e.getValue().obj(), level, seekTxid);
                }
            }
            if (lagged > 0) {
                store.world().fired(FaultKind.LISTING_LAG, what + " (" + lagged + " stale)");
            }
            files.sort((a, b) -> a.range().compareTo(b.range()));
            return List.copyOf(files);
        }
    }

    private static void add(List<LtxFileInfo> files, String dir, String key, SimObjectStore.Obj o, int level,
            long seekTxid) {
        String rest = key.substring(dir.length());
        if (rest.contains("/")) {
            return;
        }
        TxidRange r = TxidRange.parseFilename(rest).orElse(null);
        if (r == null || Long.compareUnsigned(r.minTxid(), seekTxid) < 0) {
            return;
        }
        files.add(new LtxFileInfo(level, r.minTxid(), r.maxTxid(), o.data.length,
                Instant.ofEpochMilli(o.createdAtMillis)));
    }

    @Override
    public InputStream openFile(int level, long minTxid, long maxTxid, long offset, long length)
            throws ReplicaException {
        checkOpen();
        ReplicaArguments.checkRead("sim", level, minTxid, maxTxid, offset, length);
        String key = key(level, minTxid, maxTxid);
        synchronized (store) {
            String what = "get " + key;
            store.latency(what);
            store.failBefore(what);
            SimObjectStore.Obj o = store.objects.get(key);
            if (o == null) {
                throw new ReplicaNotFoundException("no such LTX file: " + key);
            }
            byte[] data = o.data;
            int from = (int) Math.min(offset, data.length);
            int to = length == 0 ? data.length : (int) Math.min((long) data.length, offset + length);
            int n = Math.max(0, to - from);
            if (store.draw(FaultKind.FAILED_READ)) {
                if (store.random().nextBoolean() || n == 0) {
                    store.world().fired(FaultKind.FAILED_READ, what + " at open");
                    throw new ReplicaTransientException("simulated 500 on " + what);
                }
                int cut = store.random().nextInt(n);
                store.world().fired(FaultKind.FAILED_READ, what + " after " + cut + " bytes");
                return new FailingAfter(data.clone(), from, cut, what);
            }
            if (n > 1 && store.draw(FaultKind.SHORT_READ)) {
                int shortN = 1 + store.random().nextInt(n - 1);
                store.world().fired(FaultKind.SHORT_READ, what + " " + shortN + " of " + n + " bytes");
                n = shortN;
            }
            byte[] copy = new byte[n];
            System.arraycopy(data, from, copy, 0, n);
            return new ByteArrayInputStream(copy);
        }
    }

    /** A stream that throws after {@code cut} bytes: a connection dropped mid-body. */
    private static final class FailingAfter extends InputStream {
        private final byte[] data;
        private int pos;
        private final int end;
        private final String what;

        FailingAfter(byte[] data, int from, int cut, String what) {
            this.data = data;
            this.pos = from;
            this.end = from + cut;
            this.what = what;
        }

        @Override
        public int read() throws IOException {
            if (pos >= end) {
                throw new IOException("simulated connection reset during " + what);
            }
            return data[pos++] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            if (pos >= end) {
                throw new IOException("simulated connection reset during " + what);
            }
            int n = Math.min(len, end - pos);
            System.arraycopy(data, pos, b, off, n);
            pos += n;
            return n;
        }
    }

    @Override
    public LtxFileInfo createFile(int level, long minTxid, long maxTxid, LtxBody body) throws ReplicaException {
        checkOpen();
        ReplicaArguments.checkLevel("sim", level);
        String key = key(level, minTxid, maxTxid);
        LtxHeader header = body.peekHeader(key);
        byte[] data = readBody(key, body);
        long createdAt = header.timestamp();
        synchronized (store) {
            String what = "create " + key;
            store.latency(what);
            store.failBefore(what);
            if (!store.objects.containsKey(key) && store.rival() != null && store.draw(FaultKind.CREATE_RACE)) {
                byte[] rivalBody = store.rival().rivalBody(prefix, level, minTxid, maxTxid);
                if (rivalBody != null) {
                    land(key, rivalBody, store.world().clock().millis());
                    store.world().fired(FaultKind.CREATE_RACE, what);
                }
            }
            if (store.draw(FaultKind.UNKNOWN_NOT_LANDED)) {
                store.world().fired(FaultKind.UNKNOWN_NOT_LANDED, what);
                if (store.inFlightCreates() && store.random().nextInt(2) == 0) {
                    store.sendLater(key, data, createdAt); // completes after later requests
                    throw new ReplicaOutcomeUnknownException("simulated timeout: " + what + " is still in flight");
                }
                throw new ReplicaOutcomeUnknownException("simulated timeout before " + what + " was sent");
            }
            if (store.objects.containsKey(key)) {
                throw new ReplicaAlreadyExistsException(key + " already exists");
            }
            land(key, data, createdAt);
            if (store.draw(FaultKind.LOST_RESPONSE)) {
                store.world().fired(FaultKind.LOST_RESPONSE, what);
                throw new ReplicaOutcomeUnknownException("simulated lost response after " + what + " landed");
            }
            return new LtxFileInfo(level, minTxid, maxTxid, data.length, Instant.ofEpochMilli(createdAt));
        }
    }

    private void land(String key, byte[] data, long createdAtMillis) {
        store.mutated();
        store.journalLanded(key, data, createdAtMillis, store.objects.containsKey(key));
        SimObjectStore.Obj o = new SimObjectStore.Obj(data.clone(), createdAtMillis, store.lagDeadline());
        store.objects.put(key, o);
        store.tombstones.remove(key);
        store.forgetCorruption(key);
        store.maybeCorrupt(key, o);
    }

    /**
     * The unconditional PUT that create-if-absent exists to replace: overwrites any object under the name. Not
     * part of {@link ReplicaClient}; only bug-injection workloads use it, to prove the simulator catches writers
     * that skip the conditional create.
     */
    public void putOverwrite(int level, long minTxid, long maxTxid, byte[] data) throws ReplicaException {
        checkOpen();
        String key = key(level, minTxid, maxTxid);
        synchronized (store) {
            String what = "put(overwrite) " + key;
            store.latency(what);
            store.failBefore(what);
            if (!store.objects.containsKey(key) && store.rival() != null && store.draw(FaultKind.CREATE_RACE)) {
                byte[] rivalBody = store.rival().rivalBody(prefix, level, minTxid, maxTxid);
                if (rivalBody != null) { // the race a conditional create would have lost, silently overwritten
                    land(key, rivalBody, store.world().clock().millis());
                    store.world().fired(FaultKind.CREATE_RACE, what);
                }
            }
            land(key, data, store.world().clock().millis());
        }
    }

    private static byte[] readBody(String key, LtxBody body) throws ReplicaException {
        byte[] data;
        try (InputStream in = body.open()) {
            data = in.readAllBytes();
        } catch (IOException e) {
            throw new ReplicaPermanentException("cannot read the body of " + key + ": " + e.getMessage(), e);
        }
        if (data.length != body.length()) {
            throw new ReplicaPermanentException("body of " + key + " yielded " + data.length + " bytes but declared "
                    + body.length());
        }
        return data;
    }

    @Override
    public void deleteFiles(Collection<LtxFileInfo> files) throws ReplicaException {
        checkOpen();
        for (LtxFileInfo f : files) {
            ReplicaArguments.checkLevel("sim", f.level());
        }
        if (files.isEmpty()) {
            return;
        }
        synchronized (store) {
            String what = "delete " + files.size() + " under " + prefix;
            store.latency(what);
            store.failBefore(what);
            for (LtxFileInfo f : files) {
                remove(key(f.level(), f.minTxid(), f.maxTxid()));
            }
        }
    }

    private void remove(String key) {
        SimObjectStore.Obj o = store.objects.remove(key);
        if (o != null) {
            store.mutated();
            store.journalDeleted(key);
            store.forgetCorruption(key);
            long hiddenAt = store.lagDeadline();
            if (hiddenAt > store.world().clock().nanoTime()) {
                store.tombstones.put(key, new SimObjectStore.Tombstone(o, hiddenAt));
            }
        }
    }

    @Override
    public void deleteAll() throws ReplicaException {
        checkOpen();
        synchronized (store) {
            String what = "delete-all " + prefix;
            store.latency(what);
            store.failBefore(what);
            String root = SimObjectStore.root(prefix);
            for (String key : List.copyOf(SimObjectStore.under(store.objects, root).keySet())) {
                remove(key);
            }
        }
    }

    @Override
    public void close() {
        closed = true;
    }

    @Override
    public String toString() {
        return "simulated replica at \"" + prefix + "\"";
    }
}
