package dev.vecoptim.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * NAdam's update over the elements {@code [from, to)} of float32 segments, in place, with the flags fixed when
 * the kernel is made ({@link Flags}) and coefficients already rounded to float: the momentum schedule and
 * {@code mu_product} are per-parameter scalars, computed once per step by the caller. Kernels assume valid
 * input. The vector loop is {@code NAdamVector}; the scalar reference is {@link Scalar}.
 */
public interface NAdamKernel {

    KernelFamily<NAdamKernel, Flags> FAMILY = new KernelFamily<>("NAdamVector", NAdamKernel.class, Scalar::new);

    /**
     * @param weightDecay {@code f(weight_decay)}, used with L2 weight decay
     * @param decayFactor {@code f(1 − lr·weight_decay)}, used with decoupled weight decay
     * @param beta1 {@code f(β1)}
     * @param beta1Complement {@code f(1 − β1)}, also the lerp's weight
     * @param beta2 {@code f(β2)}
     * @param beta2Complement {@code f(1 − β2)}
     * @param biasCorrection2 {@code f(1 − β2^t)}
     * @param eps {@code f(eps)}
     * @param gradCoefficient {@code f(−lr·(1 − μ_t) / (1 − μ_product))}, the gradient's share of the update
     * @param expAvgCoefficient {@code f(−lr·μ_{t+1} / (1 − μ_product_next))}, the first moment's share
     */
    void step(MemorySegment param, MemorySegment grad, MemorySegment expAvg, MemorySegment expAvgSq,
              float weightDecay, float decayFactor, float beta1, float beta1Complement, float beta2,
              float beta2Complement, float biasCorrection2, float eps, float gradCoefficient, float expAvgCoefficient,
              long from, long to);

    /**
     * Which branches of NAdam's update a kernel takes (constants to C2 in a vector kernel).
     *
     * @param maximize negate the gradient first
     * @param weightDecay none, L2 or decoupled
     * @param lerp PyTorch 2.x: the first moment is {@code exp_avg.lerp_(grad, 1 − β1)} ({@link Lerp})
     */
    record Flags(boolean maximize, WeightDecay weightDecay, boolean lerp) {
        public Flags {
            java.util.Objects.requireNonNull(weightDecay, "weightDecay");
        }
    }

    /**
     * NAdam's scalar reference: PyTorch's {@code _single_tensor_nadam} (1.13's, or 2.x's with {@code lerp}), one
     * element at a time, one rounding per ATen operation. Also the tail of every NAdam vector kernel, and the
     * whole update when SIMD is off.
     */
    final class Scalar implements NAdamKernel {
        // Unaligned: callers may slice segments at any byte offset.
        private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;

        private final Flags flags;

        public Scalar(Flags flags) {
            this.flags = flags;
        }

        @Override
        public void step(MemorySegment param, MemorySegment grad, MemorySegment expAvg, MemorySegment expAvgSq,
                         float weightDecay, float decayFactor, float beta1, float beta1Complement, float beta2,
                         float beta2Complement, float biasCorrection2, float eps, float gradCoefficient,
                         float expAvgCoefficient, long from, long to) {
            for (long i = from; i < to; i++) {
                float p = param.getAtIndex(FLOAT, i);
                float g = Gradient.effective(grad.getAtIndex(FLOAT, i), p, flags.maximize(),
                        flags.weightDecay() == WeightDecay.L2, weightDecay);
                if (flags.weightDecay() == WeightDecay.DECOUPLED) {
                    p *= decayFactor;
                }
                float previous = expAvg.getAtIndex(FLOAT, i);
                float m = RunningAverage.of(previous, g, flags.lerp(), beta1, beta1Complement);
                expAvg.setAtIndex(FLOAT, i, m);
                float v = RunningAverage.ofSquares(expAvgSq.getAtIndex(FLOAT, i), g, beta2, beta2Complement);
                expAvgSq.setAtIndex(FLOAT, i, v);
                float denom = (float) Math.sqrt(v / biasCorrection2) + eps;
                // Two addcdiv_ calls, each rounding the parameter: (value · tensor1) / tensor2, then the sum.
                p += gradCoefficient * g / denom;
                param.setAtIndex(FLOAT, i, p + expAvgCoefficient * m / denom);
            }
        }
    }
}
