package dev.vecoptim;

/** What {@link Optimizer#step()} does when a gradient holds NaN or an infinity. */
public enum NonFiniteGradients {
    /** PyTorch's behaviour, the default: update anyway; NaN and infinities flow into parameters and state. */
    PROPAGATE,
    /**
     * Check every gradient first (one read of each, which also gives the global gradient norm); if any
     * element is NaN or infinite, change no parameter, no state buffer and no step count, and report the
     * step as skipped. Mixed-precision training skips such steps the same way.
     */
    SKIP,
    /** Check every gradient first, and throw an {@link ArithmeticException} naming the parameter. */
    THROW
}
