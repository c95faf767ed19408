package dev.vecoptim.kernel;

import static dev.vecoptim.kernel.Floats.FLOAT;

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

    /** Lion's coefficients for one step, each rounded once to float. */
    public static final class Coefficients {
        /** {@code f(1 − lr·weight_decay)}, used with weight decay. */
        public float decayFactor;
        /** {@code f(β1)}. */
        public float beta1;
        /** {@code f(1 − β1)}. */
        public float beta1Complement;
        /** {@code f(β2)}. */
        public float beta2;
        /** {@code f(1 − β2)}. */
        public float beta2Complement;
        /** {@code f(−lr)}. */
        public float negativeLr;
    }

    /**
     * Lion's scalar reference: the step of google/automl's {@code lion_pytorch.py}, one element at a time, one
     * rounding per ATen operation.
     */
    public record Scalar(Flags flags) implements UpdateKernel<Coefficients> {
        @Override
        public void step(MemorySegment param, MemorySegment grad, MemorySegment[] state, Coefficients c, long from,
                         long to) {
            MemorySegment expAvg = state[0];
            for (long i = from; i < to; i++) {
                float p = param.getAtIndex(FLOAT, i);
                if (flags.weightDecay()) {
                    p *= c.decayFactor;
                }
                float g = grad.getAtIndex(FLOAT, i);
                float m = expAvg.getAtIndex(FLOAT, i);
                float direction = m * c.beta1 + g * c.beta1Complement;
                // torch.sign: 0 for ±0 and NaN, where Math.signum keeps the zero's sign and the NaN.
                float sign = direction > 0 ? 1 : direction < 0 ? -1 : 0;
                param.setAtIndex(FLOAT, i, p + sign * c.negativeLr);
                expAvg.setAtIndex(FLOAT, i, RunningAverage.of(m, g, false, c.beta2, c.beta2Complement));
            }
        }
    }
}
