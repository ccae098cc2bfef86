package dev.ltx4j.simulator.workload;

import static dev.ltx4j.simulator.workload.EngineRun.RIVAL_NODE;
import static dev.ltx4j.simulator.workload.EngineRun.page;

import dev.ltx4j.ltx.LtxEncodeResult;
import dev.ltx4j.ltx.LtxEncoder;
import dev.ltx4j.ltx.LtxHeader;
import dev.ltx4j.replica.LtxBody;
import dev.ltx4j.replica.ReplicaException;
import dev.ltx4j.simulator.FaultKind;
import dev.ltx4j.simulator.SimRandom;
import dev.ltx4j.simulator.World;
import dev.ltx4j.simulator.store.SimReplicaClient;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.TreeMap;

/**
 * The {@link EngineRun}'s rival writer: appends valid, checksum-tracked LTX files by another node id on the
 * replica's head, on its own turn or (the store's create race) just before the writer's create of the same name.
 * Every file it lands is reported to the {@link ReplicaAuditor}.
 */
final class EngineRival {
    private final World world;
    private final ReplicaAuditor auditor;
    private final SimReplicaClient rivalClient;
    private final SimRandom phantomRandom;
    private final int pageSize;
    private final int maxPages;

    EngineRival(World world, ReplicaAuditor auditor, SimReplicaClient rivalClient, SimRandom phantomRandom,
            int pageSize, int maxPages) {
        this.world = world;
        this.auditor = auditor;
        this.rivalClient = rivalClient;
        this.phantomRandom = phantomRandom;
        this.pageSize = pageSize;
        this.maxPages = maxPages;
    }

    void rival(List<EngineScenario.PageWrite> ws) {
        auditor.audit();
        long txid = auditor.head() + 1;
        byte[] body = rivalBody(txid, ws);
        try {
            rivalClient.createFile(0, txid, txid, LtxBody.of(body));
            auditor.rivalAcknowledged(txid, ByteBuffer.wrap(body).getLong(body.length - 8));
            world.reached("rival-landed", "TXID " + txid);
        } catch (ReplicaException e) {
            world.reached("rival-failed", e.getClass().getSimpleName());
        }
    }

    /** The store's {@link FaultKind#CREATE_RACE}: a rival lands the name first, on the current head. */
    byte[] phantomRival(int level, long min, long max) {
        auditor.audit();
        if (level != 0 || min != max || min != auditor.head() + 1) {
            return null;
        }
        List<EngineScenario.PageWrite> ws = List.of(new EngineScenario.PageWrite(phantomRandom.nextInt(1 << 16),
                phantomRandom.nextLong() | 1));
        byte[] body = rivalBody(min, ws);
        auditor.rivalAcknowledged(min, ByteBuffer.wrap(body).getLong(body.length - 8));
        return body;
    }

    /** A valid, checksum-tracked LTX file on the head's state, by the rival's node id. */
    private byte[] rivalBody(long txid, List<EngineScenario.PageWrite> ws) {
        PageState prev = auditor.stateAt(txid - 1);
        TreeMap<Long, byte[]> writes = new TreeMap<>();
        for (EngineScenario.PageWrite w : ws) {
            writes.put(1 + Math.floorMod((long) w.slot(), (long) maxPages), page(w.fill() ^ RIVAL_NODE, pageSize));
        }
        // Half the rival's files come from a WAL-mode writer (as the Litestream daemon's all do): its page 1
        // says WAL (file format bytes 18/19 = 2), and it always writes page 1 here.
        if ((ws.get(0).fill() & (1L << 62)) != 0) {
            byte[] one = writes.computeIfAbsent(1L, p -> page(ws.get(0).fill() ^ RIVAL_NODE ^ 1, pageSize));
            one[18] = 2;
            one[19] = 2;
            world.reached("rival-wal-page-one", "TXID " + txid);
        }
        long size = Math.max(prev.size, writes.lastKey());
        PageState next = prev.apply(writes, size);
        auditor.rivalCommitted(next);
        LtxHeader h = LtxHeader.of(0, pageSize, size, txid, txid, world.clock().millis(), txid == 1 ? 0 : prev.digest)
                .withNodeId(RIVAL_NODE);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            LtxEncoder enc = new LtxEncoder(out, h, h.range().filename());
            for (long p = 1; p <= size; p++) {
                if (txid == 1 || p > prev.size || writes.containsKey(p)) {
                    enc.writePage(p, next.page(p), 0);
                }
            }
            LtxEncodeResult r = enc.finish(next.digest);
            if (r.postApplyChecksum() != next.digest) {
                throw new IllegalStateException("rival file checksum disagrees with the model");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
