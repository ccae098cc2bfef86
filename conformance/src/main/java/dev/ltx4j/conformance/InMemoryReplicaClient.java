package dev.ltx4j.conformance;

import static dev.ltx4j.replica.support.ReplicaArguments.checkLevel;
import static dev.ltx4j.replica.support.ReplicaArguments.checkRead;

import dev.ltx4j.ltx.LtxHeader;
import dev.ltx4j.ltx.TxidRange;
import dev.ltx4j.replica.LtxBody;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaAlreadyExistsException;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaException;
import dev.ltx4j.replica.ReplicaNotFoundException;
import dev.ltx4j.replica.ReplicaPermanentException;
import dev.ltx4j.replica.ReplicaTransientException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * A correct, thread-safe {@link ReplicaClient} held in memory: the reference the conformance kit is checked
 * against, and a fake for engine tests. Objects live in a {@link Bucket} under keys
 * {@code <prefix>/ltx/<level>/<min>-<max>.ltx} (Litestream's file/Azure layout), so several clients can share a
 * bucket at different prefixes, and {@link Bucket#putRaw} can plant non-LTX objects next to them.
 * createdAt is always the header timestamp. Stored bytes are copied in and out; nobody can change them.
 */
public final class InMemoryReplicaClient implements ReplicaClient {

    /** A flat key space shared by clients, like an object-store bucket. Thread-safe. */
    public static final class Bucket {
        private final ConcurrentSkipListMap<String, StoredObject> objects = new ConcurrentSkipListMap<>();
        private volatile boolean reachable = true;

        /**
         * Takes the bucket off line ({@code false}) or back: while off line every request of its clients fails with
         * {@link ReplicaTransientException}, as an unreachable endpoint does.
         */
        public void setReachable(boolean reachable) {
            this.reachable = reachable;
        }

        /** Fails when the bucket is off line: each client calls it where a real backend would send a request. */
        void request(String what) throws ReplicaTransientException {
            if (!reachable) {
                throw new ReplicaTransientException("memory: bucket unreachable (" + what + ")");
            }
        }

        /** A client whose files live under {@code prefix} ({@code ""} for the bucket root). */
        public InMemoryReplicaClient client(String prefix) {
            return new InMemoryReplicaClient(this, prefix);
        }

        /** Stores an arbitrary object, replacing any object with that key. */
        public void putRaw(String key, byte[] data) {
            objects.put(key, new StoredObject(data.clone(), Instant.EPOCH));
        }

        /** All keys, sorted. */
        public List<String> keys() {
            return List.copyOf(objects.keySet());
        }
    }

    private record StoredObject(byte[] data, Instant createdAt) {}

    private final Bucket bucket;
    private final String prefix;

    /** A client alone in a fresh bucket, at its root. */
    public InMemoryReplicaClient() {
        this(new Bucket(), "");
    }

    private InMemoryReplicaClient(Bucket bucket, String prefix) {
        this.bucket = Objects.requireNonNull(bucket, "bucket");
        this.prefix = Objects.requireNonNull(prefix, "prefix");
    }

    /** The bucket this client stores into. */
    public Bucket bucket() {
        return bucket;
    }

    private String root() {
        return prefix.isEmpty() ? "" : prefix + "/";
    }

    /** The key directory of one level, ending in {@code /}. */
    public String levelKey(int level) throws ReplicaPermanentException {
        checkLevel("memory", level);
        return root() + "ltx/" + level + "/";
    }

    private String key(int level, long min, long max) throws ReplicaPermanentException {
        return levelKey(level) + new TxidRange(min, max).filename();
    }

    @Override
    public String type() {
        return "memory";
    }

    @Override
    public List<LtxFileInfo> listFiles(int level, long seekTxid, boolean useMetadata) throws ReplicaException {
        String dir = levelKey(level);
        bucket.request("list " + dir);
        List<LtxFileInfo> files = new ArrayList<>();
        for (Map.Entry<String, StoredObject> e : underPrefix(dir).entrySet()) {
            String rest = e.getKey().substring(dir.length());
            if (rest.contains("/")) {
                continue; // nested deeper: not a file of this level
            }
            TxidRange range = TxidRange.parseFilename(rest).orElse(null);
            if (range == null || Long.compareUnsigned(range.minTxid(), seekTxid) < 0) {
                continue;
            }
            StoredObject o = e.getValue();
            files.add(new LtxFileInfo(level, range.minTxid(), range.maxTxid(), o.data().length, o.createdAt()));
        }
        files.sort((a, b) -> a.range().compareTo(b.range()));
        return List.copyOf(files);
    }

    private ConcurrentNavigableMap<String, StoredObject> underPrefix(String p) {
        return p.isEmpty() ? bucket.objects : bucket.objects.subMap(p, true, p + Character.MAX_VALUE, false);
    }

    @Override
    public InputStream openFile(int level, long minTxid, long maxTxid, long offset, long length)
            throws ReplicaException {
        checkRead("memory", level, minTxid, maxTxid, offset, length);
        String key = key(level, minTxid, maxTxid);
        bucket.request("read " + key);
        StoredObject o = bucket.objects.get(key);
        if (o == null) {
            throw new ReplicaNotFoundException("no such LTX file: " + key);
        }
        byte[] data = o.data();
        int from = (int) Math.min(offset, data.length);
        int to = length == 0 ? data.length : (int) Math.min((long) data.length, offset + length);
        return new ByteArrayInputStream(data, from, Math.max(0, to - from));
    }

    @Override
    public LtxFileInfo createFile(int level, long minTxid, long maxTxid, LtxBody body) throws ReplicaException {
        String key = key(level, minTxid, maxTxid);
        LtxHeader header = body.peekHeader(key);
        bucket.request("create " + key);
        if (bucket.objects.containsKey(key)) {
            throw new ReplicaAlreadyExistsException(key + " already exists");
        }
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
        Instant createdAt = Instant.ofEpochMilli(header.timestamp());
        if (bucket.objects.putIfAbsent(key, new StoredObject(data, createdAt)) != null) {
            throw new ReplicaAlreadyExistsException(key + " already exists");
        }
        return new LtxFileInfo(level, minTxid, maxTxid, data.length, createdAt);
    }

    @Override
    public void deleteFiles(Collection<LtxFileInfo> files) throws ReplicaException {
        for (LtxFileInfo f : files) {
            checkLevel("memory", f.level()); // all checked before the first delete
        }
        if (files.isEmpty()) {
            return; // no request
        }
        bucket.request("delete " + files.size() + " files");
        for (LtxFileInfo f : files) {
            bucket.objects.remove(key(f.level(), f.minTxid(), f.maxTxid()));
        }
    }

    @Override
    public void deleteAll() throws ReplicaException {
        bucket.request("delete all under " + root());
        underPrefix(root()).clear();
    }

    @Override
    public void close() {
        // Nothing to release; the bucket outlives its clients.
    }

    @Override
    public String toString() {
        return "in-memory replica at \"" + prefix + "\"";
    }
}
