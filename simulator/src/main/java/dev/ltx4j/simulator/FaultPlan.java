package dev.ltx4j.simulator;

import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;

/**
 * How often each fault fires, plus the time scales of the store. Immutable. A probability applies per
 * opportunity (per request for store faults, per fsync or write for disk faults, per compactor step for
 * {@link FaultKind#CLOCK_STEP}); for {@link FaultKind#CRASH}
 * it is the weight of crash actions among a workload's actions, and for {@link FaultKind#LISTING_LAG} the
 * chance that a new object (or a deletion) gets a lag window of up to {@link #listingLagMax()}.
 *
 * <p>Spec strings ({@link #parse}): {@code none}, {@code all} (the defaults), {@code store}, {@code disk},
 * {@code clock}, or a
 * comma list of {@code kind} or {@code kind=probability} items ({@code lost-response=0.2,crash}) applied on top
 * of {@code none}.
 */
public final class FaultPlan {
    private final EnumMap<FaultKind, Double> probabilities;
    private final Duration baseLatency;
    private final Duration spikeLatency;
    private final Duration listingLagMax;

    private FaultPlan(EnumMap<FaultKind, Double> probabilities, Duration baseLatency, Duration spikeLatency,
            Duration listingLagMax) {
        this.probabilities = probabilities;
        this.baseLatency = baseLatency;
        this.spikeLatency = spikeLatency;
        this.listingLagMax = listingLagMax;
    }

    /** Every fault off; requests still take {@code baseLatency} (5 ms) of simulated time. */
    public static FaultPlan none() {
        return new FaultPlan(new EnumMap<>(FaultKind.class), Duration.ofMillis(5), Duration.ofMillis(800),
                Duration.ofMillis(300));
    }

    /** The default probability of {@code kind} when enabled without a value. */
    public static double defaultProbability(FaultKind kind) {
        return switch (kind) {
            case LATENCY_SPIKE -> 0.05;
            case TRANSIENT_ERROR -> 0.05;
            case THROTTLE -> 0.03;
            case LOST_RESPONSE -> 0.05;
            case UNKNOWN_NOT_LANDED -> 0.03;
            case CREATE_RACE -> 0.05;
            case SHORT_READ -> 0.05;
            case FAILED_READ -> 0.05;
            case LISTING_LAG -> 0.2;
            case CORRUPT_AT_REST -> 0.02;
            case CRASH -> 0.08;
            case LOST_UNSYNCED_WRITE, TORN_WRITE -> 1.0; // consequences of a crash, not separately drawn
            case FSYNC_FAILURE, DIRECTORY_SYNC_FAILURE -> 0.01;
            case WRITE_FAILURE -> 0.005;
            case DISK_FULL -> 0.01;
            case BIT_ROT -> 0.2; // per crash of a log-writer run that holds forced, vouched-for records
            case CLOCK_STEP -> 0.005; // per step of a compactor process: a few steps per clock and run
        };
    }

    /** Every fault at its default probability. */
    public static FaultPlan all() {
        FaultPlan p = none();
        for (FaultKind k : FaultKind.values()) {
            p = p.with(k, defaultProbability(k));
        }
        return p;
    }

    /** Parses a spec; see the class comment. */
    public static FaultPlan parse(String spec) {
        String s = Objects.requireNonNull(spec, "spec").trim();
        switch (s) {
            case "", "none": return none();
            case "all": return all();
            case "store": return component(FaultKind.Component.STORE);
            case "disk": return component(FaultKind.Component.DISK);
            case "clock": return component(FaultKind.Component.CLOCK);
            default: break;
        }
        FaultPlan p = none();
        for (String item : s.split(",")) {
            String[] kv = item.split("=", 2);
            FaultKind kind = FaultKind.parse(kv[0]);
            double prob;
            if (kv.length == 1) {
                prob = defaultProbability(kind);
            } else {
                try {
                    prob = Double.parseDouble(kv[1].trim());
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("fault probability of " + kind.cliName() + " is not a number: \""
                            + kv[1] + "\"", e);
                }
            }
            p = p.with(kind, prob);
        }
        return p;
    }

    private static FaultPlan component(FaultKind.Component c) {
        FaultPlan p = none();
        for (FaultKind k : FaultKind.values()) {
            if (k.component() == c) {
                p = p.with(k, defaultProbability(k));
            }
        }
        return p;
    }

    /** This plan with {@code kind} at {@code probability} (0 turns it off). */
    public FaultPlan with(FaultKind kind, double probability) {
        if (!(probability >= 0 && probability <= 1)) {
            throw new IllegalArgumentException("probability of " + kind.cliName() + " must be in [0, 1]: " + probability);
        }
        EnumMap<FaultKind, Double> copy = new EnumMap<>(probabilities);
        if (probability == 0) {
            copy.remove(kind);
        } else {
            copy.put(kind, probability);
        }
        return new FaultPlan(copy, baseLatency, spikeLatency, listingLagMax);
    }

    /** This plan with other store time scales. */
    public FaultPlan withLatency(Duration base, Duration spike, Duration listingLagMax) {
        return new FaultPlan(probabilities, base, spike, listingLagMax);
    }

    public double probability(FaultKind kind) {
        return probabilities.getOrDefault(kind, 0.0);
    }

    public boolean enabled(FaultKind kind) {
        return probability(kind) > 0;
    }

    /** Simulated time every store request takes (plus up to the same again as jitter). */
    public Duration baseLatency() {
        return baseLatency;
    }

    /** Extra time of a {@link FaultKind#LATENCY_SPIKE}. */
    public Duration spikeLatency() {
        return spikeLatency;
    }

    /** Longest listing lag window. */
    public Duration listingLagMax() {
        return listingLagMax;
    }

    /** The enabled faults and their probabilities, in declaration order. */
    public Map<FaultKind, Double> probabilities() {
        return new EnumMap<>(probabilities);
    }

    /** A spec that {@link #parse} turns back into this plan's probabilities. */
    public String toSpec() {
        if (probabilities.isEmpty()) {
            return "none";
        }
        StringBuilder b = new StringBuilder();
        probabilities.forEach((k, v) -> b.append(b.length() == 0 ? "" : ",").append(k.cliName()).append('=').append(v));
        return b.toString();
    }

    @Override
    public String toString() {
        return toSpec();
    }
}
