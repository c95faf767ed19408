package dev.vecoptim.kernel;

import static dev.vecoptim.kernel.Floats.FLOAT;

import java.lang.foreign.MemorySegment;

/**
 * SGD's kernel family: its {@link Flags}, its {@link Coefficients} and its scalar reference {@link Scalar}; the
 * vector loop is {@code SgdVector}. The state is the {@code momentum_buffer}, with momentum only.
 */
public final class SgdKernel {
    public static final KernelFamily<UpdateKernel<Coefficients>, Flags> FAMILY =
            KernelFamily.update(SgdKernel.class, Scalar::new);

    private SgdKernel() {
    }

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
    public record Flags(boolean maximize, boolean weightDecay, boolean momentum, boolean nesterov, boolean firstStep) {
        public Flags {
            if (!momentum && (nesterov || firstStep)) {
                throw new IllegalArgumentException("nesterov and firstStep need momentum: " + nesterov + ", "
                        + firstStep);
            }
        }
    }

    /** SGD's coefficients for one step, each rounded once to float. */
    public static final class Coefficients {
        /** {@code f(weight_decay)}. */
        public float weightDecay;
        /** {@code f(momentum)}. */
        public float momentum;
        /** {@code f(1 − dampening)}. */
        public float dampeningComplement;
        /** {@code f(−lr)}. */
        public float negativeLr;
    }

    /**
     * SGD's scalar reference: PyTorch's {@code _single_tensor_sgd} (1.13's and 2.x's alike), one element at a
     * time, one rounding per ATen operation.
     */
    public record Scalar(Flags flags) implements UpdateKernel<Coefficients> {
        @Override
        public void step(MemorySegment param, MemorySegment grad, MemorySegment[] state, Coefficients c, long from,
                         long to) {
            MemorySegment momentumBuffer = flags.momentum() ? state[0] : null;
            for (long i = from; i < to; i++) {
                float p = param.getAtIndex(FLOAT, i);
                float g = Gradient.effective(grad.getAtIndex(FLOAT, i), p, flags.maximize(), flags.weightDecay(),
                        c.weightDecay);
                if (flags.momentum()) {
                    float buf = flags.firstStep()
                            ? g
                            : Math.fma(g, c.dampeningComplement, momentumBuffer.getAtIndex(FLOAT, i) * c.momentum);
                    momentumBuffer.setAtIndex(FLOAT, i, buf);
                    g = flags.nesterov() ? Math.fma(buf, c.momentum, g) : buf;
                }
                param.setAtIndex(FLOAT, i, Math.fma(g, c.negativeLr, p));
            }
        }
    }
}
