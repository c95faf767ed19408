package dev.vecoptim.bench;

import dev.vecoptim.bench.Measurements.Measurement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The report's whole-model rows: Adam over the same floats cut into more and more parameters, stepped by
 * {@code Optimizer.step()} on one thread and on every core, in the caller's memory and in flat storage, beside
 * the kernel on one buffer and the roofline on as many threads; and the targets of issue "Whole models at the
 * speed of memory".
 */
final class WholeModelTable {
    static final String OPTIMIZER = "adam";
    static final List<Integer> CUTS = List.of(1, 4096, 65536);
    static final List<String> STORAGE = List.of("user", "user-grouped", "flat");
    /** Beyond the caches: where the step is bound by memory, as the roofline is. */
    static final int TOTAL_FLOATS = 16 << 20;
    /** In the caches of two cores: where a step on every core must scale with them. */
    static final int SCALING_FLOATS = 1 << 20;

    private WholeModelTable() {
    }

    static String render(List<Integer> threads, Measurements m) {
        StringBuilder out = new StringBuilder(String.format(Locale.ROOT,
                "%nWhole models: %s over %s floats through Optimizer.step(), x the kernel on one buffer (1 thread)"
                        + " and x the roofline on as many threads%n", OPTIMIZER, ReportOptions.label(TOTAL_FLOATS)));
        out.append(String.format(Locale.ROOT, "%-20s %-7s %7s %9s %8s %9s %10s %6s%n", "cut into", "storage", "threads",
                "steps/s", "Gelem/s", "x kernel", "x roofline", "B/op"));
        kernel(TOTAL_FLOATS, m).ifPresent(k -> out.append(line("the kernel, 1 buffer", "-", 1, k, Optional.empty(),
                Optional.empty(), m)));
        for (int t : threads) {
            roofline(TOTAL_FLOATS, t, m).ifPresent(r -> out.append(line("the roofline", "-", t, r, Optional.empty(),
                    Optional.empty(), m)));
        }
        for (int cut : CUTS) {
            for (String storage : STORAGE) {
                for (int t : threads) {
                    Optional<Measurement> model = model(TOTAL_FLOATS, cut, t, storage, m);
                    model.ifPresent(measured -> out.append(line(cut(TOTAL_FLOATS, cut), storage, t, measured,
                            Measurements.ratio(model, kernel(TOTAL_FLOATS, m)),
                            Measurements.ratio(model, roofline(TOTAL_FLOATS, t, m)), m)));
                }
            }
        }
        return out.toString();
    }

    static List<String> targets(int cores, Measurements m) {
        List<String> lines = new ArrayList<>();
        Optional<Measurement> kernel = kernel(TOTAL_FLOATS, m);
        for (String user : List.of("user", "user-grouped")) {
            target(lines, 4096, 1, user, "the kernel on one buffer", 0.9, kernel, m);
            target(lines, 65536, 1, user, "the kernel on one buffer", 0.6, kernel, m);
        }
        for (int cut : CUTS) {
            target(lines, cut, 1, "flat", "the kernel on one buffer", 0.95, kernel, m);
        }
        if (cores > 1) {
            for (int cut : CUTS) {
                for (String storage : STORAGE) {
                    target(lines, cut, cores, storage, "the roofline on " + cores + " threads, beyond the caches", 0.9,
                            roofline(TOTAL_FLOATS, cores, m), m);
                }
            }
            ReportTable.target(lines, cut(SCALING_FLOATS, 1) + ", flat, " + cores + " threads",
                    "one thread, in the caches", 0.9 * cores, model(SCALING_FLOATS, 1, cores, "flat", m),
                    model(SCALING_FLOATS, 1, 1, "flat", m), m);
        }
        return lines;
    }

    private static void target(List<String> lines, int cut, int threads, String storage, String what, double goal,
                               Optional<Measurement> reference, Measurements m) {
        ReportTable.target(lines, cut(TOTAL_FLOATS, cut) + ", " + storage + ", " + threads
                        + (threads == 1 ? " thread" : " threads"), what, goal,
                model(TOTAL_FLOATS, cut, threads, storage, m), reference, m);
    }

    private static String cut(int totalFloats, int cut) {
        return cut + " x " + ReportOptions.label(totalFloats / cut);
    }

    private static String line(String cut, String storage, int threads, Measurement measured,
                               Optional<Double> kernel, Optional<Double> roofline, Measurements m) {
        return String.format(Locale.ROOT, "%-20s %-7s %7d %9.1f %8.2f %9s %10s %6s%s%n", cut, storage, threads,
                measured.opsPerSecond(), measured.gigaElementsPerSecond(TOTAL_FLOATS),
                kernel.map(r -> String.format(Locale.ROOT, "%.2fx", r)).orElse("-"),
                roofline.map(r -> String.format(Locale.ROOT, "%.2fx", r)).orElse("-"),
                ReportTable.bytesPerOp(measured), ReportTable.note(measured, m));
    }

    static Optional<Measurement> kernel(int totalFloats, Measurements m) {
        return m.find(VecoptimBenchmark.class, Map.of("optimizer", OPTIMIZER, "elements", String.valueOf(totalFloats),
                "width", "preferred", "memory", "native"));
    }

    static Optional<Measurement> roofline(int totalFloats, int threads, Measurements m) {
        return m.find(ParallelRooflineBenchmark.class, Map.of("optimizer", OPTIMIZER,
                "totalFloats", String.valueOf(totalFloats), "threads", String.valueOf(threads)));
    }

    static Optional<Measurement> model(int totalFloats, int cut, int threads, String storage, Measurements m) {
        return m.find(WholeModelBenchmark.class, Map.of("optimizer", OPTIMIZER,
                "totalFloats", String.valueOf(totalFloats), "parameters", String.valueOf(cut),
                "threads", String.valueOf(threads), "storage", storage));
    }
}
