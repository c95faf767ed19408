package dev.vecoptim.kernel;

import java.lang.foreign.MemorySegment;

/**
 * Adamax's kernel family: its {@link Flags}, its {@link Coefficients} and its scalar reference {@link Scalar}; the
 * vector loop is {@code AdamaxVector}. The state is {@code exp_avg}, {@code exp_inf}.
 */
public final class AdamaxKernel {

    public static final KernelFamily<UpdateKernel<Coefficients>, Flags> FAMILY =
            KernelFamily.update(AdamaxKernel.class, Scalar::new);

    private AdamaxKernel() {
    }

    /**
     * Which branches of Adamax's update a kernel takes.
     *
     * @param maximize negate the gradient first
     * @param weightDecay add {@code weight_decay · p} to the gradient
     * @param lerp PyTorch 2.x: the first moment is {@code exp_avg.lerp_(grad, 1 − β1)} ({@link Lerp})
     */
    public record Flags(boolean maximize, boolean weightDecay, boolean lerp) {
    }

    /** Adamax's coefficients for one step, each rounded once to float. */
    public static final class Coefficients {
        /** {@code f(weight_decay)}. */
        public float weightDecay;
        /** {@code f(β1)}. */
        public float beta1;
        /** {@code f(1 − β1)}, also the lerp's weight. */
        public float beta1Complement;
        /** {@code f(β2)}. */
        public float beta2;
        /** {@code f(eps)}. */
        public float eps;
        /** {@code f(−lr / (1 − β1^t))}. */
        public float negativeClr;
    }

    /**
     * Adamax's scalar reference: PyTorch's {@code _single_tensor_adamax} (1.13's, or 2.x's with {@code lerp}),
     * one element at a time, one rounding per ATen operation.
     */
    public record Scalar(Flags flags, Format dtype) implements UpdateKernel<Coefficients> {
        @Override
        public void step(MemorySegment param, MemorySegment grad, MemorySegment[] state, Coefficients c, long from,
                         long to) {
            MemorySegment expAvg = state[0];
            MemorySegment expInf = state[1];
            long tail = dtype.pyTorchTail(param);
            for (long i = from; i < to; i++) {
                boolean roundedProduct = i >= tail;
                float p = dtype.load(param, i);
                float g = Gradient.effective(dtype, dtype.load(grad, i), p, flags.maximize(), flags.weightDecay(),
                        c.weightDecay, roundedProduct);
                float m = RunningAverage.of(dtype, dtype.load(expAvg, i), g, flags.lerp(), c.beta1, c.beta1Complement,
                        roundedProduct);
                dtype.store(expAvg, i, m);
                float u = Math.max(dtype.round(dtype.load(expInf, i) * c.beta2), dtype.round(Math.abs(g) + c.eps));
                dtype.store(expInf, i, u);
                dtype.store(param, i, dtype.round(p + c.negativeClr * m / u));
            }
        }
    }
}
