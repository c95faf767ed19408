package dev.vecoptim.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Rprop's update over the elements {@code [from, to)} of float32 segments, in place, with the flags fixed when
 * the kernel is made ({@link Flags}) and coefficients already rounded to float. Kernels assume valid input.
 * The vector loop is {@code RpropVector}; the scalar reference is {@link Scalar}.
 */
public interface RpropKernel {

    KernelFamily<RpropKernel, Flags> FAMILY = new KernelFamily<>("RpropVector", RpropKernel.class, Scalar::new);

    /**
     * @param prev PyTorch's {@code prev}: the gradient the last step kept (0 where it changed sign)
     * @param stepSize PyTorch's {@code step_size}: each element's own step size
     * @param etaMinus {@code f(etaminus)}: the factor of a step size whose gradient changed sign
     * @param etaPlus {@code f(etaplus)}: the factor of a step size whose gradient kept its sign
     * @param stepSizeMin {@code f(step_size_min)}
     * @param stepSizeMax {@code f(step_size_max)}
     * @param initialStepSize {@code f(lr)}: every step size on the first step, where prev and step_size are not read
     */
    void step(MemorySegment param, MemorySegment grad, MemorySegment prev, MemorySegment stepSize, float etaMinus,
              float etaPlus, float stepSizeMin, float stepSizeMax, float initialStepSize, long from, long to);

    /**
     * Which branches of Rprop's update a kernel takes (constants to C2 in a vector kernel).
     *
     * @param maximize negate the gradient first
     * @param firstStep step 1: prev is taken as 0 and every step size as {@code initialStepSize}, as PyTorch
     *     creates them
     */
    record Flags(boolean maximize, boolean firstStep) {
    }

    /**
     * Rprop's scalar reference: PyTorch's {@code _single_tensor_rprop} (1.13's and 2.x's alike), one element at a
     * time, one rounding per ATen operation. Also the tail of every Rprop vector kernel, and the whole update when
     * SIMD is off.
     */
    final class Scalar implements RpropKernel {
        // Unaligned: callers may slice segments at any byte offset.
        private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;

        private final Flags flags;

        public Scalar(Flags flags) {
            this.flags = flags;
        }

        @Override
        public void step(MemorySegment param, MemorySegment grad, MemorySegment prev, MemorySegment stepSize,
                         float etaMinus, float etaPlus, float stepSizeMin, float stepSizeMax, float initialStepSize,
                         long from, long to) {
            for (long i = from; i < to; i++) {
                float g = flags.maximize() ? -grad.getAtIndex(FLOAT, i) : grad.getAtIndex(FLOAT, i);
                float previous = flags.firstStep() ? 0 : prev.getAtIndex(FLOAT, i);
                float size = flags.firstStep() ? initialStepSize : stepSize.getAtIndex(FLOAT, i);
                float product = g * previous;
                // PyTorch's sign(product) (0 for NaN), then its replacements in turn: > 0 by etaplus, < 0 by
                // etaminus, = 0 by 1, which also catches an etaminus that rounded to 0.
                float factor = product > 0 ? 1 : product < 0 ? -1 : 0;
                if (factor > 0) {
                    factor = etaPlus;
                }
                if (factor < 0) {
                    factor = etaMinus;
                }
                if (factor == 0) {
                    factor = 1;
                }
                // PyTorch's clamp keeps the value it compares unless it is past a bound, so a step size of -0
                // (from lr = -0.0) stays -0 against a minimum of 0, where Math.max would give +0.
                size *= factor;
                size = size < stepSizeMin ? stepSizeMin : size;
                size = size > stepSizeMax ? stepSizeMax : size;
                stepSize.setAtIndex(FLOAT, i, size);
                float kept = factor == etaMinus ? 0 : g;
                prev.setAtIndex(FLOAT, i, kept);
                // sign(kept), +0 for ±0 and NaN, times −1: −0 leaves every parameter as it was, −0 included.
                float sign = (kept > 0 ? 1f : 0f) - (kept < 0 ? 1f : 0f);
                param.setAtIndex(FLOAT, i, Math.fma(-1f * sign, size, param.getAtIndex(FLOAT, i)));
            }
        }
    }
}
