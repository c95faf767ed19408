package dev.vecoptim.kernel;

import java.lang.foreign.MemorySegment;

/**
 * NAdam's kernel family: its {@link Flags}, its {@link Coefficients} and its scalar reference {@link Scalar}; the
 * vector loop is {@code NAdamVector}. The state is {@code exp_avg}, {@code exp_avg_sq}, then the parameter's
 * {@code mu_product} as it was before this step, from which each call works out the parameter's own two
 * coefficients ({@link Coefficients#gradCoefficient}, {@link Coefficients#expAvgCoefficient}).
 */
public final class NAdamKernel {

    public static final KernelFamily<UpdateKernel<Coefficients>, Flags> FAMILY =
            KernelFamily.update(NAdamKernel.class, Scalar::new);

    private NAdamKernel() {
    }

    /**
     * Which branches of NAdam's update a kernel takes.
     *
     * @param maximize negate the gradient first
     * @param weightDecay none, L2 or decoupled
     * @param lerp PyTorch 2.x: the first moment is {@code exp_avg.lerp_(grad, 1 − β1)} ({@link Lerp})
     */
    public record Flags(boolean maximize, WeightDecay weightDecay, boolean lerp) {
        public Flags {
            java.util.Objects.requireNonNull(weightDecay, "weightDecay");
        }
    }

    /** NAdam's coefficients for one step beyond {@link MomentCoefficients}: floats rounded once, and what its scalars need. */
    public static final class Coefficients extends MomentCoefficients {
        /** {@code f(1 − β2^t)}. */
        public float biasCorrection2;
        /** {@code f(eps)}. */
        public float eps;
        /** The learning rate. */
        public double lr;
        /** {@code μ_t}, this step's momentum. */
        public double mu;
        /** {@code μ_{t+1}}, the next step's. */
        public double muNext;
        /**
         * PyTorch 1.13: {@code μ_product_next} is a float product, {@code rn(rn(μ_product · f(μ_t)) · f(μ_{t+1}))};
         * 2.x works it out in double.
         */
        public boolean floatMuProductNext;

        /**
         * {@code f(−lr·(1 − μ_t) / (1 − μ_product))}, the gradient's share of the update, for a parameter whose
         * {@code mu_product} was {@code muProductBefore} before this step.
         */
        public float gradCoefficient(float muProductBefore) {
            double muProduct = muProductBefore * (float) mu;
            return (float) (-lr * (1 - mu) / (1 - muProduct));
        }

        /** {@code f(−lr·μ_{t+1} / (1 − μ_product_next))}, the first moment's share, as above. */
        public float expAvgCoefficient(float muProductBefore) {
            float muProduct = muProductBefore * (float) mu;
            double muProductNext = floatMuProductNext ? muProduct * (float) mu * (float) muNext
                    : (double) muProduct * muNext;
            return (float) (-lr * muNext / (1 - muProductNext));
        }
    }

    /**
     * NAdam's scalar reference: PyTorch's {@code _single_tensor_nadam} (1.13's, or 2.x's with {@code lerp}), one
     * element at a time, one rounding per ATen operation.
     */
    public record Scalar(Flags flags, Format dtype) implements UpdateKernel<Coefficients> {
        @Override
        public void step(MemorySegment param, MemorySegment grad, MemorySegment[] state, Coefficients c, long from,
                         long to) {
            MemorySegment expAvg = state[0];
            MemorySegment expAvgSq = state[1];
            float muProductBefore = state[2].get(Floats.FLOAT, 0);
            float gradCoefficient = c.gradCoefficient(muProductBefore);
            float expAvgCoefficient = c.expAvgCoefficient(muProductBefore);
            long tail = dtype.pyTorchTail(param);
            for (long i = from; i < to; i++) {
                boolean roundedProduct = i >= tail;
                float p = dtype.load(param, i);
                float g = Moments.update(dtype, p, grad, expAvg, expAvgSq, i, flags.maximize(), flags.weightDecay(),
                        flags.lerp(), c, roundedProduct);
                p = Moments.decayed(dtype, p, flags.weightDecay(), c);
                float m = dtype.load(expAvg, i);
                float v = dtype.load(expAvgSq, i);
                float denom = dtype.round(dtype.round((float) Math.sqrt(dtype.round(v / c.biasCorrection2))) + c.eps);
                // Two addcdiv_ calls, each rounding the parameter: (value · tensor1) / tensor2, then the sum.
                p = dtype.round(p + gradCoefficient * g / denom);
                dtype.store(param, i, dtype.round(p + expAvgCoefficient * m / denom));
            }
        }
    }
}
