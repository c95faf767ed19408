package dev.vecoptim.kernel;

/** The gradient every PyTorch optimizer starts from; the scalar side of {@link PanamaLanes#effectiveGradient}. */
final class Gradient {
    private Gradient() {
    }

    /** Negated first when maximizing, then plus {@code weight_decay · p} (L2), fused: {@code fma(p, wd, g)}. */
    static float effective(float grad, float param, boolean maximize, boolean weightDecay, float weightDecayValue) {
        float g = maximize ? -grad : grad;
        return weightDecay ? Math.fma(param, weightDecayValue, g) : g;
    }
}
