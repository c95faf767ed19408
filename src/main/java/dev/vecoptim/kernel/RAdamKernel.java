package dev.vecoptim.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * RAdam's update over the elements {@code [from, to)} of float32 segments, in place, with the flags fixed when
 * the kernel is made ({@link Flags}) and coefficients already rounded to float. Kernels assume valid input. The
 * vector loop is {@code RAdamVector}; the scalar reference is {@link Scalar}.
 */
public interface RAdamKernel {

    KernelFamily<RAdamKernel, Flags> FAMILY = new KernelFamily<>("RAdamVector", RAdamKernel.class, Scalar::new);

    /**
     * @param weightDecay {@code f(weight_decay)}, used with L2 weight decay
     * @param decayFactor {@code f(1 − lr·weight_decay)}, used with decoupled weight decay
     * @param beta1 {@code f(β1)}
     * @param beta1Complement {@code f(1 − β1)}, also the lerp's weight
     * @param beta2 {@code f(β2)}
     * @param beta2Complement {@code f(1 − β2)}
     * @param biasCorrection1 {@code f(1 − β1^t)}
     * @param lr {@code f(lr)}
     * @param biasCorrection2Sqrt {@code f(sqrt(1 − β2^t))}, used when rectified
     * @param eps {@code f(eps)}, used when rectified
     * @param rect {@code f(r_t)}, the variance rectification term, used when rectified
     */
    void step(MemorySegment param, MemorySegment grad, MemorySegment expAvg, MemorySegment expAvgSq,
              float weightDecay, float decayFactor, float beta1, float beta1Complement, float beta2,
              float beta2Complement, float biasCorrection1, float lr, float biasCorrection2Sqrt, float eps, float rect,
              long from, long to);

    /**
     * Which branches of RAdam's update a kernel takes (constants to C2 in a vector kernel).
     *
     * @param maximize negate the gradient first
     * @param weightDecay none, L2 or decoupled
     * @param lerp PyTorch 2.x: the first moment is {@code exp_avg.lerp_(grad, 1 − β1)} ({@link Lerp})
     * @param rectified this step's ρ_t is above 5: the update is scaled by the adaptive learning rate and r_t
     */
    record Flags(boolean maximize, WeightDecay weightDecay, boolean lerp, boolean rectified) {
        public Flags {
            java.util.Objects.requireNonNull(weightDecay, "weightDecay");
        }
    }

    /**
     * RAdam's scalar reference: PyTorch's {@code _single_tensor_radam} (1.13's, or 2.x's with {@code lerp}), one
     * element at a time, one rounding per ATen operation. Also the tail of every RAdam vector kernel, and the
     * whole update when SIMD is off.
     */
    final class Scalar implements RAdamKernel {
        // Unaligned: callers may slice segments at any byte offset.
        private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;

        private final Flags flags;

        public Scalar(Flags flags) {
            this.flags = flags;
        }

        @Override
        public void step(MemorySegment param, MemorySegment grad, MemorySegment expAvg, MemorySegment expAvgSq,
                         float weightDecay, float decayFactor, float beta1, float beta1Complement, float beta2,
                         float beta2Complement, float biasCorrection1, float lr, float biasCorrection2Sqrt, float eps,
                         float rect, long from, long to) {
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
                float update = m / biasCorrection1 * lr;
                if (flags.rectified()) {
                    // PyTorch's python_float / tensor is tensor.reciprocal() * python_float.
                    float adaptiveLr = 1 / ((float) Math.sqrt(v) + eps) * biasCorrection2Sqrt;
                    update = update * adaptiveLr * rect;
                }
                param.setAtIndex(FLOAT, i, p - update);
            }
        }
    }
}
