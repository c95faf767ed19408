package dev.vecoptim.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Adamax's update over the elements {@code [from, to)} of float32 segments, in place, with the flags fixed
 * when the kernel is made ({@link Flags}) and coefficients already rounded to float. Kernels assume valid
 * input. The vector loop is {@code AdamaxVector}; the scalar reference is {@link Scalar}.
 */
public interface AdamaxKernel {

    KernelFamily<AdamaxKernel, Flags> FAMILY = new KernelFamily<>("AdamaxVector", AdamaxKernel.class, Scalar::new);

    /**
     * @param expAvg PyTorch's {@code exp_avg}: the first moment
     * @param expInf PyTorch's {@code exp_inf}: the exponentially weighted infinity norm
     * @param weightDecay {@code f(weight_decay)}
     * @param beta1 {@code f(β1)}
     * @param beta1Complement {@code f(1 − β1)}, also the lerp's weight
     * @param beta2 {@code f(β2)}
     * @param eps {@code f(eps)}
     * @param negativeClr {@code f(−lr / (1 − β1^t))}
     */
    void step(MemorySegment param, MemorySegment grad, MemorySegment expAvg, MemorySegment expInf, float weightDecay,
              float beta1, float beta1Complement, float beta2, float eps, float negativeClr, long from, long to);

    /**
     * Which branches of Adamax's update a kernel takes (constants to C2 in a vector kernel).
     *
     * @param maximize negate the gradient first
     * @param weightDecay add {@code weight_decay · p} to the gradient
     * @param lerp PyTorch 2.x: the first moment is {@code exp_avg.lerp_(grad, 1 − β1)} ({@link Lerp})
     */
    record Flags(boolean maximize, boolean weightDecay, boolean lerp) {
    }

    /**
     * Adamax's scalar reference: PyTorch's {@code _single_tensor_adamax} (1.13's, or 2.x's with {@code lerp}),
     * one element at a time, one rounding per ATen operation. Also the tail of every Adamax vector kernel, and
     * the whole update when SIMD is off.
     */
    final class Scalar implements AdamaxKernel {
        // Unaligned: callers may slice segments at any byte offset.
        private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;

        private final Flags flags;

        public Scalar(Flags flags) {
            this.flags = flags;
        }

        @Override
        public void step(MemorySegment param, MemorySegment grad, MemorySegment expAvg, MemorySegment expInf,
                         float weightDecay, float beta1, float beta1Complement, float beta2, float eps,
                         float negativeClr, long from, long to) {
            for (long i = from; i < to; i++) {
                float p = param.getAtIndex(FLOAT, i);
                float g = Gradient.effective(grad.getAtIndex(FLOAT, i), p, flags.maximize(), flags.weightDecay(),
                        weightDecay);
                float previous = expAvg.getAtIndex(FLOAT, i);
                float m = RunningAverage.of(previous, g, flags.lerp(), beta1, beta1Complement);
                expAvg.setAtIndex(FLOAT, i, m);
                float u = Math.max(expInf.getAtIndex(FLOAT, i) * beta2, Math.abs(g) + eps);
                expInf.setAtIndex(FLOAT, i, u);
                param.setAtIndex(FLOAT, i, p + negativeClr * m / u);
            }
        }
    }
}
