package dev.vecoptim.kernel;

import java.lang.foreign.MemorySegment;

/**
 * ASGD's kernel family: its {@link Flags}, its {@link Coefficients} and its scalar reference {@link Scalar}; the
 * vector loop is {@code AsgdVector}. The state is {@code ax}, then the parameter's {@code eta} and {@code mu}, the
 * step size and averaging weight of this step, each a segment of one float.
 */
public final class AsgdKernel {

    public static final KernelFamily<UpdateKernel<Coefficients>, Flags> FAMILY =
            KernelFamily.update(AsgdKernel.class, Scalar::new);

    private AsgdKernel() {
    }

    /**
     * Which branches of ASGD's update a kernel takes.
     *
     * @param maximize negate the gradient first
     * @param weightDecay add {@code weight_decay · p} to the gradient
     * @param averaging the parameter's {@code mu} is not 1: {@code ax} moves towards the parameter by it; else it
     *     is a copy
     */
    public record Flags(boolean maximize, boolean weightDecay, boolean averaging) {
    }

    /** ASGD's coefficients for one step: floats rounded once, and what the parameter's scalars need. */
    public static final class Coefficients {
        /** {@code weight_decay}, an alpha. */
        public float weightDecay;
        /** PyTorch's {@code lambd}, the decay term. */
        public double lambd;
        /** How the step's scalars ({@code eta}, {@code mu}, read from the state) meet the tensors. */
        public ScalarOperands operands = ScalarOperands.FLOAT32;

        /** {@code 1 − λ·eta}, the factor of a parameter whose step size is {@code eta}. */
        public float decayFactor(float eta) {
            return operands.factor(1 - lambd * eta);
        }
    }

    /**
     * ASGD's scalar reference: PyTorch's {@code _single_tensor_asgd}, one element at a time, one rounding per
     * ATen operation.
     */
    public record Scalar(Flags flags, Format dtype) implements UpdateKernel<Coefficients> {
        @Override
        public void step(MemorySegment param, MemorySegment grad, MemorySegment[] state, Coefficients c, long from,
                         long to) {
            MemorySegment ax = state[0];
            float eta = state[1].get(Floats.FLOAT, 0);
            float decayFactor = c.decayFactor(eta);
            float negativeEta = c.operands.rounded(-eta);
            float mu = c.operands.factor(state[2].get(Floats.FLOAT, 0));
            // 1.13's float16 rounds every product; PyTorch's scalar tail does on any 16-bit dtype.
            long tail = c.operands.roundedProduct() ? from : dtype.pyTorchTail(param);
            for (long i = from; i < to; i++) {
                boolean roundedProduct = i >= tail;
                float p = dtype.load(param, i);
                float g = Gradient.effective(dtype, dtype.load(grad, i), p, flags.maximize(), flags.weightDecay(),
                        c.weightDecay, roundedProduct);
                p = ScaledAdd.of(dtype, dtype.round(p * decayFactor), g, negativeEta, roundedProduct);
                dtype.store(param, i, p);
                if (flags.averaging()) {
                    float average = dtype.load(ax, i);
                    dtype.store(ax, i, dtype.round(average + dtype.round(dtype.round(p - average) * mu)));
                } else {
                    dtype.store(ax, i, p);
                }
            }
        }
    }
}
