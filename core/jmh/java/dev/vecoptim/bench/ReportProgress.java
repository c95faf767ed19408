package dev.vecoptim.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Collection;
import java.util.Locale;
import java.util.stream.Collectors;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.results.BenchmarkResult;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.format.OutputFormat;
import org.openjdk.jmh.runner.format.OutputFormatFactory;
import org.openjdk.jmh.runner.options.VerboseMode;

/**
 * JMH's output for the report: its full text, and what the forked JVMs print, go to a log file; the console
 * gets one line per trial: which of how many, what it measures, its result, the time spent and left.
 */
final class ReportProgress implements OutputFormat {
    private final OutputFormat log;
    private final PrintStream console;
    private final int trials;
    private final long start = System.nanoTime();
    private int started;
    private String current = "";

    /**
     * @param log where JMH's own text goes
     * @param trials how many trials the report will run in all, for the count and the time left
     */
    ReportProgress(PrintStream log, PrintStream console, int trials) {
        this.log = OutputFormatFactory.createFormatInstance(log, VerboseMode.NORMAL);
        this.console = console;
        this.trials = trials;
    }

    @Override
    public void startBenchmark(BenchmarkParams params) {
        started++;
        String name = params.getBenchmark();
        current = name.substring(name.lastIndexOf('.', name.lastIndexOf('.') - 1) + 1).replace("Benchmark.", ".")
                + " " + params.getParamsKeys().stream().map(params::getParam).collect(Collectors.joining(" "));
        log.startBenchmark(params);
    }

    @Override
    public void endBenchmark(BenchmarkResult result) {
        log.endBenchmark(result);
        double seconds = (System.nanoTime() - start) / 1e9;
        String score = result == null ? "failed" : String.format(Locale.ROOT, "%.4g steps/s",
                result.getPrimaryResult().getScore());
        console.printf(Locale.ROOT, "[%3d/%d] %-62s %16s   %s elapsed, about %s left%n", started, trials, current, score,
                minutes(seconds), minutes(seconds / started * Math.max(0, trials - started)));
    }

    private static String minutes(double seconds) {
        Duration duration = Duration.ofSeconds(Math.round(seconds));
        return String.format(Locale.ROOT, "%d:%02d", duration.toMinutes(), duration.toSecondsPart());
    }

    @Override
    public void iteration(BenchmarkParams benchParams, IterationParams params, int iteration) {
        log.iteration(benchParams, params, iteration);
    }

    @Override
    public void iterationResult(BenchmarkParams benchParams, IterationParams params, int iteration,
                                IterationResult data) {
        log.iterationResult(benchParams, params, iteration, data);
    }

    @Override
    public void startRun() {
        log.startRun();
    }

    @Override
    public void endRun(Collection<RunResult> result) {
        log.endRun(result);
    }

    @Override
    public void print(String s) {
        log.print(s);
    }

    @Override
    public void println(String s) {
        log.println(s);
    }

    @Override
    public void flush() {
        log.flush();
        console.flush();
    }

    /** Only flushes: the report runs JMH more than once through the same progress, and closes the log itself. */
    @Override
    public void close() {
        log.flush();
    }

    @Override
    public void verbosePrintln(String s) {
        log.verbosePrintln(s);
    }

    @Override
    public void write(int b) {
        log.write(b);
    }

    @Override
    public void write(byte[] b) throws IOException {
        log.write(b);
    }
}
