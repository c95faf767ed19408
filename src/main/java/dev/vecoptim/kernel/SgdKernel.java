package dev.vecoptim.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * SGD's update over the elements {@code [from, to)} of float32 segments, in place. The flags are fixed
 * when the kernel is made ({@link Flags}); the coefficients are floats already rounded from their double
 * expressions, as PyTorch rounds them. Kernels assume valid input: the caller has checked sizes, liveness
 * and overlap. The vector loop is {@code SgdVector}; the scalar reference is {@link Scalar}.
 */
public interface SgdKernel {

    KernelFamily<SgdKernel, Flags> FAMILY = new KernelFamily<>("SgdVector", SgdKernel.class, Scalar::new);

    /**
     * @param momentumBuffer read and written only with momentum
     * @param weightDecay {@code f(weight_decay)}
     * @param momentum {@code f(momentum)}
     * @param dampeningComplement {@code f(1 − dampening)}
     * @param negativeLr {@code f(−lr)}
     */
    void step(MemorySegment param, MemorySegment grad, MemorySegment momentumBuffer,
              float weightDecay, float momentum, float dampeningComplement, float negativeLr,
              long from, long to);

    /**
     * Which branches of SGD's update a kernel takes. A vector kernel is specialised per flag combination (the
     * flags are constants to C2), so they must be canonical: nesterov and firstStep only exist with momentum.
     *
     * @param maximize negate the gradient first
     * @param weightDecay add {@code weight_decay · p} to the gradient
     * @param momentum keep a momentum buffer
     * @param nesterov use Nesterov's look-ahead gradient
     * @param firstStep the momentum buffer is set to the gradient instead of being decayed (PyTorch's first step)
     */
    record Flags(boolean maximize, boolean weightDecay, boolean momentum, boolean nesterov, boolean firstStep) {
        public Flags {
            if (!momentum && (nesterov || firstStep)) {
                throw new IllegalArgumentException("nesterov and firstStep need momentum: " + nesterov + ", "
                        + firstStep);
            }
        }
    }

    /**
     * SGD's scalar reference: PyTorch's {@code _single_tensor_sgd} (1.13's and 2.x's alike), one element at a
     * time, one rounding per ATen operation. Also the tail of every SGD vector kernel, and the whole update when
     * SIMD is off.
     */
    final class Scalar implements SgdKernel {
        // Unaligned: callers may slice segments at any byte offset.
        private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;

        private final Flags flags;

        public Scalar(Flags flags) {
            this.flags = flags;
        }

        @Override
        public void step(MemorySegment param, MemorySegment grad, MemorySegment momentumBuffer,
                         float weightDecay, float momentum, float dampeningComplement, float negativeLr,
                         long from, long to) {
            for (long i = from; i < to; i++) {
                float p = param.getAtIndex(FLOAT, i);
                float g = Gradient.effective(grad.getAtIndex(FLOAT, i), p, flags.maximize(), flags.weightDecay(),
                        weightDecay);
                if (flags.momentum()) {
                    float buf = flags.firstStep()
                            ? g
                            : Math.fma(g, dampeningComplement, momentumBuffer.getAtIndex(FLOAT, i) * momentum);
                    momentumBuffer.setAtIndex(FLOAT, i, buf);
                    g = flags.nesterov() ? Math.fma(buf, momentum, g) : buf;
                }
                param.setAtIndex(FLOAT, i, Math.fma(g, negativeLr, p));
            }
        }
    }
}
