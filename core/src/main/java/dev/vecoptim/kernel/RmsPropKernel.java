package dev.vecoptim.kernel;

import java.lang.foreign.MemorySegment;

/**
 * RMSProp's kernel family: its {@link Flags}, its {@link Coefficients} and its scalar reference {@link Scalar};
 * the vector loop is {@code RmsPropVector}. The state is {@code square_avg}, then {@code grad_avg} when centered,
 * then {@code momentum_buffer} with momentum.
 */
public final class RmsPropKernel {

    public static final KernelFamily<UpdateKernel<Coefficients>, Flags> FAMILY =
            KernelFamily.update(RmsPropKernel.class, Scalar::new);

    private RmsPropKernel() {
    }

    /**
     * Which branches of RMSProp's update a kernel takes.
     *
     * @param maximize negate the gradient first
     * @param weightDecay add {@code weight_decay · p} to the gradient
     * @param centered keep a running average of the gradient and subtract its square
     * @param momentum keep a momentum buffer of the normalised gradient
     * @param lerp PyTorch 2.x: the gradient average is {@code grad_avg.lerp_(grad, 1 − alpha)} ({@link Lerp})
     */
    public record Flags(boolean maximize, boolean weightDecay, boolean centered, boolean momentum, boolean lerp) {
    }

    /** RMSProp's coefficients for one step, each rounded once to float. */
    public static final class Coefficients {
        /** {@code weight_decay}, an alpha. */
        public float weightDecay;
        /** {@code alpha}, the factor of both averages. */
        public float alpha;
        /** {@code 1 − alpha}, the value of {@code square_avg}'s {@code addcmul_}. */
        public float alphaComplement;
        /** {@code 1 − alpha}, {@code grad_avg}'s lerp weight (2.x) or alpha (1.13). */
        public float gradAvgWeight;
        /** {@code eps}, added. */
        public float eps;
        /** {@code momentum}, the factor of the buffer. */
        public float momentum;
        /** {@code −lr}: the alpha of {@code param.add_(buf)} with momentum, else {@code addcdiv_}'s value. */
        public float negativeLr;
    }

    /**
     * RMSProp's scalar reference: PyTorch's {@code _single_tensor_rmsprop} (1.13's, or 2.x's with {@code lerp}),
     * one element at a time, one rounding per ATen operation.
     */
    public record Scalar(Flags flags, Format dtype) implements UpdateKernel<Coefficients> {
        @Override
        public void step(MemorySegment param, MemorySegment grad, MemorySegment[] state, Coefficients c, long from,
                         long to) {
            MemorySegment squareAvg = state[0];
            MemorySegment gradAvg = flags.centered() ? state[1] : null;
            MemorySegment momentumBuffer = flags.momentum() ? state[flags.centered() ? 2 : 1] : null;
            long tail = dtype.pyTorchTail(param);
            for (long i = from; i < to; i++) {
                boolean roundedProduct = i >= tail;
                float p = dtype.load(param, i);
                float g = Gradient.effective(dtype, dtype.load(grad, i), p, flags.maximize(), flags.weightDecay(),
                        c.weightDecay, roundedProduct);
                float sq = RunningAverage.ofSquares(dtype, dtype.load(squareAvg, i), g, c.alpha, c.alphaComplement);
                dtype.store(squareAvg, i, sq);
                float avg;
                if (flags.centered()) {
                    float ga = RunningAverage.of(dtype, dtype.load(gradAvg, i), g, flags.lerp(), c.alpha,
                            c.gradAvgWeight, roundedProduct);
                    dtype.store(gradAvg, i, ga);
                    avg = dtype.round((float) Math.sqrt(dtype.round(Math.fma(-ga, ga, sq))));
                } else {
                    avg = dtype.round((float) Math.sqrt(sq));
                }
                avg = dtype.round(avg + c.eps);
                if (flags.momentum()) {
                    float buf = dtype.round(dtype.round(dtype.load(momentumBuffer, i) * c.momentum) + g / avg);
                    dtype.store(momentumBuffer, i, buf);
                    p = ScaledAdd.of(dtype, p, buf, c.negativeLr, roundedProduct);
                } else {
                    p = dtype.round(p + c.negativeLr * g / avg);
                }
                dtype.store(param, i, p);
            }
        }
    }
}
