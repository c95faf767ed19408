package dev.vecoptim.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Schedule-Free AdamW's kernel family: its {@link Flags}, its {@link Coefficients} and its scalar reference
 * {@link Scalar}; the vector loop is {@code AdamWScheduleFreeVector}. The state is {@code z} and {@code exp_avg_sq},
 * then the parameter's {@code weight_sum} and {@code lr_max}, each a segment of one double.
 */
public final class AdamWScheduleFreeKernel {

    public static final KernelFamily<UpdateKernel<Coefficients>, Flags> FAMILY =
            KernelFamily.update(AdamWScheduleFreeKernel.class, Scalar::new);

    private AdamWScheduleFreeKernel() {
    }

    /**
     * Which branches of the update a kernel takes.
     *
     * @param firstStep the reference's first step: {@code z} starts at the parameter, and is not read
     * @param weightDecay add {@code weight_decay · y} to the normalised gradient
     */
    public record Flags(boolean firstStep, boolean weightDecay) {
    }

    /**
     * The coefficients of one step: those of the step number and learning rate, and the averaging weight that a
     * parameter's {@code weight_sum} and {@code lr_max} give, worked out in double as the reference does in Python
     * floats; on float32 tensors each operand is {@code f(x)}, on 16-bit ones what PyTorch's operation computes
     * with ({@link ScalarOperands}).
     */
    public static final class Coefficients {
        /** The step's learning rate, warmed up: {@code lr · min(1, (k+1) / warmup_steps)}. */
        public double lr;
        /** {@code β1}. */
        public double beta1;
        /** {@code (k+1)^r}, the step number's part of the averaging weight. */
        public double stepPower;
        /** {@code weight_lr_power}. */
        public double weightLrPower;
        /**
         * The step's averaging weight where {@code lr_max} is this step's lr, as it is unless a schedule lowered lr:
         * {@code (k+1)^r · lr^weight_lr_power}, worked out once a step rather than once a call (a widened step calls
         * the kernel every 512 elements).
         */
        public double weightAtLr;
        /** {@code β2}, a factor. */
        public float beta2;
        /** {@code 1 − β2}, the value of {@code addcmul}. */
        public float beta2Complement;
        /** {@code 1 − β2^(k+1)}, a divisor. */
        public float biasCorrection2;
        /** {@code eps}, a scalar added. */
        public float eps;
        /** {@code weight_decay}, an alpha. */
        public float weightDecay;
        /** {@code −lr}, the alpha of {@code z}'s step. */
        public float negativeLr;
        /** How the tensors' operations round: 1.13's float16 {@code add} rounds its product first. */
        public ScalarOperands operands = ScalarOperands.FLOAT32;

        /** {@code ckp1 = weight / weight_sum}, or 0 where weight_sum is 0 (Python's ZeroDivisionError, caught). */
        double averagingWeight(double weightSumBefore, double lrMaxBefore) {
            double lrMax = lrMax(lr, lrMaxBefore);
            double weight = lrMax == lr ? weightAtLr : weight(stepPower, lrMax, weightLrPower);
            double weightSum = weightSumBefore + weight;
            return weightSum == 0 ? 0 : weight / weightSum;
        }

        /** {@code f(ckp1)}, the weight of {@code y.lerp_(z, ckp1)}, for the parameter whose scalars {@code state} holds. */
        float lerpWeight(MemorySegment[] state) {
            return operands.value(averagingWeight(scalar(state[2]), scalar(state[3])));
        }

        /** {@code f(lr · (β1 · (1 − ckp1) − 1))}, the alpha of {@code y}'s step, likewise. */
        float yStep(MemorySegment[] state) {
            double ckp1 = averagingWeight(scalar(state[2]), scalar(state[3]));
            return operands.rounded(lr * (beta1 * (1 - ckp1) - 1));
        }

        private static double scalar(MemorySegment scalar) {
            return scalar.get(ValueLayout.JAVA_DOUBLE_UNALIGNED, 0);
        }
    }

    /** {@code lr_max} after a step at the learning rate {@code lr}: Python's {@code max(lr, lr_max)}. */
    public static double lrMax(double lr, double lrMaxBefore) {
        return lrMaxBefore > lr ? lrMaxBefore : lr;
    }

    /** A step's averaging weight, added to {@code weight_sum}: {@code (k+1)^r · lr_max^weight_lr_power}. */
    public static double weight(double stepPower, double lrMax, double weightLrPower) {
        // StrictMath: Math.pow may differ by an ulp from one JVM or CPU to another; StrictMath never does.
        return stepPower * StrictMath.pow(lrMax, weightLrPower);
    }

    /**
     * The scalar reference: the reference's single-tensor step ({@code foreach=False}), one element at a time, each
     * ATen operation computed in float and its result rounded to the tensors' {@code dtype}, products rounded first
     * where PyTorch's scalar tail and 1.13's float16 round them ({@link Format#pyTorchTail}).
     */
    public record Scalar(Flags flags, Format dtype) implements UpdateKernel<Coefficients> {
        @Override
        public void step(MemorySegment param, MemorySegment grad, MemorySegment[] state, Coefficients c, long from,
                         long to) {
            MemorySegment z = state[0];
            MemorySegment expAvgSq = state[1];
            float lerpWeight = c.lerpWeight(state);
            float yStep = c.yStep(state);
            long tail = c.operands.roundedProduct() ? from : dtype.pyTorchTail(param);
            for (long i = from; i < to; i++) {
                boolean roundedProduct = i >= tail;
                float g = dtype.load(grad, i);
                float v = RunningAverage.ofSquares(dtype, dtype.load(expAvgSq, i), g, c.beta2, c.beta2Complement);
                dtype.store(expAvgSq, i, v);
                float denom = dtype.round(dtype.round((float) Math.sqrt(dtype.round(v / c.biasCorrection2))) + c.eps);
                float y = dtype.load(param, i);
                float u = dtype.round(g / denom);
                if (flags.weightDecay()) {
                    u = ScaledAdd.of(dtype, u, y, c.weightDecay, roundedProduct);
                }
                float zBefore = flags.firstStep() ? y : dtype.load(z, i);
                y = dtype.round(Lerp.of(y, zBefore, lerpWeight));
                dtype.store(param, i, ScaledAdd.of(dtype, y, u, yStep, roundedProduct));
                dtype.store(z, i, ScaledAdd.of(dtype, zBefore, u, c.negativeLr, roundedProduct));
            }
        }
    }
}
