package dev.vecoptim.bench;

import java.util.Locale;
import java.util.Optional;

/**
 * Whether a measured row is a measurement of compiled code, or must be shown INVALID and kept out of the
 * target verdicts.
 *
 * <p>A step of compiled vecoptim code allocates nothing (a whole {@code Optimizer.step()}: its report, a few
 * hundred bytes when parallel). JMH's gc profiler counts every allocation of the JVM during an iteration,
 * its own included, so a row may show some bytes per step that are JMH's: at most {@link #JMH_BYTES_PER_ITERATION}
 * spread over the iteration's steps. More than that, plus {@link #STEP_BYTES} per step, means code that is
 * not compiled by C2 (the interpreter and C1 box every vector): an Adam step over 16M floats showed 41 MB per
 * step so. A row whose error bar is wider than its value says nothing either.
 */
final class RowValidity {
    /** What JMH itself may allocate in one iteration, generously: about 100–300 KB measured here. */
    static final double JMH_BYTES_PER_ITERATION = 1 << 20;
    /** What a compiled step may allocate: an optimizer step's report, and its parallel run's few objects. */
    static final double STEP_BYTES = 1024;

    private RowValidity() {
    }

    /** Why {@code measured} is not a measurement of compiled code, or empty if it is one. */
    static Optional<String> problem(Measurements.Measurement measured) {
        double stepsPerIteration = Math.max(1, measured.opsPerSecond() * measured.iterationSeconds());
        double allowed = STEP_BYTES + JMH_BYTES_PER_ITERATION / stepsPerIteration;
        if (measured.bytesPerOp() > allowed) {
            return Optional.of(String.format(Locale.ROOT, "allocates %s per step (allowed %s): not C2-compiled code",
                    bytes(measured.bytesPerOp()), bytes(allowed)));
        }
        if (measured.error() > measured.opsPerSecond()) {
            return Optional.of(String.format(Locale.ROOT, "error ± %.3g wider than the value %.3g steps/s: too noisy",
                    measured.error(), measured.opsPerSecond()));
        }
        return Optional.empty();
    }

    private static String bytes(double bytes) {
        return bytes >= 1 << 20 ? String.format(Locale.ROOT, "%.1f MB", bytes / (1 << 20))
                : bytes >= 1 << 10 ? String.format(Locale.ROOT, "%.1f KB", bytes / (1 << 10))
                : String.format(Locale.ROOT, "%.0f B", bytes);
    }
}
