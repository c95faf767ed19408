package dev.vecoptim.kernel;

import java.lang.foreign.MemorySegment;

/**
 * LAMB's kernel family: its {@link Flags}, its {@link Coefficients} and its scalar reference {@link Scalar}; the
 * vector loop is {@code LambVector}. The state is {@code exp_avg} and {@code exp_avg_sq}. Its update is layer-wise:
 * {@link UpdateKernel#prepareParameter} works each parameter's trust ratio out of the norms of the parameter (after
 * its decoupled decay) and of its update, both computed again from the state as the step will, without writing.
 */
public final class LambKernel {
    public static final KernelFamily<UpdateKernel<Coefficients>, Flags> FAMILY =
            KernelFamily.update(LambKernel.class, Scalar::new);

    /** Elements of a block whose parameter and update {@link #prepareInBlocks} computes into scratch at once. */
    static final int BLOCK = 512;
    /** A block's parameters and updates: two scratch segments, not slices of one, whose making would allocate. */
    private static final ScratchMemory PARAMS = new ScratchMemory((long) BLOCK * Float.BYTES);
    private static final ScratchMemory UPDATES = new ScratchMemory((long) BLOCK * Float.BYTES);

    private LambKernel() {
    }

    /**
     * Which branches of LAMB's update a kernel takes.
     *
     * @param weightDecay LAMB's weight decay, {@code weight_decay ≠ 0}
     * @param decoupled the weight decay multiplies the parameter ({@code decoupled_decay}) rather than adding to the
     *     update
     * @param adapt scale the update by the trust ratio ({@code weight_decay ≠ 0} or {@code always_adapt})
     */
    public record Flags(boolean weightDecay, boolean decoupled, boolean adapt) {
    }

    /**
     * LAMB's coefficients for one step and, once {@link UpdateKernel#prepareParameter} has run, one parameter: on
     * float32 tensors each is {@code f(x)}; on 16-bit ones each is what PyTorch's operation computes with
     * ({@link ScalarOperands}). {@code beta1Complement} is β3, the alpha of the gradient's {@code add}: 1 − β1 with
     * {@code grad_averaging}, else 1.
     */
    public static final class Coefficients extends MomentCoefficients {
        /** {@code 1 − β1^t}, or 1 without bias correction: a divisor. */
        public float biasCorrection1;
        /** {@code √(1 − β2^t)}, or 1 without bias correction: a divisor. */
        public float biasCorrection2Sqrt;
        /** {@code eps}, a scalar added. */
        public float eps;
        /** {@code −lr·weight_decay}, the alpha of the decoupled decay {@code p.add_(p, alpha=…)}. */
        public float decoupledDecay;
        /** Whether the trust ratio is clamped to at most 1. */
        public boolean trustClip;
        /** {@code −lr}, an alpha. */
        public float negativeLr;
        /** How the tensors' operations round: 1.13's float16 {@code add} rounds its product first. */
        public ScalarOperands operands = ScalarOperands.FLOAT32;
        /** The sums of squares of float32 tensors, at the optimizer's width (every width gives the same bits). */
        public NormKernel norms = new NormKernel.Scalar();
        /** Whether the norms' lanes fuse each add, as PyTorch 1.13's build does. */
        public boolean laneFma;
        /** This parameter's trust ratio, of the tensors' dtype: set by {@link UpdateKernel#prepareParameter}. */
        public float trustRatio;
        /** The norms of the parameter and of its update, while {@link UpdateKernel#prepareParameter} sums them. */
        public final PyTorchNormPair normPair = new PyTorchNormPair();
    }

    /**
     * {@link UpdateKernel#prepareParameter} for both kernels: the values of each block of the range computed by
     * {@code values} into this thread's scratch, their squares added to PyTorch's lanes there, and at the last range
     * the trust ratio, as timm's {@code _lamb_trust_ratio} takes it of the two norms:
     * <pre>
     * ratio = w / g, or 1 unless w &gt; 0 and g &gt; 0 (a NaN norm gives 1)
     * ratio = min(ratio, 1)                             (trust_clip)
     * </pre>
     */
    static void prepareInBlocks(PreparedValues<Coefficients> values, Flags flags, Format dtype, MemorySegment param,
                                MemorySegment grad, MemorySegment[] state, Coefficients c, long from, long to,
                                boolean first, boolean last) {
        if (!flags.adapt()) {
            return;
        }
        MemorySegment params = PARAMS.beside(param);
        MemorySegment updates = UPDATES.beside(param);
        for (long start = from; start < to; start += BLOCK) {
            int count = (int) Math.min(BLOCK, to - start);
            values.compute(param, grad, state, c, start, count, params, updates, 0);
            boolean lastBlock = last && start + count == to;
            c.normPair.add(c.norms, params, updates, Format.FLOAT32, dtype, c.laneFma, 0, count, first && start == from,
                    lastBlock);
            if (lastBlock) {
                float w = c.normPair.first();
                float g = c.normPair.second();
                float ratio = w > 0 && g > 0 ? dtype.round(w / g) : 1;
                c.trustRatio = c.trustClip ? Math.min(ratio, 1) : ratio;
            }
        }
    }

    /**
     * LAMB's scalar reference: the step of timm's {@code Lamb}, one element at a time, each ATen operation computed
     * in float and its result rounded to the tensors' {@code dtype}, products rounded first where PyTorch's scalar
     * tail and 1.13's float16 round them ({@link Format#pyTorchTail}).
     */
    public record Scalar(Flags flags, Format dtype) implements UpdateKernel<Coefficients>, PreparedValues<Coefficients> {
        @Override
        public void step(MemorySegment param, MemorySegment grad, MemorySegment[] state, Coefficients c, long from,
                         long to) {
            long tail = c.operands.roundedProduct() ? from : dtype.pyTorchTail(param);
            for (long i = from; i < to; i++) {
                boolean roundedProduct = i >= tail;
                float p = decayed(dtype.load(param, i), c, roundedProduct);
                float u = update(param, grad, state, c, i, true, roundedProduct);
                if (flags.adapt()) {
                    u = dtype.round(u * c.trustRatio);
                }
                dtype.store(param, i, ScaledAdd.of(dtype, p, u, c.negativeLr, roundedProduct));
            }
        }

        @Override
        public void prepareParameter(MemorySegment param, MemorySegment grad, MemorySegment[] state, Coefficients c,
                                     long from, long to, boolean first, boolean last) {
            prepareInBlocks(this, flags, dtype, param, grad, state, c, from, to, first, last);
        }

        @Override
        public void compute(MemorySegment param, MemorySegment grad, MemorySegment[] state, Coefficients c, long from,
                            int count, MemorySegment params, MemorySegment updates, int at) {
            long tail = c.operands.roundedProduct() ? 0 : dtype.pyTorchTail(param);
            for (int k = 0; k < count; k++) {
                long i = from + k;
                boolean roundedProduct = i >= tail;
                params.setAtIndex(Floats.FLOAT, at + k, decayed(dtype.load(param, i), c, roundedProduct));
                updates.setAtIndex(Floats.FLOAT, at + k, update(param, grad, state, c, i, false, roundedProduct));
            }
        }

        /** {@code p.add_(p, alpha=−lr·weight_decay)} with a decoupled decay, else p. */
        private float decayed(float p, Coefficients c, boolean roundedProduct) {
            return flags.decoupled() ? ScaledAdd.of(dtype, p, p, c.decoupledDecay, roundedProduct) : p;
        }

        /**
         * Element i's moments (stored when {@code store}) and its update before the trust ratio:
         * {@code (m / bc1) / ((√v / √bc2) + eps)}, plus {@code weight_decay · p} with an L2 decay (of p before any
         * decoupled decay: the reference decays one or the other).
         */
        private float update(MemorySegment param, MemorySegment grad, MemorySegment[] state, Coefficients c, long i,
                             boolean store, boolean roundedProduct) {
            float g = dtype.load(grad, i);
            float m = RunningAverage.of(dtype, dtype.load(state[0], i), g, false, c.beta1, c.beta1Complement,
                    roundedProduct);
            float v = RunningAverage.ofSquares(dtype, dtype.load(state[1], i), g, c.beta2, c.beta2Complement);
            if (store) {
                dtype.store(state[0], i, m);
                dtype.store(state[1], i, v);
            }
            float u = dtype.round(dtype.round(m / c.biasCorrection1)
                    / Moments.denominator(dtype, v, c.biasCorrection2Sqrt, c.eps));
            return flags.weightDecay() && !flags.decoupled()
                    ? ScaledAdd.of(dtype, u, dtype.load(param, i), c.weightDecay, roundedProduct) : u;
        }
    }
}
