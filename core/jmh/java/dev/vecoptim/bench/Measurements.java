package dev.vecoptim.bench;

import dev.vecoptim.VectorWidth;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * JMH's results, keyed by what was measured: which loop, optimizer, size, width and memory for the loops over
 * one buffer, any benchmark and its parameters for the others; and which of them are not measurements of
 * compiled code ({@link RowValidity}).
 */
final class Measurements {

    /** The loops the report compares. */
    enum Loop {
        VECOPTIM(VecoptimBenchmark.class, false),
        ROOFLINE(RooflineBenchmark.class, false),
        SCALAR_REFERENCE(ScalarReferenceBenchmark.class, false),
        PLAIN_ARRAY_LOOP(PlainArrayLoopBenchmark.class, true),
        STATIC_FINAL_SPECIES(StaticFinalSpeciesBenchmark.class, true);

        final Class<?> benchmark;
        /** A baseline written by hand for some workloads ({@link Workload#hasBaselines()}), not for every one. */
        final boolean handWritten;

        Loop(Class<?> benchmark, boolean handWritten) {
            this.benchmark = benchmark;
            this.handWritten = handWritten;
        }
    }

    /** {@code width} is in bits (0 where the loop has none); {@code memory} is "native" or "heap". */
    record Key(Loop loop, Workload workload, int elements, int width, String memory) {
    }

    /**
     * @param opsPerSecond steps per second
     * @param error JMH's 99.9% confidence half-interval of opsPerSecond
     * @param bytesPerOp bytes allocated per step (JMH's gc profiler), NaN when not profiled
     * @param iterationSeconds how long each measured iteration ran
     */
    record Measurement(double opsPerSecond, double error, double bytesPerOp, double iterationSeconds) {
        double gigaElementsPerSecond(int elements) {
            return opsPerSecond * elements / 1e9;
        }
    }

    /** One result: the benchmark's simple name and method, its parameters by name, what it measured. */
    record Entry(String benchmark, Map<String, String> params, Measurement measured) {
        String label() {
            return benchmark + " " + params.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                    .collect(java.util.stream.Collectors.joining(" "));
        }
    }

    private final Map<Key, Measurement> byKey = new LinkedHashMap<>();
    private final List<Entry> entries = new ArrayList<>();

    void addAll(Collection<RunResult> results) {
        for (RunResult result : results) {
            String benchmark = result.getParams().getBenchmark();
            Map<String, String> params = new TreeMap<>();
            for (String name : result.getParams().getParamsKeys()) {
                params.put(name, result.getParams().getParam(name));
            }
            add(benchmark.substring(benchmark.lastIndexOf('.', benchmark.lastIndexOf('.') - 1) + 1), params,
                    measurement(result));
        }
    }

    private static Measurement measurement(RunResult result) {
        double allocated = Double.NaN;
        for (String label : result.getSecondaryResults().keySet()) {
            if (label.endsWith("gc.alloc.rate.norm")) {
                allocated = result.getSecondaryResults().get(label).getScore();
            }
        }
        Result<?> primary = result.getPrimaryResult();
        TimeValue iteration = result.getParams().getMeasurement().getTime();
        return new Measurement(primary.getScore(), primary.getScoreError(), allocated,
                iteration.convertTo(TimeUnit.NANOSECONDS) / 1e9);
    }

    /**
     * Adds what {@code benchmark} (its simple class name, a dot, its method) measured with these parameters;
     * the loops over one buffer are also keyed by {@link Key}.
     */
    void add(String benchmark, Map<String, String> params, Measurement measured) {
        entries.add(new Entry(benchmark, java.util.Collections.unmodifiableMap(new TreeMap<>(params)), measured));
        Loop loop = null;
        for (Loop candidate : Loop.values()) {
            if (benchmark.startsWith(candidate.benchmark.getSimpleName() + ".")) {
                loop = candidate;
            }
        }
        // "preferred" is the whole-model run's reference kernel; the sweep names its widths in bits.
        if (loop != null && !"preferred".equals(params.get("width"))) {
            String width = params.get("width");
            String memory = params.get("memory");
            byKey.put(new Key(loop, Workload.of(params.get("optimizer")), Integer.parseInt(params.get("elements")),
                    width == null ? 0 : VectorWidth.parse(width).resolveBits(), memory == null ? "native" : memory),
                    measured);
        }
    }

    /** What {@code benchmark} (simple class name) measured with exactly these parameters among its own. */
    Optional<Measurement> find(Class<?> benchmark, Map<String, String> params) {
        return find(benchmark.getSimpleName() + ".", params);
    }

    /** What the method {@code method} of {@code benchmark} measured with exactly these parameters among its own. */
    Optional<Measurement> find(Class<?> benchmark, Map<String, String> params, String method) {
        return find(benchmark.getSimpleName() + "." + method, params);
    }

    private Optional<Measurement> find(String prefix, Map<String, String> params) {
        return entries.stream().filter(e -> e.benchmark().startsWith(prefix)
                        && e.params().entrySet().containsAll(params.entrySet()))
                .map(Entry::measured).reduce((first, second) -> second);
    }

    /** Why a measurement is not one of compiled code, or empty. */
    Optional<String> problem(Measurement measured) {
        return RowValidity.problem(measured);
    }

    /** Every result that {@link RowValidity} refuses, with its reason. */
    List<String> invalid() {
        List<String> invalid = new ArrayList<>();
        for (Entry entry : entries) {
            problem(entry.measured()).ifPresent(reason -> invalid.add(entry.label() + ": " + reason));
        }
        return invalid;
    }

    int size() {
        return entries.size();
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
