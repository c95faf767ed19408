package dev.vecoptim.kernel;

/** The gradient every PyTorch optimizer starts from; the scalar side of {@link PanamaLanes#effectiveGradient}. */
final class Gradient {
    private Gradient() {
    }

    /** Negated first when maximizing, then plus {@code weight_decay · p} (L2), fused: {@code fma(p, wd, g)}. */
    static float effective(float grad, float param, boolean maximize, boolean weightDecay, float weightDecayValue) {
        return effective(Format.FLOAT32, grad, param, maximize, weightDecay, weightDecayValue, false);
    }

    /** {@link #effective(float, float, boolean, boolean, float)} on tensors of {@code dtype} ({@link ScaledAdd}). */
    static float effective(Format dtype, float grad, float param, boolean maximize, boolean weightDecay,
                           float weightDecayValue, boolean roundedProduct) {
        float g = maximize ? -grad : grad;
        return weightDecay ? ScaledAdd.of(dtype, g, param, weightDecayValue, roundedProduct) : g;
    }
}
