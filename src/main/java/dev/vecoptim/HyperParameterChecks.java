package dev.vecoptim;

/**
 * The checks hyper-parameters share, with PyTorch's messages ({@code "Invalid learning rate: -1.0"}). Stricter
 * than PyTorch in one way: an infinite value is refused too, since PyTorch accepts {@code lr=inf} and then
 * turns every parameter into ±inf or NaN at the first step.
 */
final class HyperParameterChecks {
    private HyperParameterChecks() {
    }

    /** A learning rate: finite and ≥ 0. */
    static double lr(double lr) {
        finiteNonNegative("learning rate", lr);
        return lr;
    }

    /**
     * A value that must be finite and ≥ 0, named as PyTorch's message names it ({@code "weight_decay value"}).
     *
     * @throws IllegalArgumentException {@code "Invalid <what>: <value>"}
     */
    static void finiteNonNegative(String what, double value) {
        if (!(value >= 0) || value == Double.POSITIVE_INFINITY) {
            throw invalid(what, value);
        }
    }

    /** A value that must be finite, of any sign. */
    static void finite(String what, double value) {
        if (!Double.isFinite(value)) {
            throw invalid(what, value);
        }
    }

    /** Adam's and its relatives' {@code betas}: each in [0, 1), checked in order. */
    static void betas(double beta1, double beta2) {
        if (!(beta1 >= 0 && beta1 < 1)) {
            throw invalid("beta parameter at index 0", beta1);
        }
        if (!(beta2 >= 0 && beta2 < 1)) {
            throw invalid("beta parameter at index 1", beta2);
        }
    }

    static IllegalArgumentException invalid(String what, double value) {
        return new IllegalArgumentException("Invalid " + what + ": " + PythonFloat.repr(value));
    }
}
