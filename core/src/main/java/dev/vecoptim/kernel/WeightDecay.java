package dev.vecoptim.kernel;

/** How weight decay enters the update of Adam and its relatives (RAdam, NAdam), in PyTorch's two ways. */
public enum WeightDecay {
    /** {@code weight_decay = 0}. */
    NONE,
    /** Added to the gradient (Adam): {@code g = fma(p, f(wd), g)}. */
    L2,
    /** Decoupled (AdamW): {@code p = rn(p · f(1 − lr·wd))} before the update. */
    DECOUPLED;

    /** The way of a configuration with weight decay {@code weightDecay}, decoupled or not. */
    public static WeightDecay of(double weightDecay, boolean decoupled) {
        return weightDecay == 0 ? NONE : decoupled ? DECOUPLED : L2;
    }
}
