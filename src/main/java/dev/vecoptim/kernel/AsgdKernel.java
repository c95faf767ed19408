package dev.vecoptim.kernel;

import static dev.vecoptim.kernel.Floats.FLOAT;

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
        /** {@code f(weight_decay)}, used with weight decay. */
        public float weightDecay;
        /** PyTorch's {@code lambd}, the decay term. */
        public double lambd;

        /** {@code f(1 − λ·eta)}, the decay of a parameter whose step size is {@code eta}. */
        public float decayFactor(float eta) {
            return (float) (1 - lambd * eta);
        }
    }

    /**
     * ASGD's scalar reference: PyTorch's {@code _single_tensor_asgd}, one element at a time, one rounding per
     * ATen operation.
     */
    public record Scalar(Flags flags) implements UpdateKernel<Coefficients> {
        @Override
        public void step(MemorySegment param, MemorySegment grad, MemorySegment[] state, Coefficients c, long from,
                         long to) {
            MemorySegment ax = state[0];
            float eta = state[1].get(FLOAT, 0);
            float mu = state[2].get(FLOAT, 0);
            float decayFactor = c.decayFactor(eta);
            for (long i = from; i < to; i++) {
                float p = param.getAtIndex(FLOAT, i);
                float g = Gradient.effective(grad.getAtIndex(FLOAT, i), p, flags.maximize(), flags.weightDecay(),
                        c.weightDecay);
                p = Math.fma(g, -eta, p * decayFactor);
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
