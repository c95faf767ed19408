package dev.vecoptim.kernel;

import java.lang.foreign.MemorySegment;

/**
 * RAdam's kernel family: its {@link Flags}, its {@link Coefficients} and its scalar reference {@link Scalar}; the
 * vector loop is {@code RAdamVector}. The state is {@code exp_avg}, {@code exp_avg_sq}.
 */
public final class RAdamKernel {

    public static final KernelFamily<UpdateKernel<Coefficients>, Flags> FAMILY =
            KernelFamily.update(RAdamKernel.class, Scalar::new);

    private RAdamKernel() {
    }

    /**
     * Which branches of RAdam's update a kernel takes.
     *
     * @param maximize negate the gradient first
     * @param weightDecay none, L2 or decoupled
     * @param lerp PyTorch 2.x: the first moment is {@code exp_avg.lerp_(grad, 1 − β1)} ({@link Lerp})
     * @param rectified this step's ρ_t is above 5: the update is scaled by the adaptive learning rate and r_t
     */
    public record Flags(boolean maximize, WeightDecay weightDecay, boolean lerp, boolean rectified) {
        public Flags {
            java.util.Objects.requireNonNull(weightDecay, "weightDecay");
        }
    }

    /** RAdam's coefficients for one step beyond {@link MomentCoefficients}, each rounded once to float. */
    public static final class Coefficients extends MomentCoefficients {
        /** {@code f(1 − β1^t)}. */
        public float biasCorrection1;
        /** {@code f(lr)}. */
        public float lr;
        /** {@code f(sqrt(1 − β2^t))}, used when rectified. */
        public float biasCorrection2Sqrt;
        /** {@code f(eps)}, used when rectified. */
        public float eps;
        /** {@code f(r_t)}, the variance rectification term, used when rectified. */
        public float rect;
    }

    /**
     * RAdam's scalar reference: PyTorch's {@code _single_tensor_radam} (1.13's, or 2.x's with {@code lerp}), one
     * element at a time, one rounding per ATen operation.
     */
    public record Scalar(Flags flags, Format dtype) implements UpdateKernel<Coefficients> {
        @Override
        public void step(MemorySegment param, MemorySegment grad, MemorySegment[] state, Coefficients c, long from,
                         long to) {
            MemorySegment expAvg = state[0];
            MemorySegment expAvgSq = state[1];
            long tail = dtype.pyTorchTail(param);
            for (long i = from; i < to; i++) {
                boolean roundedProduct = i >= tail;
                float p = dtype.load(param, i);
                float g = Moments.update(dtype, p, grad, expAvg, expAvgSq, i, flags.maximize(), flags.weightDecay(),
                        flags.lerp(), c, roundedProduct);
                p = Moments.decayed(dtype, p, flags.weightDecay(), c);
                float m = dtype.load(expAvg, i);
                float v = dtype.load(expAvgSq, i);
                float update = dtype.round(dtype.round(m / c.biasCorrection1) * c.lr);
                if (flags.rectified()) {
                    // PyTorch's python_float / tensor is tensor.reciprocal() * python_float.
                    float adaptiveLr = dtype.round(dtype.round(1 / dtype.round(dtype.round((float) Math.sqrt(v))
                            + c.eps)) * c.biasCorrection2Sqrt);
                    update = dtype.round(dtype.round(update * adaptiveLr) * c.rect);
                }
                dtype.store(param, i, dtype.round(p - update));
            }
        }
    }
}
