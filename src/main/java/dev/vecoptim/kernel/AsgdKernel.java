package dev.vecoptim.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * ASGD's update over the elements {@code [from, to)} of float32 segments, in place, with the flags fixed when
 * the kernel is made ({@link Flags}) and coefficients already rounded to float: {@code eta} and {@code mu} are
 * per-parameter scalars, read once per step by the caller. Kernels assume valid input. The vector loop is
 * {@code AsgdVector}; the scalar reference is {@link Scalar}.
 */
public interface AsgdKernel {

    KernelFamily<AsgdKernel, Flags> FAMILY = new KernelFamily<>("AsgdVector", AsgdKernel.class, Scalar::new);

    /**
     * @param weightDecay {@code f(weight_decay)}, used with weight decay
     * @param decayFactor {@code f(1 − λ·η)}, the decay term
     * @param negativeEta {@code −η}, the step size
     * @param mu {@code μ}, the averaging weight, used when averaging
     */
    void step(MemorySegment param, MemorySegment grad, MemorySegment ax, float weightDecay, float decayFactor,
              float negativeEta, float mu, long from, long to);

    /**
     * Which branches of ASGD's update a kernel takes (constants to C2 in a vector kernel).
     *
     * @param maximize negate the gradient first
     * @param weightDecay add {@code weight_decay · p} to the gradient
     * @param averaging this step's μ is not 1: {@code ax} moves towards the parameter by μ; else it is a copy
     */
    record Flags(boolean maximize, boolean weightDecay, boolean averaging) {
    }

    /**
     * ASGD's scalar reference: PyTorch's {@code _single_tensor_asgd}, one element at a time, one rounding per
     * ATen operation. Also the tail of every ASGD vector kernel, and the whole update when SIMD is off.
     */
    final class Scalar implements AsgdKernel {
        // Unaligned: callers may slice segments at any byte offset.
        private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;

        private final Flags flags;

        public Scalar(Flags flags) {
            this.flags = flags;
        }

        @Override
        public void step(MemorySegment param, MemorySegment grad, MemorySegment ax, float weightDecay,
                         float decayFactor, float negativeEta, float mu, long from, long to) {
            for (long i = from; i < to; i++) {
                float p = param.getAtIndex(FLOAT, i);
                float g = Gradient.effective(grad.getAtIndex(FLOAT, i), p, flags.maximize(), flags.weightDecay(),
                        weightDecay);
                p = Math.fma(g, negativeEta, p * decayFactor);
                param.setAtIndex(FLOAT, i, p);
                if (flags.averaging()) {
                    float average = ax.getAtIndex(FLOAT, i);
                    ax.setAtIndex(FLOAT, i, average + (p - average) * mu);
                } else {
                    ax.setAtIndex(FLOAT, i, p);
                }
            }
        }
    }
}
