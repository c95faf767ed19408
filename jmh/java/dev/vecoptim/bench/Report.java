package dev.vecoptim.bench;

import dev.vecoptim.VectorWidth;
import dev.vecoptim.bench.Measurements.Loop;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.Collection;
import java.util.List;
import java.util.stream.Stream;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * The project's main job: a short JMH sweep of vecoptim against its roofline, the scalar reference, a
 * plain {@code float[]} loop and a hard-coded static final species, all in one run, printed as one table
 * per optimizer, with the raw JSON and a chart per optimizer written under {@code target/report}.
 */
public final class Report {
    private Report() {
    }

    public static void main(String[] args) throws IOException, RunnerException {
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
        List<String> widths = options.widths().stream().filter(w -> Integer.parseInt(w) <= preferred).toList();
        List<Integer> widthBits = widths.stream().map(Integer::parseInt).toList();
        String machine = cpu() + ", " + Runtime.getRuntime().availableProcessors() + " cores";
        String header = "vecoptim benchmark report, " + LocalDate.now() + "\n" + machine + ", JDK "
                + Runtime.version() + ", preferred vector width " + preferred + " bits"
                + (widths.size() < options.widths().size() ? " (wider widths skipped)" : "");
        System.out.println(header);
        Path out = options.out();
        Files.createDirectories(out);

        Path json = out.resolve("jmh-results.json");
        Measurements measurements = new Measurements();
        measurements.addAll(run(options, widths, json));

        String table = ReportTable.render(options, widthBits, measurements);
        List<String> targets = ReportTable.targets(options, widthBits, measurements);
        String report = header + "\n" + table + "\nTargets, as ratios measured in this run:\n"
                + String.join("\n", targets) + "\n";
        System.out.println();
        System.out.print(report);
        Files.writeString(out.resolve("report.txt"), report);
        System.out.println();
        for (Workload workload : options.optimizers()) {
            System.out.println("chart: " + ReportChart.write(out, workload, options.sizes(), widthBits, measurements,
                    machine));
        }
        System.out.println("raw JMH results: " + json);
    }

    /** One JMH run of every loop the report compares, with JMH's progress on stdout and its JSON in json. */
    private static Collection<RunResult> run(ReportOptions options, List<String> widths, Path json)
            throws RunnerException {
        ChainedOptionsBuilder jmh = new OptionsBuilder()
                .forks(1)
                .warmupIterations(options.warmupIterations())
                .warmupTime(TimeValue.milliseconds(options.warmupMillis()))
                .measurementIterations(options.measureIterations())
                .measurementTime(TimeValue.milliseconds(options.measureMillis()))
                .addProfiler(GCProfiler.class)
                .shouldFailOnError(true)
                .resultFormat(ResultFormatType.JSON)
                .result(json.toString())
                .param("optimizer", options.optimizers().stream().map(Workload::id).toArray(String[]::new))
                .param("elements", options.sizes().stream().map(String::valueOf).toArray(String[]::new))
                .param("width", widths.toArray(String[]::new))
                .param("memory", options.memory().toArray(String[]::new));
        for (Loop loop : Loop.values()) {
            jmh.include("^" + loop.benchmark.getName().replace(".", "\\.") + "\\.");
        }
        return new Runner(jmh.build()).run();
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
