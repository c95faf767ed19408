package dev.vecoptim.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Adagrad's update over the elements {@code [from, to)} of float32 segments, in place, with the flags fixed
 * when the kernel is made ({@link Flags}) and coefficients already rounded to float. Kernels assume valid
 * input. The vector loop is {@code AdagradVector}; the scalar reference is {@link Scalar}.
 */
public interface AdagradKernel {

    KernelFamily<AdagradKernel, Flags> FAMILY = new KernelFamily<>("AdagradVector", AdagradKernel.class, Scalar::new);

    /**
     * @param sum PyTorch's {@code sum}: the running sum of squared gradients
     * @param weightDecay {@code f(weight_decay)}
     * @param eps {@code f(eps)}
     * @param negativeClr {@code f(−clr)}, where {@code clr = lr / (1 + (step − 1) · lr_decay)}
     */
    void step(MemorySegment param, MemorySegment grad, MemorySegment sum, float weightDecay, float eps,
              float negativeClr, long from, long to);

    /**
     * Which branches of Adagrad's update a kernel takes (constants to C2 in a vector kernel).
     *
     * @param maximize negate the gradient first
     * @param weightDecay add {@code weight_decay · p} to the gradient
     */
    record Flags(boolean maximize, boolean weightDecay) {
    }

    /**
     * Adagrad's scalar reference: PyTorch's {@code _single_tensor_adagrad} (1.13's and 2.x's alike), one element
     * at a time, one rounding per ATen operation. Also the tail of every Adagrad vector kernel, and the whole
     * update when SIMD is off.
     */
    final class Scalar implements AdagradKernel {
        // Unaligned: callers may slice segments at any byte offset.
        private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;

        private final Flags flags;

        public Scalar(Flags flags) {
            this.flags = flags;
        }

        @Override
        public void step(MemorySegment param, MemorySegment grad, MemorySegment sum, float weightDecay, float eps,
                         float negativeClr, long from, long to) {
            for (long i = from; i < to; i++) {
                float p = param.getAtIndex(FLOAT, i);
                float g = Gradient.effective(grad.getAtIndex(FLOAT, i), p, flags.maximize(), flags.weightDecay(),
                        weightDecay);
                float s = Math.fma(g, g, sum.getAtIndex(FLOAT, i));
                sum.setAtIndex(FLOAT, i, s);
                float std = (float) Math.sqrt(s) + eps;
                param.setAtIndex(FLOAT, i, p + negativeClr * g / std);
            }
        }
    }
}
