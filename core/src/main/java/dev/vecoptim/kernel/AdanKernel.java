package dev.vecoptim.kernel;

import java.lang.foreign.MemorySegment;

/**
 * Adan's kernel family: its {@link Flags}, its {@link Coefficients} and its scalar reference {@link Scalar}; the
 * vector loop is {@code AdanVector}. The state is {@code exp_avg}, {@code exp_avg_sq}, {@code exp_avg_diff} and
 * {@code neg_pre_grad}.
 */
public final class AdanKernel {

    public static final KernelFamily<UpdateKernel<Coefficients>, Flags> FAMILY =
            KernelFamily.update(AdanKernel.class, Scalar::new);

    private AdanKernel() {
    }

    /**
     * Which branches of Adan's update a kernel takes.
     *
     * @param firstStep the reference's first step: {@code neg_pre_grad} is minus this step's gradient, not read
     * @param noProx decay the parameter by multiplying it before the update, instead of dividing it after
     * @param weightDecay decay the parameter at all
     */
    public record Flags(boolean firstStep, boolean noProx, boolean weightDecay) {
    }

    /**
     * Adan's coefficients for one step: on float32 tensors each is {@code f(x)}; on 16-bit ones each is what
     * PyTorch's operation computes with ({@link ScalarOperands}).
     */
    public static final class Coefficients {
        /** {@code β1}, a factor. */
        public float beta1;
        /** {@code 1 − β1}, an alpha. */
        public float beta1Complement;
        /** {@code β2}, a factor. */
        public float beta2;
        /** {@code 1 − β2}, an alpha. */
        public float beta2Complement;
        /** {@code β3}, a factor. */
        public float beta3;
        /** {@code 1 − β3}, the value of {@code addcmul}. */
        public float beta3Complement;
        /** {@code sqrt(1 − β3^t)}, a divisor. */
        public float biasCorrection3Sqrt;
        /** {@code eps}, a scalar added. */
        public float eps;
        /** {@code −lr / (1 − β1^t)}, the value of {@code addcdiv}. */
        public float negativeStepSize;
        /** {@code −lr · β2 / (1 − β2^t)}, the value of {@code addcdiv}. */
        public float negativeDiffStepSize;
        /** {@code 1 − lr·weight_decay}, a factor, with no_prox. */
        public float decayFactor;
        /** {@code 1 + lr·weight_decay}, a divisor, without no_prox. */
        public float decayDivisor;
        /** How the tensors' operations round: 1.13's float16 {@code add} rounds its product first. */
        public ScalarOperands operands = ScalarOperands.FLOAT32;
    }

    /**
     * Adan's scalar reference: the step of sail-sg's {@code _single_tensor_adan}, one element at a time, each ATen
     * operation computed in float and its result rounded to the tensors' {@code dtype}, products rounded first where
     * PyTorch's scalar tail and 1.13's float16 round them ({@link Format#pyTorchTail}).
     */
    public record Scalar(Flags flags, Format dtype) implements UpdateKernel<Coefficients> {
        @Override
        public void step(MemorySegment param, MemorySegment grad, MemorySegment[] state, Coefficients c, long from,
                         long to) {
            MemorySegment expAvg = state[0];
            MemorySegment expAvgSq = state[1];
            MemorySegment expAvgDiff = state[2];
            MemorySegment negPreGrad = state[3];
            long tail = c.operands.roundedProduct() ? from : dtype.pyTorchTail(param);
            for (long i = from; i < to; i++) {
                boolean roundedProduct = i >= tail;
                float g = dtype.load(grad, i);
                float difference = dtype.round((flags.firstStep() ? -g : dtype.load(negPreGrad, i)) + g);
                float m = RunningAverage.of(dtype, dtype.load(expAvg, i), g, false, c.beta1, c.beta1Complement,
                        roundedProduct);
                float d = RunningAverage.of(dtype, dtype.load(expAvgDiff, i), difference, false, c.beta2,
                        c.beta2Complement, roundedProduct);
                float nesterov = dtype.round(dtype.round(difference * c.beta2) + g);
                float v = RunningAverage.ofSquares(dtype, dtype.load(expAvgSq, i), nesterov, c.beta3, c.beta3Complement);
                dtype.store(expAvg, i, m);
                dtype.store(expAvgDiff, i, d);
                dtype.store(expAvgSq, i, v);
                float denom = Moments.denominator(dtype, v, c.biasCorrection3Sqrt, c.eps);
                float p = dtype.load(param, i);
                if (flags.weightDecay() && flags.noProx()) {
                    p = dtype.round(p * c.decayFactor);
                }
                p = dtype.round(p + c.negativeStepSize * m / denom);
                p = dtype.round(p + c.negativeDiffStepSize * d / denom);
                if (flags.weightDecay() && !flags.noProx()) {
                    p = dtype.round(p / c.decayDivisor);
                }
                dtype.store(param, i, p);
                // zero_().add_(grad, alpha=-1): 0 + −g, exact, and +0 for a zero gradient of either sign.
                dtype.store(negPreGrad, i, 0 - g);
            }
        }
    }
}
