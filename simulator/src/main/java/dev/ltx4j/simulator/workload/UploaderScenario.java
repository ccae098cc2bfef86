package dev.ltx4j.simulator.workload;

import dev.ltx4j.ltx.Ltx;
import dev.ltx4j.ltx.LtxHeader;
import dev.ltx4j.replica.LtxBody;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaAlreadyExistsException;
import dev.ltx4j.replica.ReplicaException;
import dev.ltx4j.replica.ReplicaNotFoundException;
import dev.ltx4j.replica.ReplicaOutcomeUnknownException;
import dev.ltx4j.simulator.FaultPlan;
import dev.ltx4j.simulator.InvariantViolation;
import dev.ltx4j.simulator.Seeds;
import dev.ltx4j.simulator.World;
import dev.ltx4j.simulator.property.Gen;
import dev.ltx4j.simulator.store.SimObjectStore;
import dev.ltx4j.simulator.store.SimReplicaClient;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.CRC32C;

/**
 * The "uploader" workload: several writers (plus, under {@link dev.ltx4j.simulator.FaultKind#CREATE_RACE}, a
 * phantom rival inside the store) append single-transaction LTX files to level 0 of one replica on a
 * {@link SimObjectStore}. Each writer follows the rules: list, read the head's identity, create-if-absent the
 * next TXID; on "already exists" re-list; on an ambiguous outcome read the name back and decide by the identity
 * stored in it. The engine's syncer will replace this writer.
 *
 * <p>File body: LTX header (node id = writer), an identity block {@code writer, seq, parentWriter, parentSeq,
 * crc}, a data block and a CRC over identity and data. The store corrupts only bytes after the identity block,
 * so identity stays readable and the data CRC must catch flips.
 *
 * <p>Oracle (checked by an auditor actor every 100 ms of simulated time and at the end, over the true store
 * contents): {@code contiguity} (level 0 holds exactly TXIDs 1..n, one file each, no two files start at the same
 * TXID), {@code no-fork} (each file's parent identity is the identity of the file before it),
 * {@code duplicate-transaction} (no writer transaction lands twice), {@code lost-acknowledged-write} (every
 * acknowledged transaction is in the chain where it was acknowledged), {@code corruption-detection} (the files
 * whose data CRC fails are exactly the ones the store corrupted).
 */
public final class UploaderScenario implements Scenario<UploaderScenario.Action> {
    private static final String PREFIX = "db";
    private static final int IDENTITY = 40;
    private static final int DATA = 64;
    private static final long PHANTOM = 0x7fff_0000_0000_0001L;

    /** One workload step. */
    public sealed interface Action permits Step, Pause {}

    /** Writer {@code writer} (modulo the writer count) takes its next protocol step. */
    public record Step(int writer) implements Action {
        @Override
        public String toString() {
            return "step w" + writer;
        }
    }

    /** Let simulated time pass. */
    public record Pause(int millis) implements Action {
        @Override
        public String toString() {
            return "pause " + millis + "ms";
        }
    }

    private final Set<Bug> bugs;

    public UploaderScenario() {
        this(EnumSet.noneOf(Bug.class));
    }

    /** With bug switches ({@link Bug#OVERWRITE_UPLOAD}, {@link Bug#AMBIGUOUS_AS_FAILED}); others are ignored. */
    public UploaderScenario(Set<Bug> bugs) {
        this.bugs = bugs.isEmpty() ? EnumSet.noneOf(Bug.class) : EnumSet.copyOf(bugs);
    }

    @Override
    public String name() {
        return "uploader";
    }

    @Override
    public Gen<Action> action(FaultPlan faults) {
        Gen<Action> g = Gen.frequency(
                Gen.weighted(85, r -> new Step(r.nextInt(3))),
                Gen.weighted(15, r -> new Pause(1 + r.nextInt(400))));
        return g.withSimplifier(a -> {
            if (a instanceof Step s && s.writer() > 0) {
                return List.of(new Step(0));
            }
            if (a instanceof Pause p && p.millis() > 1) {
                return List.of(new Pause(1));
            }
            return List.of();
        });
    }

    @Override
    public void run(World world, List<Action> actions) throws Exception {
        SimObjectStore store = new SimObjectStore(world);
        store.setCorruptibleFrom(Ltx.HEADER_SIZE + IDENTITY);
        Oracle oracle = new Oracle(store);
        store.setRival((prefix, level, min, max) -> oracle.phantomBody(level, min, max, world.clock().millis()));
        int writers = 2 + world.random("uploader/config").nextInt(2);
        List<Writer> ws = new ArrayList<>();
        for (int i = 0; i < writers; i++) {
            ws.add(new Writer(world, store.client(PREFIX), oracle, Seeds.child(world.seed(), "writer" + i) | 1));
        }
        world.record("uploader", writers + " writers" + (bugs.isEmpty() ? "" : " bugs " + bugs));
        int[] next = {0};
        world.scheduler().every(Duration.ofMillis(2), "driver", "step", now -> {
            if (next[0] >= actions.size()) {
                world.scheduler().stop();
                return;
            }
            Action a = actions.get(next[0]++);
            world.stats().operations(1);
            if (a instanceof Step s) {
                ws.get(s.writer() % writers).step();
            } else if (a instanceof Pause p) {
                world.clock().advance(Duration.ofMillis(p.millis()));
            }
        });
        world.scheduler().every(Duration.ofMillis(100), "auditor", "audit", now -> oracle.check());
        world.scheduler().run(Long.MAX_VALUE, Long.MAX_VALUE);
        oracle.check();
    }

    /** Who wrote a file and which of its transactions it is. */
    record Identity(long writer, long seq) {
        static final Identity GENESIS = new Identity(0, 0);
    }

    static byte[] body(long txid, long millis, Identity me, Identity parent) {
        ByteBuffer b = ByteBuffer.allocate(Ltx.HEADER_SIZE + IDENTITY + DATA + 8);
        LtxHeader.of(Ltx.HEADER_FLAG_NO_CHECKSUM, 4096, 1, txid, txid, millis, 0).withNodeId(me.writer()).writeTo(b);
        b.putLong(me.writer()).putLong(me.seq()).putLong(parent.writer()).putLong(parent.seq());
        b.putLong(crc(b.array(), Ltx.HEADER_SIZE, 32));
        long x = Seeds.child(me.writer(), me.seq());
        for (int i = 0; i < DATA / 8; i++) {
            x = Seeds.mix(x + i);
            b.putLong(x);
        }
        b.putLong(crc(b.array(), Ltx.HEADER_SIZE, IDENTITY + DATA));
        return b.array();
    }

    static long crc(byte[] data, int off, int len) {
        CRC32C c = new CRC32C();
        c.update(data, off, len);
        return c.getValue();
    }

    /** Parses an identity block (40 bytes); null when its CRC fails. */
    static Identity[] identity(byte[] block, int off) {
        ByteBuffer b = ByteBuffer.wrap(block, off, IDENTITY);
        long w = b.getLong();
        long s = b.getLong();
        long pw = b.getLong();
        long ps = b.getLong();
        if (b.getLong() != crc(block, off, 32)) {
            return null;
        }
        return new Identity[] {new Identity(w, s), new Identity(pw, ps)};
    }

    /** The safety checker over the true store contents. */
    private final class Oracle {
        private final SimObjectStore store;
        private final Map<Identity, Long> acked = new HashMap<>();
        private long phantomSeq;

        Oracle(SimObjectStore store) {
            this.store = store;
        }

        void ack(Identity id, long txid) {
            acked.put(id, txid);
        }

        byte[] phantomBody(int level, long min, long max, long millis) {
            if (level != 0 || min != max) {
                return null;
            }
            Identity parent = Identity.GENESIS;
            if (min > 1) {
                SimObjectStore.StoredObject prev = find(min - 1);
                if (prev == null) {
                    return null; // a rival would not skip a TXID either
                }
                parent = identity(prev.data(), Ltx.HEADER_SIZE)[0];
            }
            Identity me = new Identity(PHANTOM, ++phantomSeq);
            ack(me, min);
            return body(min, millis, me, parent);
        }

        private SimObjectStore.StoredObject find(long txid) {
            for (SimObjectStore.StoredObject o : store.inspect(PREFIX, 0)) {
                if (o.minTxid() == txid) {
                    return o;
                }
            }
            return null;
        }

        void check() {
            List<SimObjectStore.StoredObject> files = store.inspect(PREFIX, 0);
            Map<Identity, Long> landed = new HashMap<>();
            Identity prev = Identity.GENESIS;
            Set<String> failedCrc = new HashSet<>();
            for (int i = 0; i < files.size(); i++) {
                SimObjectStore.StoredObject f = files.get(i);
                if (f.minTxid() != i + 1 || f.maxTxid() != f.minTxid()) {
                    throw new InvariantViolation("contiguity", "level 0 file #" + (i + 1) + " is " + f.key()
                            + "; expected TXID " + (i + 1) + " alone");
                }
                Identity[] id = identity(f.data(), Ltx.HEADER_SIZE);
                if (id == null) {
                    throw new InvariantViolation("corruption-detection", "identity of " + f.key() + " unreadable");
                }
                if (!id[1].equals(prev)) {
                    throw new InvariantViolation("no-fork", f.key() + " by " + id[0] + " builds on " + id[1]
                            + " but TXID " + i + " holds " + prev);
                }
                Long dup = landed.put(id[0], f.minTxid());
                if (dup != null) {
                    throw new InvariantViolation("duplicate-transaction", id[0] + " landed at TXID " + dup + " and "
                            + f.minTxid());
                }
                long stored = ByteBuffer.wrap(f.data()).getLong(f.data().length - 8);
                if (stored != crc(f.data(), Ltx.HEADER_SIZE, IDENTITY + DATA)) {
                    failedCrc.add(f.key());
                }
                prev = id[0];
            }
            for (Map.Entry<Identity, Long> a : acked.entrySet()) {
                Long at = landed.get(a.getKey());
                if (at == null || !at.equals(a.getValue())) {
                    throw new InvariantViolation("lost-acknowledged-write", a.getKey() + " was acknowledged at TXID "
                            + a.getValue() + " but the chain has it " + (at == null ? "nowhere" : "at " + at));
                }
            }
            Set<String> corrupted = new HashSet<>(store.corruptedKeys());
            if (!failedCrc.equals(corrupted)) {
                throw new InvariantViolation("corruption-detection", "CRC failures " + failedCrc
                        + " but the store corrupted " + corrupted);
            }
        }
    }

    private enum Phase { LIST, CREATE, RESOLVE }

    /** A writer that follows the rules (unless a bug switch says otherwise). */
    private final class Writer {
        private final World world;
        private final SimReplicaClient client;
        private final Oracle oracle;
        private final long id;
        private final String name;
        private long seq = 1;
        private Phase phase = Phase.LIST;
        private long target;
        private byte[] body;

        Writer(World world, SimReplicaClient client, Oracle oracle, long id) {
            this.world = world;
            this.client = client;
            this.oracle = oracle;
            this.id = id;
            this.name = "w" + Long.toHexString(id & 0xffff);
        }

        void step() {
            try {
                switch (phase) {
                    case LIST -> list();
                    case CREATE -> create();
                    case RESOLVE -> resolve();
                }
            } catch (ReplicaException e) {
                world.reached("retry", name + " " + phase + " " + e.getClass().getSimpleName());
            }
        }

        private void list() throws ReplicaException {
            List<LtxFileInfo> files = client.listFiles(0, 0, false);
            Identity parent = Identity.GENESIS;
            long head = 0;
            if (!files.isEmpty()) {
                LtxFileInfo h = files.get(files.size() - 1);
                byte[] block = client.readRange(0, h.minTxid(), h.maxTxid(), Ltx.HEADER_SIZE, IDENTITY);
                if (block.length != IDENTITY) {
                    world.reached("short-read-detected", name + " " + h);
                    return;
                }
                Identity[] ids = identity(block, 0);
                if (ids == null) {
                    world.reached("corrupt-identity", name + " " + h);
                    return;
                }
                parent = ids[0];
                head = h.maxTxid();
            }
            target = head + 1;
            body = body(target, world.clock().millis(), new Identity(id, seq), parent);
            phase = Phase.CREATE;
        }

        private void create() throws ReplicaException {
            try {
                if (bugs.contains(Bug.OVERWRITE_UPLOAD)) {
                    client.putOverwrite(0, target, target, body);
                } else {
                    client.createFile(0, target, target, LtxBody.of(body));
                }
                acknowledged();
            } catch (ReplicaAlreadyExistsException e) {
                world.reached("conflict", name + " lost TXID " + target);
                phase = Phase.LIST;
            } catch (ReplicaOutcomeUnknownException e) {
                world.reached("ambiguous-outcome", name + " TXID " + target);
                phase = bugs.contains(Bug.AMBIGUOUS_AS_FAILED) ? Phase.LIST : Phase.RESOLVE;
            }
        }

        private void resolve() throws ReplicaException {
            byte[] block;
            try {
                block = client.readRange(0, target, target, Ltx.HEADER_SIZE, IDENTITY);
            } catch (ReplicaNotFoundException e) {
                world.reached("resolved-not-landed", name + " TXID " + target);
                phase = Phase.CREATE;
                return;
            }
            Identity[] ids = block.length == IDENTITY ? identity(block, 0) : null;
            if (ids == null) {
                world.reached("short-read-detected", name + " resolve " + target);
                return;
            }
            if (ids[0].equals(new Identity(id, seq))) {
                world.reached("resolved-landed", name + " TXID " + target);
                acknowledged();
            } else {
                world.reached("conflict", name + " resolved TXID " + target + " to a rival");
                phase = Phase.LIST;
            }
        }

        private void acknowledged() {
            oracle.ack(new Identity(id, seq), target);
            world.record(name, "acknowledged seq " + seq + " at TXID " + target);
            seq++;
            phase = Phase.LIST;
        }
    }
}
