package dev.vecoptim.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Adadelta's update over the elements {@code [from, to)} of float32 segments, in place, with the flags fixed
 * when the kernel is made ({@link Flags}) and coefficients already rounded to float. Kernels assume valid
 * input. The vector loop is {@code AdadeltaVector}; the scalar reference is {@link Scalar}.
 */
public interface AdadeltaKernel {

    KernelFamily<AdadeltaKernel, Flags> FAMILY = new KernelFamily<>("AdadeltaVector", AdadeltaKernel.class,
            Scalar::new);

    /**
     * @param squareAvg PyTorch's {@code square_avg}: the running average of squared gradients
     * @param accDelta PyTorch's {@code acc_delta}: the running average of squared updates
     * @param weightDecay {@code f(weight_decay)}
     * @param rho {@code f(rho)}
     * @param rhoComplement {@code f(1 − rho)}
     * @param eps {@code f(eps)}
     * @param negativeLr {@code f(−lr)}
     */
    void step(MemorySegment param, MemorySegment grad, MemorySegment squareAvg, MemorySegment accDelta,
              float weightDecay, float rho, float rhoComplement, float eps, float negativeLr, long from, long to);

    /**
     * Which branches of Adadelta's update a kernel takes (constants to C2 in a vector kernel).
     *
     * @param maximize negate the gradient first
     * @param weightDecay add {@code weight_decay · p} to the gradient
     */
    record Flags(boolean maximize, boolean weightDecay) {
    }

    /**
     * Adadelta's scalar reference: PyTorch's {@code _single_tensor_adadelta} (1.13's and 2.x's alike), one
     * element at a time, one rounding per ATen operation. Also the tail of every Adadelta vector kernel, and
     * the whole update when SIMD is off.
     */
    final class Scalar implements AdadeltaKernel {
        // Unaligned: callers may slice segments at any byte offset.
        private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;

        private final Flags flags;

        public Scalar(Flags flags) {
            this.flags = flags;
        }

        @Override
        public void step(MemorySegment param, MemorySegment grad, MemorySegment squareAvg, MemorySegment accDelta,
                         float weightDecay, float rho, float rhoComplement, float eps, float negativeLr, long from,
                         long to) {
            for (long i = from; i < to; i++) {
                float p = param.getAtIndex(FLOAT, i);
                float g = Gradient.effective(grad.getAtIndex(FLOAT, i), p, flags.maximize(), flags.weightDecay(),
                        weightDecay);
                float sq = RunningAverage.ofSquares(squareAvg.getAtIndex(FLOAT, i), g, rho, rhoComplement);
                squareAvg.setAtIndex(FLOAT, i, sq);
                float std = (float) Math.sqrt(sq + eps);
                float acc = accDelta.getAtIndex(FLOAT, i);
                float delta = (float) Math.sqrt(acc + eps) / std * g;
                accDelta.setAtIndex(FLOAT, i, RunningAverage.ofSquares(acc, delta, rho, rhoComplement));
                param.setAtIndex(FLOAT, i, Math.fma(delta, negativeLr, p));
            }
        }
    }
}
