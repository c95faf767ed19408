package dev.vecoptim.kernel;

import java.lang.foreign.MemorySegment;

/**
 * Lion's kernel family: its {@link Flags}, its {@link Coefficients} and its scalar reference {@link Scalar}; the
 * vector loop is {@code LionVector}. The state is {@code exp_avg}.
 */
public final class LionKernel {

    public static final KernelFamily<UpdateKernel<Coefficients>, Flags> FAMILY =
            KernelFamily.update(LionKernel.class, Scalar::new);

    private LionKernel() {
    }

    /**
     * Which branches of Lion's update a kernel takes.
     *
     * @param weightDecay multiply the parameter by {@code 1 − lr·weight_decay} first
     */
    public record Flags(boolean weightDecay) {
    }

    /**
     * Lion's coefficients for one step: on float32 tensors each is {@code f(x)}; on 16-bit ones each is what
     * PyTorch's operation computes with ({@link ScalarOperands}).
     */
    public static final class Coefficients {
        /** {@code 1 − lr·weight_decay}, a factor, used with weight decay. */
        public float decayFactor;
        /** {@code β1}, a factor. */
        public float beta1;
        /** {@code 1 − β1}, a factor. */
        public float beta1Complement;
        /** {@code β2}, a factor. */
        public float beta2;
        /** {@code 1 − β2}, an alpha. */
        public float beta2Complement;
        /** {@code −lr}, an alpha. */
        public float negativeLr;
        /** How the tensors' operations round: 1.13's float16 {@code add} rounds its product first. */
        public ScalarOperands operands = ScalarOperands.FLOAT32;
    }

    /**
     * Lion's scalar reference: the step of google/automl's {@code lion_pytorch.py}, one element at a time, each ATen
     * operation computed in float and its result rounded to the tensors' {@code dtype}, products rounded first where
     * PyTorch's scalar tail and 1.13's float16 round them ({@link Format#pyTorchTail}).
     */
    public record Scalar(Flags flags, Format dtype) implements UpdateKernel<Coefficients> {
        @Override
        public void step(MemorySegment param, MemorySegment grad, MemorySegment[] state, Coefficients c, long from,
                         long to) {
            MemorySegment expAvg = state[0];
            long tail = c.operands.roundedProduct() ? from : dtype.pyTorchTail(param);
            for (long i = from; i < to; i++) {
                boolean roundedProduct = i >= tail;
                float p = dtype.load(param, i);
                if (flags.weightDecay()) {
                    p = dtype.round(p * c.decayFactor);
                }
                float g = dtype.load(grad, i);
                float m = dtype.load(expAvg, i);
                float direction = dtype.round(dtype.round(m * c.beta1) + dtype.round(g * c.beta1Complement));
                // torch.sign: 0 for ±0 and NaN, where Math.signum keeps the zero's sign and the NaN.
                float sign = direction > 0 ? 1 : direction < 0 ? -1 : 0;
                dtype.store(param, i, ScaledAdd.of(dtype, p, sign, c.negativeLr, roundedProduct));
                dtype.store(expAvg, i, RunningAverage.of(dtype, m, g, false, c.beta2, c.beta2Complement,
                        roundedProduct));
            }
        }
    }
}
