package dev.vecoptim.kernel;

import static dev.vecoptim.kernel.Floats.FLOAT;

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
    public record Scalar(Flags flags) implements UpdateKernel<Coefficients> {
        @Override
        public void step(MemorySegment param, MemorySegment grad, MemorySegment[] state, Coefficients c, long from,
                         long to) {
            MemorySegment expAvg = state[0];
            MemorySegment expAvgSq = state[1];
            float muProductBefore = state[2].get(FLOAT, 0);
            float gradCoefficient = c.gradCoefficient(muProductBefore);
            float expAvgCoefficient = c.expAvgCoefficient(muProductBefore);
            for (long i = from; i < to; i++) {
                float p = param.getAtIndex(FLOAT, i);
                float g = Gradient.effective(grad.getAtIndex(FLOAT, i), p, flags.maximize(),
                        flags.weightDecay() == WeightDecay.L2, c.weightDecay);
                if (flags.weightDecay() == WeightDecay.DECOUPLED) {
                    p *= c.decayFactor;
                }
                float previous = expAvg.getAtIndex(FLOAT, i);
                float m = RunningAverage.of(previous, g, flags.lerp(), c.beta1, c.beta1Complement);
                expAvg.setAtIndex(FLOAT, i, m);
                float v = RunningAverage.ofSquares(expAvgSq.getAtIndex(FLOAT, i), g, c.beta2, c.beta2Complement);
                expAvgSq.setAtIndex(FLOAT, i, v);
                float denom = (float) Math.sqrt(v / c.biasCorrection2) + c.eps;
                // Two addcdiv_ calls, each rounding the parameter: (value · tensor1) / tensor2, then the sum.
                p += gradCoefficient * g / denom;
                param.setAtIndex(FLOAT, i, p + expAvgCoefficient * m / denom);
            }
        }
    }
}
