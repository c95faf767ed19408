package dev.vecoptim.kernel;

import java.lang.foreign.MemorySegment;

/**
 * Adadelta's kernel family: its {@link Flags}, its {@link Coefficients} and its scalar reference {@link Scalar}; the
 * vector loop is {@code AdadeltaVector}. The state is {@code square_avg}, {@code acc_delta}.
 */
public final class AdadeltaKernel {

    public static final KernelFamily<UpdateKernel<Coefficients>, Flags> FAMILY =
            KernelFamily.update(AdadeltaKernel.class, Scalar::new);

    private AdadeltaKernel() {
    }

    /**
     * Which branches of Adadelta's update a kernel takes.
     *
     * @param maximize negate the gradient first
     * @param weightDecay add {@code weight_decay · p} to the gradient
     */
    public record Flags(boolean maximize, boolean weightDecay) {
    }

    /** Adadelta's coefficients for one step, each rounded once to float. */
    public static final class Coefficients {
        /** {@code f(weight_decay)}. */
        public float weightDecay;
        /** {@code f(rho)}. */
        public float rho;
        /** {@code f(1 − rho)}. */
        public float rhoComplement;
        /** {@code f(eps)}. */
        public float eps;
        /** {@code f(−lr)}. */
        public float negativeLr;
    }

    /**
     * Adadelta's scalar reference: PyTorch's {@code _single_tensor_adadelta} (1.13's and 2.x's alike), one
     * element at a time, one rounding per ATen operation.
     */
    public record Scalar(Flags flags, Format dtype) implements UpdateKernel<Coefficients> {
        @Override
        public void step(MemorySegment param, MemorySegment grad, MemorySegment[] state, Coefficients c, long from,
                         long to) {
            MemorySegment squareAvg = state[0];
            MemorySegment accDelta = state[1];
            long tail = dtype.pyTorchTail(param);
            for (long i = from; i < to; i++) {
                boolean roundedProduct = i >= tail;
                float p = dtype.load(param, i);
                float g = Gradient.effective(dtype, dtype.load(grad, i), p, flags.maximize(), flags.weightDecay(),
                        c.weightDecay, roundedProduct);
                float sq = RunningAverage.ofSquares(dtype, dtype.load(squareAvg, i), g, c.rho, c.rhoComplement);
                dtype.store(squareAvg, i, sq);
                float std = dtype.round((float) Math.sqrt(dtype.round(sq + c.eps)));
                float acc = dtype.load(accDelta, i);
                float delta = dtype.round(dtype.round(dtype.round((float) Math.sqrt(dtype.round(acc + c.eps))) / std) * g);
                dtype.store(accDelta, i, RunningAverage.ofSquares(dtype, acc, delta, c.rho, c.rhoComplement));
                dtype.store(param, i, ScaledAdd.of(dtype, p, delta, c.negativeLr, roundedProduct));
            }
        }
    }
}
