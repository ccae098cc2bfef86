package dev.ltx4j.simulator.store;

import dev.ltx4j.ltx.Ltx;
import dev.ltx4j.ltx.TxidRange;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaTransientException;
import dev.ltx4j.simulator.FaultKind;
import dev.ltx4j.simulator.FaultPlan;
import dev.ltx4j.simulator.SimRandom;
import dev.ltx4j.simulator.World;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.PriorityQueue;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A simulated object-store bucket whose faults are chosen by the world's seed. Clients for key prefixes come
 * from {@link #client(String)} and implement {@link ReplicaClient} with the layout
 * {@code <prefix>/ltx/<level>/<min>-<max>.ltx}.
 *
 * <h2>Guarantees kept under every fault plan</h2>
 * <ul>
 *   <li>Create-if-absent is atomic against the true state: of racing creators exactly one wins, and a reported
 *       success or "already exists" is always true.</li>
 *   <li>Reads are read-after-write consistent: an object is readable as soon as its create landed (even when
 *       the creator saw a lost response), and unreadable as soon as it is deleted.</li>
 *   <li>Listings never show an object that was never created, and only ever show whole objects.</li>
 * </ul>
 * <h2>What faults may break (each counted in the world's {@link dev.ltx4j.simulator.Stats})</h2>
 * Latency (every request advances simulated time by a base latency plus jitter, spikes on
 * {@link FaultKind#LATENCY_SPIKE}); transient errors and throttling before a request does anything; lost
 * responses (the object landed, the caller sees {@code ReplicaOutcomeUnknownException}) and timeouts before
 * landing; rival creates landing between the caller's check and its create (when a {@link Rival} is set); short
 * and failed ranged reads; listing lag, <em>opt-in</em> (S3 lists strongly consistently today): a new object
 * may be missing from listings, a deleted one may still be listed, for up to {@link FaultPlan#listingLagMax()};
 * and bit flips at rest in bytes at or after {@link #corruptibleFrom()} (default: after the 100-byte LTX header,
 * so file identity stays readable and the payload checksum must catch the flip).
 *
 * <p>Thread-safe (one monitor; bodies are read outside it), so the conformance kit's threaded cases run too;
 * simulations use it from one thread.
 */
public final class SimObjectStore {

    /** Supplies the bytes a rival writer lands when {@link FaultKind#CREATE_RACE} fires; null skips the race. */
    @FunctionalInterface
    public interface Rival {
        byte[] rivalBody(String prefix, int level, long minTxid, long maxTxid);
    }

    /** One stored object as a checker sees it, without faults. */
    public record StoredObject(String key, int level, long minTxid, long maxTxid, byte[] data, boolean corrupted) {}

    static final class Obj {
        final byte[] data;
        final long createdAtMillis;
        final long listVisibleAtNanos;
        boolean corrupted;

        Obj(byte[] data, long createdAtMillis, long listVisibleAtNanos) {
            this.data = data;
            this.createdAtMillis = createdAtMillis;
            this.listVisibleAtNanos = listVisibleAtNanos;
        }
    }

    record Tombstone(Obj obj, long listHiddenAtNanos) {}

    private final World world;
    private final FaultPlan plan;
    private final SimRandom random;
    final TreeMap<String, Obj> objects = new TreeMap<>();
    final TreeMap<String, Tombstone> tombstones = new TreeMap<>();
    private final TreeSet<String> corruptedKeys = new TreeSet<>();
    private Rival rival;
    private StoreJournal journal;
    private int corruptibleFrom = Ltx.HEADER_SIZE;
    private long requests;
    private long mutations;
    private boolean faultsEnabled = true;
    private boolean inFlightCreates;
    /** Creates still travelling (see {@link #setInFlightCreates}), by the time they reach the store. */
    private final PriorityQueue<InFlight> inFlight = new PriorityQueue<>();
    private long inFlightSeq;

    record InFlight(long landAtNanos, long seq, String key, byte[] data, long createdAtMillis)
            implements Comparable<InFlight> {
        @Override
        public int compareTo(InFlight o) {
            int c = Long.compare(landAtNanos, o.landAtNanos);
            return c != 0 ? c : Long.compare(seq, o.seq);
        }
    }

    /** A bucket in {@code world}, with the world's fault plan and random stream {@code "store"}. */
    public SimObjectStore(World world) {
        this(world, "store");
    }

    /** A bucket with its own random stream name (for several buckets in one world). */
    public SimObjectStore(World world, String name) {
        this.world = Objects.requireNonNull(world, "world");
        this.plan = world.faults();
        this.random = world.random(name);
    }

    /** A client whose files live under {@code prefix} ({@code ""} for the bucket root). */
    public SimReplicaClient client(String prefix) {
        return new SimReplicaClient(this, prefix);
    }

    /** Records every landing and deletion from now on in {@code journal} (null: stop recording). */
    public synchronized void setJournal(StoreJournal journal) {
        this.journal = journal;
    }

    /** The journal set by {@link #setJournal}, or null. */
    public synchronized StoreJournal journal() {
        return journal;
    }

    void journalLanded(String key, byte[] data, long createdAtMillis, boolean replacedLive) {
        if (journal != null) {
            journal.landed(key, data, createdAtMillis, world.clock().nanoTime(), replacedLive);
        }
    }

    void journalDeleted(String key) {
        if (journal != null) {
            journal.deleted(key, world.clock().nanoTime());
        }
    }

    /** Sets who wins create races (null: {@link FaultKind#CREATE_RACE} never fires). */
    public synchronized void setRival(Rival rival) {
        this.rival = rival;
    }

    /** First byte offset that at-rest corruption may flip (default 100, after the LTX header). */
    public synchronized int corruptibleFrom() {
        return corruptibleFrom;
    }

    public synchronized void setCorruptibleFrom(int offset) {
        if (offset < 0) {
            throw new IllegalArgumentException("corruptibleFrom must not be negative: " + offset);
        }
        this.corruptibleFrom = offset;
    }

    /**
     * Turns every injected fault on or off (latency stays). Off: the fault-free phase of a liveness check, or
     * an oracle reading through the code under test without disturbing it.
     */
    private boolean listingLagOnly;

    public synchronized void setFaultsEnabled(boolean enabled) {
        this.faultsEnabled = enabled;
    }

    /**
     * Opt-in: a create that times out ({@link FaultKind#UNKNOWN_NOT_LANDED}) may still be travelling, and reaches
     * the store later, after requests sent after it (out-of-order completion); it lands then if the name is still
     * free (create-if-absent holds), else it is dropped. Off by default.
     */
    public synchronized void setInFlightCreates(boolean enabled) {
        this.inFlightCreates = enabled;
    }

    synchronized boolean inFlightCreates() {
        return inFlightCreates;
    }

    /** Queues a create that will reach the store up to two seconds of simulated time from now. */
    synchronized void sendLater(String key, byte[] data, long createdAtMillis) {
        long at = world.clock().nanoTime() + 1 + random.nextLong(2_000_000_000L);
        inFlight.add(new InFlight(at, inFlightSeq++, key, data.clone(), createdAtMillis));
    }

    /** Lands (or drops) every travelling create due by now; {@code all}: every one, whatever its time. */
    public synchronized void completeInFlight(boolean all) {
        long now = world.clock().nanoTime();
        while (!inFlight.isEmpty() && (all || inFlight.peek().landAtNanos() <= now)) {
            InFlight f = inFlight.poll();
            if (objects.containsKey(f.key())) {
                world.reached("in-flight-create-dropped", f.key());
                continue;
            }
            mutations++;
            Obj o = new Obj(f.data(), f.createdAtMillis(), lagDeadline());
            objects.put(f.key(), o);
            journalLanded(f.key(), f.data(), f.createdAtMillis(), false);
            tombstones.remove(f.key());
            forgetCorruption(f.key());
            world.reached("in-flight-create-landed", f.key());
        }
    }

    /** Whether injected faults are on (see {@link #setFaultsEnabled}). */
    public synchronized boolean faultsEnabled() {
        return faultsEnabled;
    }

    /** Objects landed or removed so far: a checker re-reads the bucket only when this moved. */
    public synchronized long mutations() {
        return mutations;
    }

    void mutated() {
        mutations++;
    }

    /** Requests served so far (every client call counts one). */
    public synchronized long requests() {
        return requests;
    }

    World world() {
        return world;
    }

    // ------------------------------------------------------------------------------------------ fault helpers

    /** Every request: takes simulated time, may spike. */
    void latency(String what) {
        requests++;
        long base = plan.baseLatency().toNanos();
        long delay = base + (base > 0 ? random.nextLong(base + 1) : 0);
        if (draw(FaultKind.LATENCY_SPIKE)) {
            delay += plan.spikeLatency().toNanos() / 2 + random.nextLong(plan.spikeLatency().toNanos() / 2 + 1);
            world.fired(FaultKind.LATENCY_SPIKE, what);
        }
        world.clock().advanceNanos(delay);
        if (!inFlight.isEmpty()) {
            completeInFlight(false); // requests sent earlier that reach the store now, after this one was sent
        }
    }

    boolean draw(FaultKind kind) {
        return (faultsEnabled || (listingLagOnly && kind == FaultKind.LISTING_LAG))
                && random.chance(plan.probability(kind));
    }

    /**
     * With faults off, still lets listings lag behind creates and deletes: an actor that must not fail (the
     * follower scenario's publisher) still leaves the listings other actors see stale for a while.
     */
    public synchronized void setListingLagOnly(boolean on) {
        this.listingLagOnly = on;
    }

    /** Throttling and transient errors that strike before a request does anything. */
    void failBefore(String what) throws ReplicaTransientException {
        if (draw(FaultKind.THROTTLE)) {
            world.fired(FaultKind.THROTTLE, what);
            world.clock().advanceNanos(plan.baseLatency().toNanos() * 4);
            throw new ReplicaTransientException("simulated 503 SlowDown on " + what);
        }
        if (draw(FaultKind.TRANSIENT_ERROR)) {
            world.fired(FaultKind.TRANSIENT_ERROR, what);
            throw new ReplicaTransientException("simulated connection reset on " + what);
        }
    }

    /** When listings will show a new object (or stop showing a deleted one). */
    long lagDeadline() {
        long now = world.clock().nanoTime();
        if (draw(FaultKind.LISTING_LAG)) {
            return now + 1 + random.nextLong(Math.max(1, plan.listingLagMax().toNanos()));
        }
        return now;
    }

    SimRandom random() {
        return random;
    }

    Rival rival() {
        return rival;
    }

    /** Flips one random bit at or after {@link #corruptibleFrom} of {@code key}'s stored bytes, if it has any. */
    void maybeCorrupt(String key, Obj o) {
        if (o.data.length <= corruptibleFrom || !draw(FaultKind.CORRUPT_AT_REST)) {
            return;
        }
        int at = corruptibleFrom + random.nextInt(o.data.length - corruptibleFrom);
        o.data[at] ^= (byte) (1 << random.nextInt(8));
        o.corrupted = true;
        corruptedKeys.add(key);
        world.fired(FaultKind.CORRUPT_AT_REST, key + " byte " + at);
    }

    // ------------------------------------------------------------------------------------------ raw access

    /** Stores an arbitrary object (no faults, listed at once), replacing any under that key. */
    public synchronized void putRaw(String key, byte[] data) {
        mutations++;
        journalLanded(key, data, 0, objects.containsKey(key));
        objects.put(key, new Obj(data.clone(), 0, 0));
        tombstones.remove(key);
    }

    /** Flips one bit of a stored object now ({@code offset} into its bytes), as damage at rest would. */
    public synchronized void corrupt(String key, int offset, int bit) {
        Obj o = objects.get(key);
        if (o == null) {
            throw new IllegalArgumentException("no object " + key + " to corrupt");
        }
        o.data[offset] ^= (byte) (1 << bit);
        o.corrupted = true;
        corruptedKeys.add(key);
        world.fired(FaultKind.CORRUPT_AT_REST, key + " byte " + offset);
    }

    /** Keys whose bytes were flipped at rest (and not since replaced or deleted). */
    public synchronized List<String> corruptedKeys() {
        return List.copyOf(corruptedKeys);
    }

    /** The true contents under {@code prefix} at {@code level}, ascending, bypassing faults and lag. */
    public synchronized List<StoredObject> inspect(String prefix, int level) {
        String dir = levelKey(prefix, level);
        List<StoredObject> out = new ArrayList<>();
        for (Map.Entry<String, Obj> e : under(objects, dir).entrySet()) {
            String rest = e.getKey().substring(dir.length());
            TxidRange r = rest.contains("/") ? null : TxidRange.parseFilename(rest).orElse(null);
            if (r != null) {
                out.add(new StoredObject(e.getKey(), level, r.minTxid(), r.maxTxid(), e.getValue().data.clone(),
                        e.getValue().corrupted));
            }
        }
        out.sort((a, b) -> new TxidRange(a.minTxid, a.maxTxid).compareTo(new TxidRange(b.minTxid, b.maxTxid)));
        return out;
    }

    /** When {@code key}'s object was created (its LTX header timestamp), or null when there is none. */
    public synchronized Instant createdAt(String key) {
        Obj o = objects.get(key);
        return o == null ? null : Instant.ofEpochMilli(o.createdAtMillis);
    }

    /** Every key in the bucket, sorted. */
    public synchronized List<String> keys() {
        return List.copyOf(objects.keySet());
    }

    static String root(String prefix) {
        return prefix.isEmpty() ? "" : prefix + "/";
    }

    static String levelKey(String prefix, int level) {
        if (level < ReplicaClient.MIN_LEVEL || level > ReplicaClient.MAX_LEVEL) {
            throw new IllegalArgumentException("level must be " + ReplicaClient.MIN_LEVEL + ".." + ReplicaClient.MAX_LEVEL
                    + ": " + level);
        }
        return root(prefix) + "ltx/" + level + "/";
    }

    static <V> NavigableMap<String, V> under(TreeMap<String, V> map, String p) {
        return p.isEmpty() ? map : map.subMap(p, true, p + Character.MAX_VALUE, false);
    }

    void forgetCorruption(String key) {
        corruptedKeys.remove(key);
    }
}
