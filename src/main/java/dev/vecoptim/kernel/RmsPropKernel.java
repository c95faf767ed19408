package dev.vecoptim.kernel;

import static dev.vecoptim.kernel.Floats.FLOAT;

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
        /** {@code f(weight_decay)}. */
        public float weightDecay;
        /** {@code f(alpha)}. */
        public float alpha;
        /** {@code f(1 − alpha)}, also the lerp's weight. */
        public float alphaComplement;
        /** {@code f(eps)}. */
        public float eps;
        /** {@code f(momentum)}. */
        public float momentum;
        /** {@code f(−lr)}. */
        public float negativeLr;
    }

    /**
     * RMSProp's scalar reference: PyTorch's {@code _single_tensor_rmsprop} (1.13's, or 2.x's with {@code lerp}),
     * one element at a time, one rounding per ATen operation.
     */
    public record Scalar(Flags flags) implements UpdateKernel<Coefficients> {
        @Override
        public void step(MemorySegment param, MemorySegment grad, MemorySegment[] state, Coefficients c, long from,
                         long to) {
            MemorySegment squareAvg = state[0];
            MemorySegment gradAvg = flags.centered() ? state[1] : null;
            MemorySegment momentumBuffer = flags.momentum() ? state[flags.centered() ? 2 : 1] : null;
            for (long i = from; i < to; i++) {
                float p = param.getAtIndex(FLOAT, i);
                float g = Gradient.effective(grad.getAtIndex(FLOAT, i), p, flags.maximize(), flags.weightDecay(),
                        c.weightDecay);
                float sq = RunningAverage.ofSquares(squareAvg.getAtIndex(FLOAT, i), g, c.alpha, c.alphaComplement);
                squareAvg.setAtIndex(FLOAT, i, sq);
                float avg;
                if (flags.centered()) {
                    float previous = gradAvg.getAtIndex(FLOAT, i);
                    float ga = RunningAverage.of(previous, g, flags.lerp(), c.alpha, c.alphaComplement);
                    gradAvg.setAtIndex(FLOAT, i, ga);
                    avg = (float) Math.sqrt(Math.fma(-ga, ga, sq));
                } else {
                    avg = (float) Math.sqrt(sq);
                }
                avg += c.eps;
                if (flags.momentum()) {
                    float buf = momentumBuffer.getAtIndex(FLOAT, i) * c.momentum + g / avg;
                    momentumBuffer.setAtIndex(FLOAT, i, buf);
                    p = Math.fma(buf, c.negativeLr, p);
                } else {
                    p += c.negativeLr * g / avg;
                }
                param.setAtIndex(FLOAT, i, p);
            }
        }
    }
}
