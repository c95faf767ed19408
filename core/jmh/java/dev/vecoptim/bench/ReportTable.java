package dev.vecoptim.bench;

import dev.vecoptim.bench.Measurements.Loop;
import dev.vecoptim.bench.Measurements.Measurement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The report's tables: for each optimizer, each width × size with its throughput and its ratios to the
 * loops measured in the same run, then the project's targets, met or missed.
 */
final class ReportTable {
    /** At and above this many floats per buffer, every optimizer's buffers are far beyond a 32 MiB L3. */
    static final int BEYOND_CACHES = 16 << 20;
    /** At and below this many, the buffers sit in L1 or L2. */
    static final int IN_CACHE = 64 << 10;

    private ReportTable() {
    }

    static String render(ReportOptions options, List<Integer> widths, Measurements m) {
        StringBuilder out = new StringBuilder();
        for (Workload workload : options.optimizers()) {
            out.append(String.format(Locale.ROOT, "%n%s: %d bytes moved per element per step%n", workload.id(),
                    workload.bytesPerElement()));
            out.append(String.format(Locale.ROOT, "%-7s %-7s %5s %9s %8s %9s %9s %10s %13s %6s%n", "width",
                    "memory", "size", "Gelem/s", "GB/s", "roofline", "x scalar", "x float[]", "x static fin.",
                    "B/op"));
            for (int elements : options.sizes()) {
                for (int width : widths) {
                    for (String memory : options.memory()) {
                        out.append(row(workload, elements, width, memory, m, widths));
                    }
                }
                out.append(baselineRow("scalar", Loop.SCALAR_REFERENCE, workload, elements, m));
                out.append(baselineRow("float[]", Loop.PLAIN_ARRAY_LOOP, workload, elements, m));
            }
        }
        return out.toString();
    }

    private static String row(Workload workload, int elements, int width, String memory, Measurements m,
                              List<Integer> widths) {
        Optional<Measurement> vecoptim = m.get(Loop.VECOPTIM, workload, elements, width, memory);
        if (vecoptim.isEmpty()) {
            return "";
        }
        Optional<Measurement> staticFinal = width == widest(widths)
                ? m.baseline(Loop.STATIC_FINAL_SPECIES, workload, elements)
                : Optional.empty();
        return line(String.valueOf(width), memory, workload, elements, vecoptim.get(), m,
                Measurements.ratio(vecoptim, m.get(Loop.ROOFLINE, workload, elements, width, "native")),
                Measurements.ratio(vecoptim, m.baseline(Loop.SCALAR_REFERENCE, workload, elements)),
                Measurements.ratio(vecoptim, m.baseline(Loop.PLAIN_ARRAY_LOOP, workload, elements)),
                Measurements.ratio(vecoptim, staticFinal));
    }

    private static String baselineRow(String name, Loop loop, Workload workload, int elements, Measurements m) {
        return m.baseline(loop, workload, elements)
                .map(b -> line(name, loop == Loop.PLAIN_ARRAY_LOOP ? "heap" : "native", workload, elements, b, m,
                        Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty()))
                .orElse("");
    }

    private static String line(String width, String memory, Workload workload, int elements, Measurement measured,
                               Measurements m, Optional<Double> roofline, Optional<Double> scalar,
                               Optional<Double> plain, Optional<Double> staticFinal) {
        double gelems = measured.gigaElementsPerSecond(elements);
        return String.format(Locale.ROOT, "%-7s %-7s %5s %9.2f %8.1f %9s %9s %10s %13s %6s%s%n", width, memory,
                ReportOptions.label(elements), gelems, gelems * workload.bytesPerElement(),
                roofline.map(r -> String.format(Locale.ROOT, "%.0f%%", 100 * r)).orElse("-"),
                times(scalar), times(plain), times(staticFinal), bytesPerOp(measured), note(measured, m));
    }

    static String bytesPerOp(Measurement measured) {
        return Double.isNaN(measured.bytesPerOp()) ? "-" : String.format(Locale.ROOT, "%.0f", measured.bytesPerOp());
    }

    /** Nothing for a valid row; else {@code "  INVALID: "} and why. */
    static String note(Measurement measured, Measurements m) {
        return m.problem(measured).map(reason -> "  INVALID: " + reason).orElse("");
    }

    private static String times(Optional<Double> ratio) {
        return ratio.map(r -> String.format(Locale.ROOT, "%.2fx", r)).orElse("-");
    }

    static int widest(List<Integer> widths) {
        return widths.stream().mapToInt(Integer::intValue).max().orElse(0);
    }

    /** The project's targets, each with the ratio measured in this run; only what this run measured. */
    static List<String> targets(ReportOptions options, List<Integer> widths, Measurements m) {
        int width = widest(widths);
        List<String> lines = new ArrayList<>();
        for (Workload workload : options.optimizers()) {
            for (int elements : options.sizes()) {
                Optional<Measurement> vecoptim = m.get(Loop.VECOPTIM, workload, elements, width, "native");
                String at = workload.id() + " " + ReportOptions.label(elements) + " at " + width + " bits";
                if (elements >= BEYOND_CACHES) {
                    target(lines, at, "of its roofline, beyond the caches", 0.95, vecoptim,
                            m.get(Loop.ROOFLINE, workload, elements, width, "native"), m);
                }
                if (elements <= IN_CACHE) {
                    target(lines, at, "the scalar reference, in cache", workload.scalarTarget(), vecoptim,
                            m.baseline(Loop.SCALAR_REFERENCE, workload, elements), m);
                    target(lines, at, "the plain float[] loop, in cache", 1, vecoptim,
                            m.baseline(Loop.PLAIN_ARRAY_LOOP, workload, elements), m);
                }
                target(lines, at, "a static final species", 0.95, vecoptim,
                        m.baseline(Loop.STATIC_FINAL_SPECIES, workload, elements), m);
            }
        }
        return lines;
    }

    /**
     * The verdict on {@code measured / reference >= goal}: met; within the noise when the goal lies inside the
     * ratio's uncertainty; else missed. Not judged when either row is INVALID. A single measured iteration gives
     * JMH no error estimate, and the ratio stands alone. Nothing when either was not measured.
     */
    static void target(List<String> lines, String at, String what, double goal, Optional<Measurement> measured,
                       Optional<Measurement> reference, Measurements m) {
        if (measured.isPresent() && reference.isPresent()
                && (m.problem(measured.get()).isPresent() || m.problem(reference.get()).isPresent())) {
            lines.add(String.format(Locale.ROOT, "[not judged] %s: %s (target >= %sx): a row is INVALID", at, what,
                    goal));
            return;
        }
        Measurements.uncertainRatio(measured, reference).ifPresent(r -> {
            boolean known = Double.isFinite(r.error());
            String status = r.value() >= goal ? "met" : known && r.value() + r.error() >= goal ? "within noise" : "MISSED";
            String uncertainty = known ? String.format(Locale.ROOT, " ± %.2f", r.error()) : "";
            lines.add(String.format(Locale.ROOT, "[%s] %s: %.2fx%s %s (target >= %sx)", status, at, r.value(),
                    uncertainty, what, goal));
        });
    }
}
