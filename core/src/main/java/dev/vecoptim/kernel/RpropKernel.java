package dev.vecoptim.kernel;

import java.lang.foreign.MemorySegment;

/**
 * Rprop's kernel family: its {@link Flags}, its {@link Coefficients} and its scalar reference {@link Scalar}; the
 * vector loop is {@code RpropVector}. The state is {@code prev}, {@code step_size}.
 */
public final class RpropKernel {

    public static final KernelFamily<UpdateKernel<Coefficients>, Flags> FAMILY =
            KernelFamily.update(RpropKernel.class, Scalar::new);

    private RpropKernel() {
    }

    /**
     * Which branches of Rprop's update a kernel takes.
     *
     * @param maximize negate the gradient first
     * @param firstStep step 1: prev is taken as 0 and every step size as {@code initialStepSize}, as PyTorch
     *     creates them
     */
    public record Flags(boolean maximize, boolean firstStep) {
    }

    /** Rprop's coefficients for one step, each rounded once to float. */
    public static final class Coefficients {
        /** {@code f(etaminus)}: the factor of a step size whose gradient changed sign. */
        public float etaMinus;
        /** {@code f(etaplus)}: the factor of a step size whose gradient kept its sign. */
        public float etaPlus;
        /** {@code f(step_size_min)}. */
        public float stepSizeMin;
        /** {@code f(step_size_max)}. */
        public float stepSizeMax;
        /** {@code f(lr)}: every step size on the first step, where prev and step_size are not read. */
        public float initialStepSize;
    }

    /**
     * Rprop's scalar reference: PyTorch's {@code _single_tensor_rprop} (1.13's and 2.x's alike), one element at a
     * time, one rounding per ATen operation.
     */
    public record Scalar(Flags flags, Format dtype) implements UpdateKernel<Coefficients> {
        @Override
        public void step(MemorySegment param, MemorySegment grad, MemorySegment[] state, Coefficients c, long from,
                         long to) {
            MemorySegment prev = state[0];
            MemorySegment stepSize = state[1];
            for (long i = from; i < to; i++) {
                float g = flags.maximize() ? -dtype.load(grad, i) : dtype.load(grad, i);
                float previous = flags.firstStep() ? 0 : dtype.load(prev, i);
                float size = flags.firstStep() ? c.initialStepSize : dtype.load(stepSize, i);
                float product = dtype.round(g * previous);
                // PyTorch's sign(product) (0 for NaN), then its replacements in turn: > 0 by etaplus, < 0 by
                // etaminus, = 0 by 1, which also catches an etaminus that rounded to 0.
                float factor = product > 0 ? 1 : product < 0 ? -1 : 0;
                if (factor > 0) {
                    factor = c.etaPlus;
                }
                if (factor < 0) {
                    factor = c.etaMinus;
                }
                if (factor == 0) {
                    factor = 1;
                }
                // PyTorch's clamp keeps the value it compares unless it is past a bound, so a step size of -0
                // (from lr = -0.0) stays -0 against a minimum of 0, where Math.max would give +0.
                size = dtype.round(size * factor);
                size = size < c.stepSizeMin ? c.stepSizeMin : size;
                size = size > c.stepSizeMax ? c.stepSizeMax : size;
                dtype.store(stepSize, i, size);
                float kept = factor == c.etaMinus ? 0 : g;
                dtype.store(prev, i, kept);
                // sign(kept), +0 for ±0 and NaN, times −1: −0 leaves every parameter as it was, −0 included.
                float sign = (kept > 0 ? 1f : 0f) - (kept < 0 ? 1f : 0f);
                dtype.store(param, i, dtype.round(Math.fma(-1f * sign, size, dtype.load(param, i))));
            }
        }
    }
}
