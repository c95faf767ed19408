package dev.vecoptim.kernel;

import java.lang.foreign.MemorySegment;

/**
 * Adagrad's kernel family: its {@link Flags}, its {@link Coefficients} and its scalar reference {@link Scalar}; the
 * vector loop is {@code AdagradVector}. The state is {@code sum}.
 */
public final class AdagradKernel {

    public static final KernelFamily<UpdateKernel<Coefficients>, Flags> FAMILY =
            KernelFamily.update(AdagradKernel.class, Scalar::new);

    private AdagradKernel() {
    }

    /**
     * Which branches of Adagrad's update a kernel takes.
     *
     * @param maximize negate the gradient first
     * @param weightDecay add {@code weight_decay · p} to the gradient
     */
    public record Flags(boolean maximize, boolean weightDecay) {
    }

    /** Adagrad's coefficients for one step, each rounded once to float. */
    public static final class Coefficients {
        /** {@code f(weight_decay)}. */
        public float weightDecay;
        /** {@code f(eps)}. */
        public float eps;
        /** {@code f(−clr)}, where {@code clr = lr / (1 + (step − 1) · lr_decay)}. */
        public float negativeClr;
    }

    /**
     * Adagrad's scalar reference: PyTorch's {@code _single_tensor_adagrad} (1.13's and 2.x's alike), one element
     * at a time, one rounding per ATen operation.
     */
    public record Scalar(Flags flags, Format dtype) implements UpdateKernel<Coefficients> {
        @Override
        public void step(MemorySegment param, MemorySegment grad, MemorySegment[] state, Coefficients c, long from,
                         long to) {
            MemorySegment sum = state[0];
            long tail = dtype.pyTorchTail(param);
            for (long i = from; i < to; i++) {
                boolean roundedProduct = i >= tail;
                float p = dtype.load(param, i);
                float g = Gradient.effective(dtype, dtype.load(grad, i), p, flags.maximize(), flags.weightDecay(),
                        c.weightDecay, roundedProduct);
                float s = dtype.round(Math.fma(g, g, dtype.load(sum, i)));
                dtype.store(sum, i, s);
                float std = dtype.round(dtype.round((float) Math.sqrt(s)) + c.eps);
                dtype.store(param, i, dtype.round(p + c.negativeClr * g / std));
            }
        }
    }
}
