package dev.vecoptim.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * RMSProp's update over the elements {@code [from, to)} of float32 segments, in place, with the flags
 * fixed when the kernel is made ({@link Flags}) and coefficients already rounded to float.
 * Kernels assume valid input. The vector loop is {@code RmsPropVector}; the scalar reference is {@link Scalar}.
 */
public interface RmsPropKernel {

    KernelFamily<RmsPropKernel, Flags> FAMILY = new KernelFamily<>("RmsPropVector", RmsPropKernel.class, Scalar::new);

    /**
     * @param gradAvg read and written only when centered
     * @param momentumBuffer read and written only with momentum
     * @param weightDecay {@code f(weight_decay)}
     * @param alpha {@code f(alpha)}
     * @param alphaComplement {@code f(1 − alpha)}, also the lerp's weight
     * @param eps {@code f(eps)}
     * @param momentum {@code f(momentum)}
     * @param negativeLr {@code f(−lr)}
     */
    void step(MemorySegment param, MemorySegment grad, MemorySegment squareAvg, MemorySegment gradAvg,
              MemorySegment momentumBuffer, float weightDecay, float alpha, float alphaComplement, float eps,
              float momentum, float negativeLr, long from, long to);

    /**
     * Which branches of RMSProp's update a kernel takes (constants to C2 in a vector kernel).
     *
     * @param maximize negate the gradient first
     * @param weightDecay add {@code weight_decay · p} to the gradient
     * @param centered keep a running average of the gradient and subtract its square
     * @param momentum keep a momentum buffer of the normalised gradient
     * @param lerp PyTorch 2.x: the gradient average is {@code grad_avg.lerp_(grad, 1 − alpha)} ({@link Lerp})
     */
    record Flags(boolean maximize, boolean weightDecay, boolean centered, boolean momentum, boolean lerp) {
    }

    /**
     * RMSProp's scalar reference: PyTorch's {@code _single_tensor_rmsprop} (1.13's, or 2.x's with {@code lerp}),
     * one element at a time, one rounding per ATen operation. Also the tail of every RMSProp vector kernel, and the whole update when
     * SIMD is off.
     */
    final class Scalar implements RmsPropKernel {
        // Unaligned: callers may slice segments at any byte offset.
        private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;

        private final Flags flags;

        public Scalar(Flags flags) {
            this.flags = flags;
        }

        @Override
        public void step(MemorySegment param, MemorySegment grad, MemorySegment squareAvg, MemorySegment gradAvg,
                         MemorySegment momentumBuffer, float weightDecay, float alpha, float alphaComplement, float eps,
                         float momentum, float negativeLr, long from, long to) {
            for (long i = from; i < to; i++) {
                float p = param.getAtIndex(FLOAT, i);
                float g = Gradient.effective(grad.getAtIndex(FLOAT, i), p, flags.maximize(), flags.weightDecay(),
                        weightDecay);
                float sq = RunningAverage.ofSquares(squareAvg.getAtIndex(FLOAT, i), g, alpha, alphaComplement);
                squareAvg.setAtIndex(FLOAT, i, sq);
                float avg;
                if (flags.centered()) {
                    float previous = gradAvg.getAtIndex(FLOAT, i);
                    float ga = RunningAverage.of(previous, g, flags.lerp(), alpha, alphaComplement);
                    gradAvg.setAtIndex(FLOAT, i, ga);
                    avg = (float) Math.sqrt(Math.fma(-ga, ga, sq));
                } else {
                    avg = (float) Math.sqrt(sq);
                }
                avg += eps;
                if (flags.momentum()) {
                    float buf = momentumBuffer.getAtIndex(FLOAT, i) * momentum + g / avg;
                    momentumBuffer.setAtIndex(FLOAT, i, buf);
                    p = Math.fma(buf, negativeLr, p);
                } else {
                    p += negativeLr * g / avg;
                }
                param.setAtIndex(FLOAT, i, p);
            }
        }
    }
}
