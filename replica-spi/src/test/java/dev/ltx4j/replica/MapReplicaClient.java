package dev.ltx4j.replica;

import dev.ltx4j.ltx.Ltx;
import dev.ltx4j.ltx.LtxHeader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;

/** A minimal in-memory client for replica-spi tests (the full reference lives in the conformance module). */
class MapReplicaClient implements ReplicaClient {
    record Stored(byte[] data, Instant createdAt) {}

    final Map<String, Stored> files = new ConcurrentSkipListMap<>();

    static String key(int level, long min, long max) {
        return level + "/" + new dev.ltx4j.ltx.TxidRange(min, max).filename();
    }

    static byte[] body(long min, long max, long ts, int size) {
        ByteBuffer b = ByteBuffer.allocate(size);
        LtxHeader.of(Ltx.HEADER_FLAG_NO_CHECKSUM, 4096, 1, min, max, ts, 0).writeTo(b);
        for (int i = Ltx.HEADER_SIZE; i < size; i++) {
            b.put((byte) (i * 31 + min));
        }
        return b.array();
    }

    /** Places a file directly, with an explicit createdAt (listing metadata). */
    void put(int level, long min, long max, Instant createdAt) {
        files.put(key(level, min, max), new Stored(body(min, max, createdAt.toEpochMilli(), 120), createdAt));
    }

    @Override
    public String type() {
        return "map";
    }

    @Override
    public List<LtxFileInfo> listFiles(int level, long seekTxid, boolean useMetadata) throws ReplicaException {
        List<LtxFileInfo> out = new ArrayList<>();
        files.forEach((k, v) -> {
            int slash = k.indexOf('/');
            if (Integer.parseInt(k.substring(0, slash)) != level) {
                return;
            }
            var range = dev.ltx4j.ltx.TxidRange.parseFilename(k.substring(slash + 1)).orElseThrow();
            if (Long.compareUnsigned(range.minTxid(), seekTxid) >= 0) {
                out.add(new LtxFileInfo(level, range.minTxid(), range.maxTxid(), v.data().length, v.createdAt()));
            }
        });
        out.sort(Comparator.comparing(LtxFileInfo::range));
        return out;
    }

    @Override
    public InputStream openFile(int level, long min, long max, long offset, long length) throws ReplicaException {
        Stored s = files.get(key(level, min, max));
        if (s == null) {
            throw new ReplicaNotFoundException("missing " + key(level, min, max));
        }
        int from = (int) Math.min(offset, s.data().length);
        int to = length == 0 ? s.data().length : (int) Math.min(s.data().length, offset + length);
        return new ByteArrayInputStream(s.data(), from, Math.max(0, to - from));
    }

    @Override
    public LtxFileInfo createFile(int level, long min, long max, LtxBody body) throws ReplicaException {
        LtxHeader h = body.peekHeader(key(level, min, max));
        byte[] data;
        try (InputStream in = body.open()) {
            data = in.readAllBytes();
        } catch (IOException e) {
            throw new ReplicaTransientException("read body", e);
        }
        Instant at = Instant.ofEpochMilli(h.timestamp());
        if (files.putIfAbsent(key(level, min, max), new Stored(data, at)) != null) {
            throw new ReplicaAlreadyExistsException("exists " + key(level, min, max));
        }
        return new LtxFileInfo(level, min, max, data.length, at);
    }

    @Override
    public void deleteFiles(Collection<LtxFileInfo> infos) {
        for (LtxFileInfo f : infos) {
            files.remove(key(f.level(), f.minTxid(), f.maxTxid()));
        }
    }

    @Override
    public void deleteAll() {
        files.clear();
    }

    @Override
    public void close() {}
}
