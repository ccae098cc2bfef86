package dev.ltx4j.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.profile.InternalProfiler;
import org.openjdk.jmh.results.AggregationPolicy;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.ScalarResult;

/**
 * Reports operations per second of CPU time consumed by the benchmark's worker threads
 * ({@code -prof dev.ltx4j.bench.CpuTimeProfiler}). On a shared, loaded machine wall-clock throughput mostly
 * measures the scheduler; CPU time charged to the worker is far steadier, so ratios between benchmarks stay
 * meaningful. It still includes cache and frequency effects of neighbours, so it is a complement to the
 * primary score, not a replacement. Needs a forked VM ({@code -f 1} or more) to see only JMH's workers.
 */
public final class CpuTimeProfiler implements InternalProfiler {
    private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    private final Map<Long, Long> before = new HashMap<>();

    @Override
    public String getDescription() {
        return "operations per CPU-second of the benchmark worker threads";
    }

    @Override
    public void beforeIteration(BenchmarkParams benchmarkParams, IterationParams iterationParams) {
        before.clear();
        before.putAll(workerCpuTimes());
    }

    @Override
    public Collection<? extends Result> afterIteration(BenchmarkParams benchmarkParams,
            IterationParams iterationParams, IterationResult result) {
        long cpuNanos = 0;
        for (Map.Entry<Long, Long> e : workerCpuTimes().entrySet()) {
            cpuNanos += e.getValue() - before.getOrDefault(e.getKey(), 0L);
        }
        if (cpuNanos <= 0) {
            return List.of();
        }
        double opsPerCpuSecond = result.getMetadata().getAllOps() / (cpuNanos / 1e9);
        return List.of(new ScalarResult("cpu", opsPerCpuSecond, "ops/cpu-s", AggregationPolicy.AVG));
    }

    private Map<Long, Long> workerCpuTimes() {
        Map<Long, Long> times = new HashMap<>();
        for (ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
            if (info != null && info.getThreadName().contains("jmh-worker")) {
                long t = threads.getThreadCpuTime(info.getThreadId());
                if (t >= 0) {
                    times.put(info.getThreadId(), t);
                }
            }
        }
        return times;
    }
}
