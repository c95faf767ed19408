package dev.vecoptim.kernel;

import java.lang.foreign.MemorySegment;

/**
 * The first half of a step of Adam's family (Adam and AdamW, NAdam, RAdam) on one element, as their scalar
 * references share it: the decoupled decay of the parameter, the effective gradient and both moments; and the
 * bias-corrected denominator that Adam and optimizers after it divide by.
 */
final class Moments {
    private Moments() {
    }

    /**
     * {@return {@code (v.sqrt() / biasCorrectionSqrt).add_(eps)}, each operation rounded to {@code dtype}: the
     * denominator of Adam and of the optimizers built on its second moment}
     */
    static float denominator(Format dtype, float v, float biasCorrectionSqrt, float eps) {
        return dtype.round(dtype.round(dtype.round((float) Math.sqrt(v)) / biasCorrectionSqrt) + eps);
    }

    /** {@return the parameter {@code p} after its decoupled weight decay, rounded to {@code dtype}, or itself} */
    static float decayed(Format dtype, float p, WeightDecay weightDecay, MomentCoefficients c) {
        return weightDecay == WeightDecay.DECOUPLED ? dtype.round(p * c.decayFactor) : p;
    }

    /**
     * Updates element {@code i} of {@code expAvg} and {@code expAvgSq} from the gradient, each operation rounded to
     * {@code dtype}, and returns the effective gradient ({@code p} is the parameter, which L2 weight decay adds).
     */
    static float update(Format dtype, float p, MemorySegment grad, MemorySegment expAvg, MemorySegment expAvgSq, long i,
                        boolean maximize, WeightDecay weightDecay, boolean lerp, MomentCoefficients c,
                        boolean roundedProduct) {
        float g = Gradient.effective(dtype, dtype.load(grad, i), p, maximize, weightDecay == WeightDecay.L2,
                c.weightDecay, roundedProduct);
        dtype.store(expAvg, i, RunningAverage.of(dtype, dtype.load(expAvg, i), g, lerp, c.beta1, c.beta1Complement,
                roundedProduct));
        dtype.store(expAvgSq, i, RunningAverage.ofSquares(dtype, dtype.load(expAvgSq, i), g, c.beta2,
                c.beta2Complement));
        return g;
    }
}
