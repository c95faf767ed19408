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
        nonNegative("learning rate", lr);
        return lr;
    }

    /**
     * A value that must be finite and ≥ 0, named as PyTorch's message names it ({@code "weight_decay value"}).
     *
     * @throws IllegalArgumentException {@code "Invalid <what>: <value>"}
     */
    static void nonNegative(String what, double value) {
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
    static void betas(double... betas) {
        for (int i = 0; i < betas.length; i++) {
            if (!(betas[i] >= 0 && betas[i] < 1)) {
                throw invalid("beta parameter at index " + i, betas[i]);
            }
        }
    }

    /** A value in [0, 1] (Adadelta's {@code rho}). */
    static void unitInterval(String what, double value) {
        if (!(value >= 0 && value <= 1)) {
            throw invalid(what, value);
        }
    }

    /** A value of any sign, infinite or not, but a number (ASGD's {@code t0}: infinite means never). */
    static void notNaN(String what, double value) {
        if (Double.isNaN(value)) {
            throw invalid(what, value);
        }
    }

    /** Rprop's {@code etas}: 0 &lt; etaminus &lt; 1 &lt; etaplus, etaplus finite. */
    static void etas(double etaMinus, double etaPlus) {
        if (!(0 < etaMinus && etaMinus < 1 && 1 < etaPlus) || etaPlus == Double.POSITIVE_INFINITY) {
            throw new IllegalArgumentException("Invalid eta values: " + PythonFloat.repr(etaMinus) + ", "
                    + PythonFloat.repr(etaPlus));
        }
    }

    /**
     * Rprop's {@code step_sizes}: 0 ≤ min ≤ max, min finite. PyTorch checks none; a minimum above the maximum, or a
     * negative or NaN one, is a mistake, never a choice.
     */
    static void stepSizes(double stepSizeMin, double stepSizeMax) {
        if (!(0 <= stepSizeMin && stepSizeMin <= stepSizeMax) || stepSizeMin == Double.POSITIVE_INFINITY) {
            throw new IllegalArgumentException("Invalid step_sizes values: " + PythonFloat.repr(stepSizeMin) + ", "
                    + PythonFloat.repr(stepSizeMax) + " (need 0 <= min <= max, min finite)");
        }
    }

    /** SGD's Nesterov momentum needs a momentum and no dampening, as PyTorch says. */
    static void nesterov(boolean nesterov, double momentum, double dampening) {
        if (nesterov && (momentum <= 0 || dampening != 0)) {
            throw new IllegalArgumentException("Nesterov momentum requires a momentum and zero dampening");
        }
    }

    static IllegalArgumentException invalid(String what, double value) {
        return new IllegalArgumentException("Invalid " + what + ": " + PythonFloat.repr(value));
    }
}
