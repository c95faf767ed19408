package dev.vecoptim.bench;

import dev.vecoptim.VectorWidth;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;

/** JMH's results, keyed by what was measured: which loop, optimizer, size, width and memory. */
final class Measurements {

    /** The loops the report compares. */
    enum Loop {
        VECOPTIM(VecoptimBenchmark.class),
        ROOFLINE(RooflineBenchmark.class),
        SCALAR_REFERENCE(ScalarReferenceBenchmark.class),
        PLAIN_ARRAY_LOOP(PlainArrayLoopBenchmark.class),
        STATIC_FINAL_SPECIES(StaticFinalSpeciesBenchmark.class);

        final Class<?> benchmark;

        Loop(Class<?> benchmark) {
            this.benchmark = benchmark;
        }
    }

    /** {@code width} is in bits (0 where the loop has none); {@code memory} is "native" or "heap". */
    record Key(Loop loop, Workload workload, int elements, int width, String memory) {
    }

    /**
     * @param opsPerSecond steps per second
     * @param error JMH's 99.9% confidence half-interval of opsPerSecond
     * @param bytesPerOp bytes allocated per step (JMH's gc profiler), NaN when not profiled
     */
    record Measurement(double opsPerSecond, double error, double bytesPerOp) {
        double gigaElementsPerSecond(int elements) {
            return opsPerSecond * elements / 1e9;
        }
    }

    private final Map<Key, Measurement> byKey = new LinkedHashMap<>();

    void addAll(Collection<RunResult> results) {
        for (RunResult result : results) {
            String benchmark = result.getParams().getBenchmark();
            Loop loop = null;
            for (Loop candidate : Loop.values()) {
                if (benchmark.startsWith(candidate.benchmark.getName() + ".")) {
                    loop = candidate;
                }
            }
            if (loop == null) {
                continue;
            }
            Workload workload = Workload.of(result.getParams().getParam("optimizer"));
            int elements = Integer.parseInt(result.getParams().getParam("elements"));
            String width = result.getParams().getParam("width");
            String memory = result.getParams().getParam("memory");
            Key key = new Key(loop, workload, elements, width == null ? 0 : VectorWidth.parse(width).resolveBits(),
                    memory == null ? "native" : memory);
            double allocated = Double.NaN;
            for (String label : result.getSecondaryResults().keySet()) {
                if (label.endsWith("gc.alloc.rate.norm")) {
                    allocated = result.getSecondaryResults().get(label).getScore();
                }
            }
            Result<?> primary = result.getPrimaryResult();
            byKey.put(key, new Measurement(primary.getScore(), primary.getScoreError(), allocated));
        }
    }

    Optional<Measurement> get(Loop loop, Workload workload, int elements, int width, String memory) {
        return Optional.ofNullable(byKey.get(new Key(loop, workload, elements, width, memory)));
    }

    /** Steps per second of a loop that has no width and runs on native memory. */
    Optional<Measurement> baseline(Loop loop, Workload workload, int elements) {
        return get(loop, workload, elements, 0, "native");
    }

    /** {@code a / b} in steps per second, when both were measured. */
    static Optional<Double> ratio(Optional<Measurement> a, Optional<Measurement> b) {
        return uncertainRatio(a, b).map(Ratio::value);
    }

    /**
     * A ratio of two measurements and its uncertainty, from JMH's 99.9% confidence half-intervals of both
     * (relative errors added in quadrature).
     */
    record Ratio(double value, double error) {
    }

    static Optional<Ratio> uncertainRatio(Optional<Measurement> a, Optional<Measurement> b) {
        return a.flatMap(x -> b.map(y -> {
            double value = x.opsPerSecond() / y.opsPerSecond();
            double relative = Math.hypot(x.error() / x.opsPerSecond(), y.error() / y.opsPerSecond());
            return new Ratio(value, Double.isFinite(relative) ? value * relative : Double.POSITIVE_INFINITY);
        }));
    }
}
