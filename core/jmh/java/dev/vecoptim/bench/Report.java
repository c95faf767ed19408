package dev.vecoptim.bench;

import dev.vecoptim.VectorWidth;
import dev.vecoptim.bench.Measurements.Loop;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Stream;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * The project's main job: a JMH sweep of vecoptim against its roofline, the scalar reference, a plain
 * {@code float[]} loop and a hard-coded static final species, whole models through {@code Optimizer.step()}
 * against the kernel on one buffer and the roofline on as many threads, and each optimizer on every 16-bit
 * {@link Layout} against the roofline of its bytes, all in one run; PyTorch beside them
 * when it is installed. Prints a progress line per trial, then one table per optimizer, the whole models, the
 * targets (rows that are not measurements of compiled code are marked INVALID and not judged); JMH's log, its
 * JSON and a chart per optimizer go under {@code target/report}.
 */
public final class Report {
    /** Held: the logging framework keeps loggers only weakly, and would forget the level set here. */
    private static final Logger LIBRARY_LOG = Logger.getLogger("dev.vecoptim");

    private Report() {
    }

    public static void main(String[] args) throws IOException, RunnerException, InterruptedException {
        // The library says once per JVM which kernels it runs; here the header says it, and the forked JVMs' line
        // goes to the log, so none interleaves with the progress.
        LIBRARY_LOG.setLevel(Level.WARNING);
        ReportOptions options;
        try {
            options = ReportOptions.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.exit(2);
            return;
        }
        int preferred = VectorWidth.PREFERRED.resolveBits();
        if (preferred == 0) {
            System.err.println("No SIMD here: " + VectorWidth.PREFERRED.name() + " runs "
                    + dev.vecoptim.kernel.Vectorization.thisJvm().describe(0));
            System.exit(1);
        }
        long started = System.nanoTime();
        List<String> widths = options.widths().stream().filter(w -> Integer.parseInt(w) <= preferred).toList();
        List<Integer> widthBits = widths.stream().map(Integer::parseInt).toList();
        int cores = Runtime.getRuntime().availableProcessors();
        List<Integer> threads = cores > 1 ? List.of(1, cores) : List.of(1);
        String machine = cpu() + ", " + cores + " cores";
        String header = "vecoptim benchmark report, " + LocalDate.now() + "\n" + machine + ", JDK "
                + Runtime.version() + ", preferred vector width " + preferred + " bits"
                + (widths.size() < options.widths().size() ? " (wider widths skipped)" : "") + "\n" + load(cores);
        System.out.println(header);
        Path out = options.out();
        Files.createDirectories(out);
        Path log = out.resolve("jmh.log");

        List<Options> runs = new ArrayList<>();
        runs.add(sweep(options, widths, options.optimizers(), false, out.resolve("jmh-results.json")));
        List<Workload> withBaselines = options.optimizers().stream().filter(Workload::hasBaselines).toList();
        if (!withBaselines.isEmpty()) {
            runs.add(sweep(options, widths, withBaselines, true, out.resolve("jmh-baselines.json")));
        }
        if (options.wholeModels()) {
            runs.add(wholeModels(options, threads, WholeModelTable.TOTAL_FLOATS, WholeModelTable.CUTS,
                    WholeModelTable.STORAGE, true, out.resolve("jmh-whole-models.json")));
            runs.add(wholeModels(options, threads, WholeModelTable.SCALING_FLOATS, List.of(1), List.of("flat"), false,
                    out.resolve("jmh-scaling.json")));
        }
        if (!options.layouts().isEmpty()) {
            runs.add(layouts(options, options.optimizers(), "step", out.resolve("jmh-layouts.json")));
            runs.add(layouts(options, LayoutTable.rooflineWorkloads(options.optimizers()), "roofline",
                    out.resolve("jmh-layout-rooflines.json")));
        }
        int trials = sweepTrials(options, widths) + (options.wholeModels()
                ? 1 + threads.size() * (1 + WholeModelTable.CUTS.size() * WholeModelTable.STORAGE.size())
                + threads.size() : 0) + (options.optimizers().size()
                + LayoutTable.rooflineWorkloads(options.optimizers()).size()) * options.layouts().size()
                * options.sizes().size();
        System.out.println("Measuring " + trials + " trials; JMH's own output goes to " + log);
        Measurements measurements = new Measurements();
        PrintStream console = System.out;
        PrintStream errors = System.err;
        try (PrintStream jmhLog = new PrintStream(Files.newOutputStream(log), true, StandardCharsets.UTF_8)) {
            ReportProgress progress = new ReportProgress(jmhLog, console, trials);
            // JMH copies what the forked JVMs print (their start-up lines) to System.out and System.err.
            System.setOut(jmhLog);
            System.setErr(jmhLog);
            for (Options run : runs) {
                measurements.addAll(new Runner(run, progress).run());
            }
        } finally {
            System.setOut(console);
            System.setErr(errors);
        }

        Optional<String> torchVersion = PyTorchAlongside.version(options.python());
        Optional<PyTorchAlongside> torch = Optional.empty();
        if (torchVersion.isPresent()) {
            System.out.println("Timing PyTorch " + torchVersion.get() + " on the same cases ...");
            torch = Optional.of(PyTorchAlongside.run(options.python(), PyTorchTable.cases(options, threads),
                    options.measureIterations() * options.measureMillis() / 1000.0, out));
        }

        StringBuilder report = new StringBuilder(header).append('\n');
        report.append(ReportTable.render(options, widthBits, measurements));
        List<String> targets = new ArrayList<>(ReportTable.targets(options, widthBits, measurements));
        if (options.wholeModels()) {
            report.append(WholeModelTable.render(threads, measurements));
            targets.addAll(WholeModelTable.targets(cores, measurements));
        }
        if (!options.layouts().isEmpty()) {
            report.append(LayoutTable.render(options, measurements));
            targets.addAll(LayoutTable.targets(options, measurements));
        }
        int widest = ReportTable.widest(widthBits);
        report.append(torch.map(t -> PyTorchTable.render(options, threads, widest, t, measurements)).orElse(
                "\nPyTorch: " + (options.python().equals("none") ? "not asked for" : options.python()
                        + " has no torch") + "; to compare with it, apt-get install python3-torch (or pass"
                        + " --python PATH)\n"));
        report.append("\nTargets, as ratios measured in this run:\n").append(String.join("\n", targets)).append('\n');
        report.append(summary(measurements, options, started));
        System.out.println();
        System.out.print(report);
        Files.writeString(out.resolve("report.txt"), report);
        System.out.println();
        for (Workload workload : options.optimizers()) {
            System.out.println("chart: " + ReportChart.write(out, workload, options.sizes(), widthBits, measurements,
                    machine));
            if (!options.layouts().isEmpty()) {
                System.out.println("chart: " + ReportChart.writeLayouts(out, workload, options, measurements, machine));
            }
        }
        System.out.println("JMH's log and JSON: " + out);
    }

    /** The machine's load average, and a warning when it exceeds its cores: other work then skews every row. */
    static String load(int cores) {
        double load = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        if (load < 0) {
            return "load average unknown";
        }
        return String.format(Locale.ROOT, "load average %.2f at start", load) + (load > cores
                ? String.format(Locale.ROOT, "; WARNING: above the %d cores, other work will slow and scatter the"
                        + " measurements", cores) : "");
    }

    /** How many rows are INVALID, which, and what to do; and how long the report took. */
    static String summary(Measurements measurements, ReportOptions options, long startedNanos) {
        List<String> invalid = measurements.invalid();
        Duration took = Duration.ofNanos(System.nanoTime() - startedNanos);
        String duration = String.format(Locale.ROOT, "The report took %d min %02d s.%n", took.toMinutes(),
                took.toSecondsPart());
        if (invalid.isEmpty()) {
            return String.format(Locale.ROOT, "%nAll %d rows are measurements of compiled code. ", measurements.size())
                    + duration;
        }
        return String.format(Locale.ROOT, "%n%d of %d rows are INVALID and were not judged:%n  %s%n"
                        + "Run the report on a quieter machine, or warm up and measure longer (--warmup 2:1000"
                        + " --measure 5:1000; now %d:%d and %d:%d). ", invalid.size(), measurements.size(),
                String.join("\n  ", invalid), options.warmupIterations(), options.warmupMillis(),
                options.measureIterations(), options.measureMillis()) + duration;
    }

    /**
     * The trials of {@link #sweep}: per optimizer and size, vecoptim at every width and memory, the roofline at every
     * width, the scalar reference, and the two hand-written baselines where they were written.
     */
    private static int sweepTrials(ReportOptions options, List<String> widths) {
        int perSize = widths.size() * options.memory().size() + widths.size() + 1;
        return options.optimizers().stream().mapToInt(w -> perSize + (w.hasBaselines() ? 2 : 0)).sum()
                * options.sizes().size();
    }

    /**
     * The loops the tables compare, for {@code workloads} at every size, width and memory asked for: the
     * hand-written baselines if {@code handWritten}, else the others. Apart, as not every workload has baselines.
     */
    private static Options sweep(ReportOptions options, List<String> widths, List<Workload> workloads,
                                 boolean handWritten, Path json) {
        ChainedOptionsBuilder jmh = common(options, json)
                .param("optimizer", workloads.stream().map(Workload::id).toArray(String[]::new))
                .param("elements", options.sizes().stream().map(String::valueOf).toArray(String[]::new))
                .param("width", widths.toArray(String[]::new))
                .param("memory", options.memory().toArray(String[]::new));
        for (Loop loop : Loop.values()) {
            if (loop.handWritten == handWritten) {
                jmh.include(only(loop.benchmark));
            }
        }
        return jmh.build();
    }

    /**
     * Whole models of {@code totalFloats} floats cut as given, on each thread count, with the roofline on as many
     * threads and, if asked, the kernel on one buffer of as many floats. At least five iterations of half a second:
     * a step over 16M floats takes about 10 ms, and the parallel ones scatter more than a kernel's.
     */
    private static Options wholeModels(ReportOptions options, List<Integer> threads, int totalFloats,
                                       List<Integer> cuts, List<String> storage, boolean references, Path json) {
        ChainedOptionsBuilder jmh = common(options, json)
                .param("optimizer", WholeModelTable.OPTIMIZER)
                .param("totalFloats", String.valueOf(totalFloats))
                .param("parameters", cuts.stream().map(String::valueOf).toArray(String[]::new))
                .param("threads", threads.stream().map(String::valueOf).toArray(String[]::new))
                .param("storage", storage.toArray(String[]::new))
                .measurementIterations(Math.max(5, options.measureIterations()))
                .measurementTime(TimeValue.milliseconds(Math.max(500, options.measureMillis())))
                .include(only(WholeModelBenchmark.class));
        if (references) {
            jmh.param("elements", String.valueOf(totalFloats)).param("width", "preferred").param("memory", "native")
                    .include(only(VecoptimBenchmark.class)).include(only(ParallelRooflineBenchmark.class));
        }
        return jmh.build();
    }

    /**
     * {@link LayoutBenchmark}'s {@code method} for {@code workloads} on every layout and size asked for, at the
     * preferred width.
     */
    private static Options layouts(ReportOptions options, List<Workload> workloads, String method, Path json) {
        return common(options, json)
                .param("optimizer", workloads.stream().map(Workload::id).toArray(String[]::new))
                .param("layout", options.layouts().stream().map(Layout::id).toArray(String[]::new))
                .param("elements", options.sizes().stream().map(String::valueOf).toArray(String[]::new))
                .include(only(LayoutBenchmark.class) + method + "$")
                .build();
    }

    /**
     * What every run shares: one fork per trial with only the JVM options the benchmarks declare (not the
     * report's own again), the gc profiler for bytes per step, the times asked for.
     */
    private static ChainedOptionsBuilder common(ReportOptions options, Path json) {
        return new OptionsBuilder()
                .forks(1)
                .jvmArgs()
                .warmupIterations(options.warmupIterations())
                .warmupTime(TimeValue.milliseconds(options.warmupMillis()))
                .measurementIterations(options.measureIterations())
                .measurementTime(TimeValue.milliseconds(options.measureMillis()))
                .addProfiler(GCProfiler.class)
                .shouldFailOnError(true)
                .resultFormat(ResultFormatType.JSON)
                .result(json.toString());
    }

    private static String only(Class<?> benchmark) {
        return "^" + benchmark.getName().replace(".", "\\.") + "\\.";
    }

    private static String cpu() {
        try (Stream<String> lines = Files.lines(Path.of("/proc/cpuinfo"))) {
            return lines.filter(line -> line.startsWith("model name")).findFirst()
                    .map(line -> line.substring(line.indexOf(':') + 1).strip())
                    .orElse(System.getProperty("os.arch"));
        } catch (IOException | RuntimeException e) {
            return System.getProperty("os.arch");
        }
    }
}
