package dev.vecoptim.kernel;

/**
 * Which branches of Adam's update a kernel takes (constants to C2 in a vector kernel).
 *
 * @param maximize negate the gradient first
 * @param weightDecay none, L2 (Adam: added to the gradient) or decoupled (AdamW: the parameter is scaled)
 * @param amsgrad keep the running maximum of the second moment and normalise by it
 */
public record AdamFlags(boolean maximize, WeightDecay weightDecay, boolean amsgrad) {

    /** How weight decay enters Adam's update. */
    public enum WeightDecay {
        /** {@code weight_decay = 0}. */
        NONE,
        /** Adam: {@code g = fma(p, wd, g)}. */
        L2,
        /** AdamW: {@code p = rn(p · (1 − lr·wd))} before the update. */
        DECOUPLED
    }

    public AdamFlags {
        java.util.Objects.requireNonNull(weightDecay, "weightDecay");
    }
}
