package dev.vecoptim.bench;

import dev.vecoptim.bench.Measurements.Measurement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The report's table of {@link Layout}s: for each optimizer, layout and size, the steps per second of
 * {@link LayoutBenchmark}, and its ratios to the float32 layout and to the roofline of the layout's own bytes, all
 * measured in the same run; then the 16-bit targets, met or missed.
 */
final class LayoutTable {
    /**
     * How much faster than float32 a layout should step Adam beyond the caches, by the bytes it saves: everything in
     * bfloat16 moves 14 bytes an element instead of 28, bfloat16 state 20, a split master as many as float32.
     */
    private static final Map<Layout, Double> ADAM_TARGETS = Map.of(Layout.BFLOAT16_FUSED, 1.8,
            Layout.BFLOAT16_STATE, 1.3, Layout.BFLOAT16_SPLIT, 1.0);
    /** Of its own roofline, every layout beyond the caches. */
    private static final double ROOFLINE_TARGET = 0.9;

    private LayoutTable() {
    }

    static String render(ReportOptions options, Measurements m) {
        StringBuilder out = new StringBuilder(String.format(Locale.ROOT, "%n16-bit layouts: one parameter through the"
                + " direct step at the preferred width; x float32 is over the float32 layout, roofline over the"
                + " bytes of the layout's own buffers%n"));
        for (Workload workload : options.optimizers()) {
            out.append(String.format(Locale.ROOT, "%n%s%n%-16s %5s %12s %10s %9s %6s%n", workload.id(), "layout",
                    "size", "steps/s", "x float32", "roofline", "B/op"));
            for (int elements : options.sizes()) {
                for (Layout layout : options.layouts()) {
                    out.append(row(options, m, workload, layout, elements));
                }
            }
        }
        return out.toString();
    }

    /** One layout's line: its steps per second, and its ratios to float32 and to its roofline; nothing unmeasured. */
    private static String row(ReportOptions options, Measurements m, Workload workload, Layout layout, int elements) {
        return step(m, workload, layout, elements).map(measured -> {
            Optional<Double> float32 = Measurements.ratio(Optional.of(measured),
                    step(m, workload, Layout.FLOAT32, elements));
            Optional<Double> roofline = Measurements.ratio(Optional.of(measured),
                    roofline(m, options.optimizers(), workload, layout, elements));
            return String.format(Locale.ROOT, "%-16s %5s %12.1f %10s %9s %6s%s%n", layout.id(),
                    ReportOptions.label(elements), measured.opsPerSecond(),
                    float32.map(r -> String.format(Locale.ROOT, "%.2fx", r)).orElse("-"),
                    roofline.map(r -> String.format(Locale.ROOT, "%.0f%%", 100 * r)).orElse("-"),
                    ReportTable.bytesPerOp(measured), ReportTable.note(measured, m));
        }).orElse("");
    }

    /** The 16-bit targets this run measured: Adam's speed-ups over float32, every layout's share of its roofline. */
    static List<String> targets(ReportOptions options, Measurements m) {
        List<String> lines = new ArrayList<>();
        for (Workload workload : options.optimizers()) {
            for (int elements : options.sizes()) {
                if (elements < ReportTable.BEYOND_CACHES) {
                    continue;
                }
                for (Layout layout : options.layouts()) {
                    String at = workload.id() + " " + layout.id() + " " + ReportOptions.label(elements);
                    Optional<Measurement> measured = step(m, workload, layout, elements);
                    Double speedUp = workload.id().equals("adam") ? ADAM_TARGETS.get(layout) : null;
                    if (speedUp != null) {
                        ReportTable.target(lines, at, "float32 Adam, beyond the caches", speedUp, measured,
                                step(m, workload, Layout.FLOAT32, elements), m);
                    }
                    ReportTable.target(lines, at, "of its layout's roofline, beyond the caches", ROOFLINE_TARGET,
                            measured, roofline(m, options.optimizers(), workload, layout, elements), m);
                }
            }
        }
        return lines;
    }

    static Optional<Measurement> step(Measurements m, Workload workload, Layout layout, int elements) {
        return m.find(LayoutBenchmark.class, Map.of("optimizer", workload.id(), "layout", layout.id(), "elements",
                String.valueOf(elements)), "step");
    }

    /**
     * The roofline of the layout's bytes: measured once per number of buffers a step writes, for the first of
     * {@code workloads} that writes as many ({@link #rooflineWorkloads}).
     */
    static Optional<Measurement> roofline(Measurements m, List<Workload> workloads, Workload workload, Layout layout,
                                          int elements) {
        Workload alike = workloads.stream().filter(w -> w.writtenBuffers() == workload.writtenBuffers()).findFirst()
                .orElse(workload);
        return m.find(LayoutBenchmark.class, Map.of("optimizer", alike.id(), "layout", layout.id(), "elements",
                String.valueOf(elements)), "roofline");
    }

    /** The workloads whose layouts' rooflines the report measures: the first of each number of written buffers. */
    static List<Workload> rooflineWorkloads(List<Workload> workloads) {
        return workloads.stream().filter(w -> workloads.stream()
                .filter(other -> other.writtenBuffers() == w.writtenBuffers()).findFirst().orElseThrow() == w).toList();
    }
}
