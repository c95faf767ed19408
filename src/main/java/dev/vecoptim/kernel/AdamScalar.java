package dev.vecoptim.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Adam's scalar reference: PyTorch 1.13's {@code _single_tensor_adam} and {@code _single_tensor_adamw},
 * one element at a time, one rounding per ATen operation. Also the tail of every Adam vector kernel, and
 * the whole update when SIMD is off.
 */
public final class AdamScalar implements AdamKernel {
    // Unaligned: callers may slice segments at any byte offset.
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private final AdamFlags flags;

    public AdamScalar(AdamFlags flags) {
        this.flags = flags;
    }

    @Override
    public void step(MemorySegment param, MemorySegment grad, MemorySegment expAvg, MemorySegment expAvgSq,
                     MemorySegment maxExpAvgSq, float weightDecay, float decayFactor, float beta1,
                     float beta1Complement, float beta2, float beta2Complement, float biasCorrection2Sqrt,
                     float eps, float negativeStepSize, long from, long to) {
        for (long i = from; i < to; i++) {
            float p = param.getAtIndex(FLOAT, i);
            float g = Gradient.effective(grad.getAtIndex(FLOAT, i), p, flags.maximize(),
                    flags.weightDecay() == AdamFlags.WeightDecay.L2, weightDecay);
            if (flags.weightDecay() == AdamFlags.WeightDecay.DECOUPLED) {
                p *= decayFactor;
            }
            float m = Math.fma(g, beta1Complement, expAvg.getAtIndex(FLOAT, i) * beta1);
            expAvg.setAtIndex(FLOAT, i, m);
            float v = Math.fma(beta2Complement * g, g, expAvgSq.getAtIndex(FLOAT, i) * beta2);
            expAvgSq.setAtIndex(FLOAT, i, v);
            if (flags.amsgrad()) {
                v = Math.max(maxExpAvgSq.getAtIndex(FLOAT, i), v);
                maxExpAvgSq.setAtIndex(FLOAT, i, v);
            }
            float denom = (float) Math.sqrt(v) / biasCorrection2Sqrt + eps;
            param.setAtIndex(FLOAT, i, p + negativeStepSize * m / denom);
        }
    }
}
