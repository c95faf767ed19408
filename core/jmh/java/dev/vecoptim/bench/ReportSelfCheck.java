package dev.vecoptim.bench;

import dev.vecoptim.bench.Measurements.Measurement;
import java.util.List;
import java.util.Map;

/**
 * Checks, on synthetic JMH results, how the report judges rows: which are INVALID (not measurements of compiled
 * code, or too noisy to say anything) and that their targets are not judged, and how it reads PyTorch's answers.
 * Run by the unit tests in a JVM of its own, as {@link BenchmarkSelfCheck} is; prints how many cases it checked
 * and exits with 1 on the first wrong one.
 */
public final class ReportSelfCheck {
    private static final double ITERATION_SECONDS = 0.25;
    private static int checked;

    private ReportSelfCheck() {
    }

    public static void main(String[] args) {
        try {
            checkValidity();
            checkVerdicts();
            checkLayoutVerdicts();
            checkPyTorchAnswers();
        } catch (AssertionError e) {
            System.err.println("report check wrong: " + e.getMessage());
            System.exit(1);
        }
        System.out.println("checked " + checked + " report cases");
    }

    /** Rows seen on this machine: compiled ones, and those of issue "A benchmark report you can trust". */
    private static void checkValidity() {
        valid("Adam 16M compiled, JMH's own bytes", new Measurement(93.4, 3.6, 275.9, ITERATION_SECONDS));
        valid("Adam 4K compiled", new Measurement(1.2e6, 2e4, 0.02, ITERATION_SECONDS));
        valid("a whole model on 2 threads at 1M floats", new Measurement(3437, 207, 233.4, ITERATION_SECONDS));
        valid("a whole model on 1 thread, its report", new Measurement(44.3, 0.9, 395.4, ITERATION_SECONDS));
        valid("one iteration: no error bar", new Measurement(90, Double.NaN, 0, ITERATION_SECONDS));
        invalid("Adam 16M in the interpreter", new Measurement(52, 4, 41_291_406, ITERATION_SECONDS), "allocates 39.4 MB per step");
        invalid("Adam 64K in C1", new Measurement(1200, 80, 2_949_929, ITERATION_SECONDS), "not C2-compiled code");
        invalid("RMSProp 16M boxing", new Measurement(60, 5, 20_186_935, ITERATION_SECONDS), "allocates");
        invalid("4K at a million steps/s allocating 2 KB", new Measurement(1e6, 1e4, 2048, ITERATION_SECONDS), "allowed 1.0 KB");
        invalid("an error bar wider than the value", new Measurement(100, 150, 0, ITERATION_SECONDS), "too noisy");
    }

    /** A target whose row is INVALID is not judged; the summary counts and names the invalid rows. */
    private static void checkVerdicts() {
        Measurements m = new Measurements();
        m.add("VecoptimBenchmark.step", Map.of("optimizer", "adam", "elements", "16777216", "width", "256",
                "memory", "native"), new Measurement(50, 2, 41_291_406, ITERATION_SECONDS));
        m.add("RooflineBenchmark.touch", Map.of("optimizer", "adam", "elements", "16777216", "width", "256"),
                new Measurement(100, 2, 100, ITERATION_SECONDS));
        m.add("VecoptimBenchmark.step", Map.of("optimizer", "adam", "elements", "4096", "width", "256",
                "memory", "native"), new Measurement(1.1e6, 1e4, 0, ITERATION_SECONDS));
        m.add("StaticFinalSpeciesBenchmark.step", Map.of("optimizer", "adam", "elements", "4096"),
                new Measurement(1e6, 1e4, 0, ITERATION_SECONDS));
        ReportOptions options = ReportOptions.parse("--optimizers", "adam", "--sizes", "4K,16M", "--widths", "256");
        List<String> targets = ReportTable.targets(options, List.of(256), m);
        expect(targets.contains("[not judged] adam 16M at 256 bits: of its roofline, beyond the caches"
                + " (target >= 0.95x): a row is INVALID"), "the invalid row's target not judged: " + targets);
        expect(targets.stream().anyMatch(t -> t.startsWith("[met] adam 4K at 256 bits: 1.10x")),
                "the valid row's target judged: " + targets);
        String table = ReportTable.render(options, List.of(256), m);
        expect(table.contains("INVALID: allocates 39.4 MB per step"), "the table marks the row: " + table);
        String summary = Report.summary(m, options, System.nanoTime());
        expect(summary.contains("1 of 4 rows are INVALID and were not judged")
                && summary.contains("VecoptimBenchmark.step elements=16777216 memory=native optimizer=adam width=256")
                && summary.contains("--warmup"), "the summary: " + summary);

        Measurements clean = new Measurements();
        clean.add("RooflineBenchmark.touch", Map.of("optimizer", "adam", "elements", "4096", "width", "256"),
                new Measurement(2e6, 1e4, 0, ITERATION_SECONDS));
        expect(Report.summary(clean, options, System.nanoTime()).contains("All 1 rows are measurements of compiled"),
                "a clean summary");
    }

    /**
     * The layouts' targets: Adam's speed-up over its float32 layout, judged per layout against its own goal; the
     * share of the layout's roofline, measured for the first optimizer writing as many buffers; an INVALID row
     * not judged.
     */
    private static void checkLayoutVerdicts() {
        Measurements m = new Measurements();
        Map<String, Double> adam = Map.of("float32", 100.0, "bfloat16-fused", 150.0, "bfloat16-state", 140.0,
                "bfloat16-split", 80.0);
        adam.forEach((layout, steps) -> m.add("LayoutBenchmark.step", Map.of("optimizer", "adam", "layout", layout,
                "elements", "16777216"), new Measurement(steps, 1, 40, ITERATION_SECONDS)));
        m.add("LayoutBenchmark.roofline", Map.of("optimizer", "adam", "layout", "bfloat16-fused", "elements",
                "16777216"), new Measurement(200, 1, 0, ITERATION_SECONDS));
        m.add("LayoutBenchmark.step", Map.of("optimizer", "adamw", "layout", "bfloat16-fused", "elements",
                "16777216"), new Measurement(190, 1, 41_291_406, ITERATION_SECONDS));
        ReportOptions options = ReportOptions.parse("--optimizers", "adam,adamw", "--sizes", "16M", "--layouts",
                "float32,bfloat16-fused,bfloat16-state,bfloat16-split");
        List<String> targets = LayoutTable.targets(options, m);
        expect(targets.contains("[MISSED] adam bfloat16-fused 16M: 1.50x ± 0.02 float32 Adam, beyond the caches"
                + " (target >= 1.8x)"), "bfloat16 against its 1.8x: " + targets);
        expect(targets.contains("[met] adam bfloat16-state 16M: 1.40x ± 0.02 float32 Adam, beyond the caches"
                + " (target >= 1.3x)"), "bfloat16 state against its 1.3x: " + targets);
        expect(targets.stream().anyMatch(t -> t.startsWith("[MISSED] adam bfloat16-split 16M: 0.80x")),
                "the split master against its 1.0x: " + targets);
        expect(targets.stream().anyMatch(t -> t.startsWith("[MISSED] adam bfloat16-fused 16M: 0.75x")
                && t.contains("of its layout's roofline")), "the roofline's share: " + targets);
        expect(targets.stream().noneMatch(t -> t.contains("adamw bfloat16-fused 16M") && !t.startsWith(
                "[not judged]")) && targets.contains("[not judged] adamw bfloat16-fused 16M: of its layout's"
                + " roofline, beyond the caches (target >= 0.9x): a row is INVALID"),
                "adamw, whose row is INVALID, is not judged against adam's roofline: " + targets);
        String table = LayoutTable.render(options, m);
        expect(table.contains("bfloat16-fused     16M        150.0      1.50x       75%"), "the table: " + table);
    }

    private static void checkPyTorchAnswers() {
        PyTorchAlongside.Case adam = new PyTorchAlongside.Case("adam", 4096, 1, 1, false);
        PyTorchAlongside.Case radam = new PyTorchAlongside.Case("radam", 4096, 1, 1, true);
        PyTorchAlongside answers = PyTorchAlongside.parse("""
                {"torch": "1.13.0a0+git"}
                {"id": "%s", "steps_per_second": 12345.5}
                {"id": "%s", "error": "__init__() got an unexpected keyword argument \\"foreach\\""}
                """.formatted(adam.id(), radam.id()));
        expect(answers.version().equals("1.13.0a0+git"), "the version: " + answers.version());
        expect(answers.stepsPerSecond(adam).orElseThrow() == 12345.5, "adam's steps per second");
        expect(answers.stepsPerSecond(radam).isEmpty() && answers.errors().equals(List.of(radam.id()
                + ": __init__() got an unexpected keyword argument \\\"foreach\\\"")), "radam's error: "
                + answers.errors());
    }

    private static void valid(String what, Measurement measured) {
        expect(RowValidity.problem(measured).isEmpty(), what + " is valid, but "
                + RowValidity.problem(measured));
    }

    private static void invalid(String what, Measurement measured, String because) {
        String problem = RowValidity.problem(measured).orElse("valid");
        expect(problem.contains(because), what + " is INVALID because of '" + because + "', but: " + problem);
    }

    private static void expect(boolean condition, String what) {
        if (!condition) {
            throw new AssertionError(what);
        }
        checked++;
    }
}
