package dev.ltx4j.simulator.workload;

import dev.ltx4j.ltx.Ltx;
import dev.ltx4j.ltx.LtxCompactor;
import dev.ltx4j.ltx.LtxEncoder;
import dev.ltx4j.ltx.LtxHeader;
import dev.ltx4j.ltx.LtxSource;
import dev.ltx4j.replica.LtxBody;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.simulator.FaultKind;
import dev.ltx4j.simulator.InvariantViolation;
import dev.ltx4j.simulator.Seeds;
import dev.ltx4j.simulator.SimRandom;
import dev.ltx4j.simulator.World;
import dev.ltx4j.simulator.store.SimObjectStore;
import dev.ltx4j.simulator.store.SimReplicaClient;
import dev.ltx4j.syncer.Database;
import dev.ltx4j.syncer.EngineFaults;
import dev.ltx4j.syncer.EngineOptions;
import dev.ltx4j.syncer.PointInTime;
import dev.ltx4j.syncer.ReadTransaction;
import dev.ltx4j.syncer.TimeTravelException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * One run of the {@link TimeTravelScenario}. The model: the state and commit time of every TXID, and the TXIDs
 * compaction removed (every TXID but the last of each compacted run). The oracle, property {@code time-travel}: with
 * store faults off, a time resolves to exactly the newest retained TXID at or before it, reads exactly the model's
 * state there and reports that TXID's commit time; a future time and a time before the oldest retained TXID are
 * refused, the latter naming the oldest retained commit time. With faults on the engine may fail, but any answer it
 * gives reads the model's state at a retained TXID committed at or before the time.
 */
final class TimeTravelRun {
    static final String PREFIX = "db";

    private final World world;
    private final SimObjectStore store;
    private final SimReplicaClient publisher;
    private final EngineOptions options;
    private final int pageSize;
    private final int maxPages;
    /** State and commit time (ms) by TXID; index 0 is the empty database. */
    private final List<PageState> states = new ArrayList<>();
    private final List<Long> times = new ArrayList<>();
    private final TreeSet<Long> removed = new TreeSet<>();
    /** Per level: the highest TXID compacted into it so far. */
    private final long[] compactedTo = new long[3];
    private Database reader;
    /**
     * The publisher's wall clock, which stamps the LTX files: with {@link FaultKind#CLOCK_STEP} it steps (per file, its
     * own stream), so commit times may decrease with the TXID and time travel answers by docs/time-travel.md's rule
     * for a writer's clock that went back.
     */
    private final SteppingClock publisherClock;
    private final SimRandom steps;
    private final double stepChance;

    TimeTravelRun(World world, Set<Bug> bugs) {
        this.world = world;
        Set<Bug> on = bugs.isEmpty() ? EnumSet.noneOf(Bug.class) : EnumSet.copyOf(bugs);
        this.store = new SimObjectStore(world);
        store.setCorruptibleFrom(Integer.MAX_VALUE);
        this.publisher = store.client(PREFIX);
        SimRandom config = world.random("timetravel/config");
        this.pageSize = config.nextInt(3) == 0 ? 4096 : 512;
        this.maxPages = pageSize == 512 ? 24 : 8;
        long cache = config.nextBoolean() ? 0 : 10L << 20;
        this.options = SimFollower.options(PREFIX, world.clock(), world, Duration.ofSeconds(1), cache, 0,
                EngineFaults.builder().timeTravelStrictlyBefore(on.contains(Bug.TIME_TRAVEL_STRICTLY_BEFORE)).build());
        states.add(PageState.empty(pageSize));
        times.add(Long.MIN_VALUE);
        this.publisherClock = new SteppingClock(world.clock(), 0);
        this.steps = world.random("clock-step/publisher");
        this.stepChance = world.faults().probability(FaultKind.CLOCK_STEP);
        world.record("timetravel", "page size " + pageSize + ", cache " + cache + (on.isEmpty() ? "" : ", bugs " + on));
    }

    void execute(List<TimeTravelScenario.Action> actions) throws Exception {
        try {
            append(maxPages, 1);
            world.scheduler().play(Duration.ofMillis(10), "publisher", actions, this::apply);
            world.scheduler().run(Long.MAX_VALUE, Long.MAX_VALUE);
            store.setFaultsEnabled(false);
            travel(new TimeTravelScenario.Travel(Seeds.mix(states.size()), true));
            world.reached("liveness", "head " + head() + ", " + removed.size() + " TXIDs compacted away");
        } catch (IOException | RuntimeException e) {
            throw InvariantViolation.unexpected(e);
        } finally {
            if (reader != null) {
                reader.close();
            }
        }
    }

    private long head() {
        return states.size() - 1;
    }

    private void apply(TimeTravelScenario.Action a) throws IOException {
        if (a instanceof TimeTravelScenario.Append p) {
            for (int i = 0; i < p.files(); i++) {
                append(p.pages(), Seeds.mix(p.fill() + i));
            }
        } else if (a instanceof TimeTravelScenario.Compact c) {
            compact(c.level(), c.span());
        } else if (a instanceof TimeTravelScenario.Travel t) {
            travel(t);
        } else if (a instanceof TimeTravelScenario.Idle i) {
            world.clock().advance(Duration.ofMillis(i.millis()));
        }
    }

    // ------------------------------------------------------------------------------------------ publisher

    private void append(int pages, long fill) {
        long txid = head() + 1;
        PageState prev = states.get((int) txid - 1);
        TreeMap<Long, byte[]> writes = new TreeMap<>();
        for (int i = 0; i < pages; i++) {
            long p = txid == 1 ? i + 1 : 1 + Math.floorMod(Seeds.mix(fill + i), (long) maxPages);
            writes.put(p, EngineRun.page(Seeds.mix(fill) + p, pageSize));
        }
        long size = Math.max(prev.size, writes.lastKey());
        PageState next = prev.apply(writes, size);
        if (stepChance > 0 && store.faultsEnabled() && steps.chance(stepChance * 4)) {
            // Forward or back by 2 s to 10 minutes: the history's times interleave.
            long delta = (long) Math.exp(Math.log(2_000) + steps.nextDouble() * Math.log(600_000 / 2_000.0));
            delta = steps.nextBoolean() ? delta : -delta;
            publisherClock.step(delta);
            world.fired(FaultKind.CLOCK_STEP, "publisher " + Duration.ofMillis(delta));
        }
        long millis = publisherClock.millis();
        LtxHeader h = LtxHeader.of(Ltx.HEADER_FLAG_NO_CHECKSUM, pageSize, size, txid, txid, millis, 0);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            LtxEncoder enc = new LtxEncoder(out, h, h.range().filename());
            for (long p = 1; p <= size; p++) {
                if (txid == 1 || writes.containsKey(p)) {
                    enc.writePage(p, next.page(p), 0);
                }
            }
            enc.finish(0);
            faultFree(() -> publisher.createFile(0, txid, txid, LtxBody.of(out.toByteArray())));
        } catch (IOException e) {
            throw new IllegalStateException("the publisher's fault-free create failed: " + e, e);
        }
        states.add(next);
        times.add(millis);
        world.stats().operations(pages);
    }

    /** Compacts the next run of files of {@code level - 1} into one file of {@code level}, deleting the inputs. */
    private void compact(int level, int span) throws IOException {
        List<SimObjectStore.StoredObject> run = new ArrayList<>();
        long next = compactedTo[level] + 1;
        for (SimObjectStore.StoredObject o : store.inspect(PREFIX, level - 1)) {
            if (o.minTxid() == next && o.maxTxid() < head() && run.size() < span) {
                run.add(o);
                next = o.maxTxid() + 1;
            }
        }
        if (run.size() < 2) {
            return;
        }
        List<LtxSource> inputs = new ArrayList<>();
        List<LtxFileInfo> doomed = new ArrayList<>();
        for (SimObjectStore.StoredObject o : run) {
            inputs.add(LtxSource.ofBytes(o.key(), o.data()));
            doomed.add(new LtxFileInfo(level - 1, o.minTxid(), o.maxTxid(), o.data().length, Instant.EPOCH));
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        LtxCompactor.compact(inputs, out, Ltx.HEADER_FLAG_NO_CHECKSUM);
        long min = run.get(0).minTxid();
        long max = run.get(run.size() - 1).maxTxid();
        faultFree(() -> publisher.createFile(level, min, max, LtxBody.of(out.toByteArray())));
        faultFree(() -> publisher.deleteFiles(doomed));
        for (long t = min; t < max; t++) {
            removed.add(t);
        }
        compactedTo[level] = max;
        world.reached("compacted", "L" + level + " " + min + "-" + max);
    }

    @FunctionalInterface
    private interface StoreCall {
        void run() throws IOException;
    }

    private void faultFree(StoreCall call) throws IOException {
        boolean was = store.faultsEnabled();
        store.setFaultsEnabled(false);
        try {
            call.run();
        } finally {
            store.setFaultsEnabled(was);
        }
    }

    // ------------------------------------------------------------------------------------------ time traveller

    private void travel(TimeTravelScenario.Travel a) throws IOException {
        if (reader == null) {
            faultFree(() -> reader = Database.open(store.client(PREFIX), "db", options));
        }
        long first = times.get(1);
        long now = world.clock().millis();
        if (publisherClock.stepped()) {
            // The history's times may lie anywhere around now: a commit time, or within 2 s of one.
            long at = times.get(1 + (int) Math.floorMod(a.pick(), head()));
            long target = a.exact() ? at : at - 2000 + Math.floorMod(Seeds.mix(a.pick()), 4001L);
            travelStepped(target, now);
            return;
        }
        long target = a.exact() ? times.get(1 + (int) Math.floorMod(a.pick(), head()))
                : first - 2000 + Math.floorMod(a.pick(), now - first + 4000);
        boolean faults = store.faultsEnabled();
        store.setFaultsEnabled(false);
        try {
            checkExact(Instant.ofEpochMilli(target), Instant.ofEpochMilli(now));
        } finally {
            store.setFaultsEnabled(faults);
        }
        if (faults) {
            checkUnderFaults(Instant.ofEpochMilli(target), Instant.ofEpochMilli(now));
        }
    }

    /**
     * A travel after the publisher's clock stepped: commit times no longer grow with the TXID, and docs/time-travel.md
     * promises a retained state committed at or before the time whose next retained state was committed after it (or
     * the head), reading exactly that state; or a refusal: in the future (after now), or before the oldest retained
     * state's time when no answer above exists before it. Checked with store faults off, then under them.
     */
    private void travelStepped(long target, long now) throws IOException {
        boolean faults = store.faultsEnabled();
        store.setFaultsEnabled(false);
        try {
            PointInTime p;
            try {
                p = reader.timeTravel().resolve(Instant.ofEpochMilli(target), Instant.ofEpochMilli(now));
            } catch (TimeTravelException e) {
                boolean future = target > now && e.getMessage().contains("in the future");
                boolean beforeOldest = target < times.get((int) oldestRetained()) && e.oldestAvailable() != null;
                if (future || beforeOldest || answers(target).isEmpty()) {
                    world.reached("travel-refused-stepped", future ? "future" : beforeOldest ? "before oldest" : "none");
                    return;
                }
                throw new InvariantViolation("time-travel", "after clock steps, time " + Instant.ofEpochMilli(target)
                        + " refused: " + e.getMessage() + "; acceptable answers " + answers(target));
            }
            checkSteppedAnswer(p, target, "");
        } finally {
            store.setFaultsEnabled(faults);
        }
        if (faults) {
            try {
                checkSteppedAnswer(reader.timeTravel().resolve(Instant.ofEpochMilli(target), Instant.ofEpochMilli(now)),
                        target, "under store faults, ");
            } catch (IOException | RuntimeException e) {
                world.reached("travel-failed-under-faults", e.getClass().getSimpleName());
            }
        }
    }

    private void checkSteppedAnswer(PointInTime p, long target, String when) throws IOException {
        long t = p.txid();
        if (!answers(target).contains(t)) {
            throw new InvariantViolation("time-travel", when + "after clock steps, time " + Instant.ofEpochMilli(target)
                    + " resolved to " + p + "; acceptable answers " + answers(target));
        }
        if (!p.commitTime().equals(Instant.ofEpochMilli(times.get((int) t)))) {
            throw new InvariantViolation("time-travel", p + " reports the wrong commit time; TXID " + t
                    + " was committed at " + Instant.ofEpochMilli(times.get((int) t)));
        }
        if (read(p) != states.get((int) t).digest) {
            throw new InvariantViolation("time-travel", when + "after clock steps, " + p + " reads a state that is not"
                    + " the model's at TXID " + t);
        }
        world.reached("travel-answered-stepped", "TXID " + t);
    }

    /** Retained TXIDs committed at or before {@code t} whose next retained TXID was committed after it (or none). */
    private List<Long> answers(long t) {
        List<Long> out = new ArrayList<>();
        long prev = -1;
        for (long x = 1; x <= head(); x++) {
            if (removed.contains(x)) {
                continue;
            }
            if (prev > 0 && times.get((int) x) > t) {
                out.add(prev);
            }
            prev = times.get((int) x) <= t ? x : -1;
        }
        if (prev > 0) {
            out.add(prev);
        }
        return out;
    }

    /** The newest retained TXID committed at or before {@code t}, or 0 when there is none. */
    private long expected(long t) {
        long best = 0;
        for (long x = 1; x <= head(); x++) {
            if (!removed.contains(x) && times.get((int) x) <= t) {
                best = x;
            }
        }
        return best;
    }

    private long oldestRetained() {
        for (long x = 1; ; x++) {
            if (!removed.contains(x)) {
                return x;
            }
        }
    }

    private void checkExact(Instant target, Instant now) throws IOException {
        long want = target.isAfter(now) ? -1 : expected(target.toEpochMilli());
        PointInTime p;
        try {
            p = reader.timeTravel().resolve(target, now);
        } catch (TimeTravelException e) {
            if (want == -1 && e.getMessage().contains("in the future")) {
                world.reached("travel-future", target.toString());
                return;
            }
            Instant oldest = Instant.ofEpochMilli(times.get((int) oldestRetained()));
            if (want == 0 && oldest.equals(e.oldestAvailable())) {
                world.reached("travel-before-oldest", "oldest TXID " + oldestRetained());
                return;
            }
            throw new InvariantViolation("time-travel", "time " + target + " (now " + now + ") refused: "
                    + e.getMessage() + "; the model answers " + (want < 0 ? "in the future" : want == 0
                    ? "before the oldest retained TXID " + oldestRetained() + " at " + oldest : "TXID " + want));
        }
        if (p.txid() != want) {
            throw new InvariantViolation("time-travel", "time " + target + " (now " + now + ") resolved to " + p
                    + "; the model's newest retained TXID at or before it is " + (want <= 0 ? "none" : want + " at "
                    + Instant.ofEpochMilli(times.get((int) want))));
        }
        if (!p.commitTime().equals(Instant.ofEpochMilli(times.get((int) want)))) {
            throw new InvariantViolation("time-travel", p + " reports the wrong commit time; TXID " + want
                    + " was committed at " + Instant.ofEpochMilli(times.get((int) want)));
        }
        long digest = read(p);
        if (digest != states.get((int) want).digest) {
            throw new InvariantViolation("time-travel", "time " + target + " at " + p + " reads a state that is not"
                    + " the model's at TXID " + want);
        }
        world.reached(removed.isEmpty() ? "travel-answered" : "travel-answered-after-compaction", "TXID " + want);
    }

    private void checkUnderFaults(Instant target, Instant now) {
        try {
            PointInTime p = reader.timeTravel().resolve(target, now);
            long digest = read(p);
            long t = p.txid();
            if (t < 1 || t > head() || removed.contains(t) || times.get((int) t) > target.toEpochMilli()
                    || digest != states.get((int) t).digest) {
                throw new InvariantViolation("time-travel", "under store faults, time " + target + " answered " + p
                        + ", which is not a retained state committed at or before it, or reads another state");
            }
            world.reached("travel-under-faults", "TXID " + t);
        } catch (IOException | RuntimeException e) {
            world.reached("travel-failed-under-faults", e.getClass().getSimpleName());
        }
    }

    /** Reads the whole state at {@code p}; its digest as the model computes it. */
    private long read(PointInTime p) throws IOException {
        try (ReadTransaction rt = reader.timeTravel().beginRead(p)) {
            long pages = rt.sizeBytes() / rt.pageSize();
            TreeMap<Long, byte[]> all = new TreeMap<>();
            for (long pg = 1; pg <= pages; pg++) {
                byte[] buf = new byte[rt.pageSize()];
                rt.read((pg - 1) * rt.pageSize(), buf, 0, buf.length);
                all.put(pg, buf);
            }
            world.stats().operations(pages);
            return PageState.empty(pageSize).apply(all, pages).digest;
        }
    }
}
