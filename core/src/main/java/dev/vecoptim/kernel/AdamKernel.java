package dev.vecoptim.kernel;

import java.lang.foreign.MemorySegment;

/**
 * Adam's and AdamW's kernel family: its {@link Flags}, its {@link Coefficients} and its scalar reference
 * {@link Scalar}; the vector loop is {@code AdamVector}. The state is {@code exp_avg}, {@code exp_avg_sq}, then
 * {@code max_exp_avg_sq} with AMSGrad.
 */
public final class AdamKernel {

    public static final KernelFamily<UpdateKernel<Coefficients>, Flags> FAMILY =
            KernelFamily.update(AdamKernel.class, Scalar::new);

    private AdamKernel() {
    }

    /**
     * Which branches of Adam's update a kernel takes.
     *
     * @param maximize negate the gradient first
     * @param weightDecay none, L2 (Adam: added to the gradient) or decoupled (AdamW: the parameter is scaled)
     * @param amsgrad keep the running maximum of the second moment and normalise by it
     * @param lerp PyTorch 2.x: the first moment is {@code exp_avg.lerp_(grad, 1 − β1)} ({@link Lerp})
     */
    public record Flags(boolean maximize, WeightDecay weightDecay, boolean amsgrad, boolean lerp) {
        public Flags {
            java.util.Objects.requireNonNull(weightDecay, "weightDecay");
        }
    }

    /** Adam's and AdamW's coefficients for one step beyond {@link MomentCoefficients}, each rounded once to float. */
    public static final class Coefficients extends MomentCoefficients {
        /** {@code f(sqrt(1 − β2^t))}. */
        public float biasCorrection2Sqrt;
        /** {@code f(eps)}. */
        public float eps;
        /** {@code f(−lr / (1 − β1^t))}. */
        public float negativeStepSize;
    }

    /**
     * Adam's scalar reference: PyTorch's {@code _single_tensor_adam} and {@code _single_tensor_adamw} (1.13's,
     * or 2.x's with {@code lerp}), one element at a time, each ATen operation computed in float and its result
     * rounded to the tensors' {@code dtype} (once per operation on float32). Each buffer is one of PyTorch's
     * tensors, whose scalar tail ({@link Format#pyTorchTail}) rounds the product of each {@code add} too.
     */
    public record Scalar(Flags flags, Format dtype) implements UpdateKernel<Coefficients> {
        @Override
        public void step(MemorySegment param, MemorySegment grad, MemorySegment[] state, Coefficients c, long from,
                         long to) {
            MemorySegment expAvg = state[0];
            MemorySegment expAvgSq = state[1];
            MemorySegment maxExpAvgSq = flags.amsgrad() ? state[2] : null;
            long tail = dtype.pyTorchTail(param);
            for (long i = from; i < to; i++) {
                boolean roundedProduct = i >= tail;
                float p = dtype.load(param, i);
                float g = Moments.update(dtype, p, grad, expAvg, expAvgSq, i, flags.maximize(), flags.weightDecay(),
                        flags.lerp(), c, roundedProduct);
                p = Moments.decayed(dtype, p, flags.weightDecay(), c);
                float m = dtype.load(expAvg, i);
                float v = dtype.load(expAvgSq, i);
                if (flags.amsgrad()) {
                    v = Math.max(dtype.load(maxExpAvgSq, i), v);
                    dtype.store(maxExpAvgSq, i, v);
                }
                float denom = Moments.denominator(dtype, v, c.biasCorrection2Sqrt, c.eps);
                dtype.store(param, i, dtype.round(p + c.negativeStepSize * m / denom));
            }
        }
    }
}
