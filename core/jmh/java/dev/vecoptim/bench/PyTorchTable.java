package dev.vecoptim.bench;

import dev.vecoptim.Semantics;
import dev.vecoptim.VectorWidth;
import dev.vecoptim.bench.Measurements.Loop;
import dev.vecoptim.bench.Measurements.Measurement;
import dev.vecoptim.bench.PyTorchAlongside.Case;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The report's PyTorch rows: which cases to ask {@link PyTorchAlongside} for, the same sizes and threads as the
 * vecoptim rows, and the table of both side by side.
 */
final class PyTorchTable {
    private PyTorchTable() {
    }

    /** One tensor of each size per optimizer (PyTorch has no 1.13-rounding variant), and the whole models. */
    static List<Case> cases(ReportOptions options, List<Integer> threads) {
        List<Case> cases = new ArrayList<>(sweepCases(options));
        cases.addAll(wholeModelCases(options, threads));
        return cases.stream().distinct().toList();
    }

    private static List<Case> sweepCases(ReportOptions options) {
        List<Case> cases = new ArrayList<>();
        for (Workload workload : options.optimizers()) {
            if (workload.algorithm(VectorWidth.SCALAR).semantics() == Semantics.PYTORCH_2) {
                for (int size : options.sizes()) {
                    cases.add(new Case(workload.id(), size, 1, 1, false));
                }
            }
        }
        return cases;
    }

    private static List<Case> wholeModelCases(ReportOptions options, List<Integer> threads) {
        List<Case> cases = new ArrayList<>();
        for (int cut : options.wholeModels() ? WholeModelTable.CUTS : List.<Integer>of()) {
            for (int t : threads) {
                for (boolean foreach : List.of(false, true)) {
                    cases.add(new Case(WholeModelTable.OPTIMIZER, WholeModelTable.TOTAL_FLOATS, cut, t, foreach));
                }
            }
        }
        return cases;
    }

    static String render(ReportOptions options, List<Integer> threads, int width, PyTorchAlongside torch,
                         Measurements m) {
        StringBuilder out = new StringBuilder(String.format(Locale.ROOT,
                "%nPyTorch %s alongside: optimizer.step() on the same sizes and threads (x PyTorch: vecoptim's steps"
                        + " per second over PyTorch's)%n", torch.version()));
        out.append(String.format(Locale.ROOT, "%-22s %5s %16s %18s %10s%n", "optimizer", "size", "PyTorch steps/s",
                "vecoptim " + width + " bits", "x PyTorch"));
        for (Case c : sweepCases(options)) {
            Optional<Measurement> ours = m.get(Loop.VECOPTIM, Workload.of(c.optimizer()), c.floats(), width, "native");
            out.append(row(String.format(Locale.ROOT, "%-22s %5s", c.optimizer(), ReportOptions.label(c.floats())),
                    torch.stepsPerSecond(c), ours, m));
        }
        if (options.wholeModels()) {
            out.append(String.format(Locale.ROOT, "%n%-13s %7s %-8s %16s %18s %10s%n", "whole model", "threads",
                    "foreach", "PyTorch steps/s", "vecoptim flat", "x PyTorch"));
            for (Case c : wholeModelCases(options, threads)) {
                out.append(row(String.format(Locale.ROOT, "%-13s %7d %-8s", c.parameters() + " x "
                                + ReportOptions.label(c.floats() / c.parameters()), c.threads(), c.foreach()),
                        torch.stepsPerSecond(c), WholeModelTable.model(c.floats(), c.parameters(), c.threads(), "flat",
                                m), m));
            }
        }
        for (String error : torch.errors()) {
            out.append("PyTorch could not run ").append(error).append('\n');
        }
        return out.toString();
    }

    private static String row(String what, Optional<Double> torch, Optional<Measurement> ours, Measurements m) {
        boolean valid = ours.isPresent() && m.problem(ours.get()).isEmpty();
        return String.format(Locale.ROOT, "%s %16s %18s %10s%n", what,
                torch.map(t -> String.format(Locale.ROOT, "%.4g", t)).orElse("-"),
                ours.map(o -> String.format(Locale.ROOT, "%.4g%s", o.opsPerSecond(), valid ? "" : " INVALID"))
                        .orElse("-"),
                torch.isPresent() && valid ? String.format(Locale.ROOT, "%.1fx",
                        ours.get().opsPerSecond() / torch.get()) : "-");
    }
}
