package dev.vecoptim.kernel;

/**
 * Which branches of SGD's update a kernel takes. A vector kernel is specialised per flag combination (the
 * flags are constants to C2), so they must be canonical: nesterov and firstStep only exist with momentum.
 *
 * @param maximize negate the gradient first
 * @param weightDecay add {@code weight_decay · p} to the gradient
 * @param momentum keep a momentum buffer
 * @param nesterov use Nesterov's look-ahead gradient
 * @param firstStep the momentum buffer is set to the gradient instead of being decayed (PyTorch's first step)
 */
public record SgdFlags(boolean maximize, boolean weightDecay, boolean momentum, boolean nesterov, boolean firstStep) {
    public SgdFlags {
        if (!momentum && (nesterov || firstStep)) {
            throw new IllegalArgumentException("nesterov and firstStep need momentum: " + nesterov + ", " + firstStep);
        }
    }
}
