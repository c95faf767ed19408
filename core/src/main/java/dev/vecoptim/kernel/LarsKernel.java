package dev.vecoptim.kernel;

import java.lang.foreign.MemorySegment;

/**
 * LARS's kernel family: its {@link Flags}, its {@link Coefficients} and its scalar reference {@link Scalar}; the
 * vector loop is {@code LarsVector}. The state is the {@code momentum_buffer}, with momentum only. Its update is
 * layer-wise: {@link UpdateKernel#prepareParameter} works out each parameter's trust ratio from the norms of the
 * whole parameter and of its gradient before any range of it steps.
 */
public final class LarsKernel {
    public static final KernelFamily<UpdateKernel<Coefficients>, Flags> FAMILY =
            KernelFamily.update(LarsKernel.class, Scalar::new);

    private LarsKernel() {
    }

    /**
     * Which branches of LARS's update a kernel takes; nesterov and firstStep only exist with momentum.
     *
     * @param adapt add {@code weight_decay · p} to the gradient and multiply it by the trust ratio (with a weight
     *     decay, or {@code always_adapt})
     * @param momentum keep a momentum buffer
     * @param nesterov use Nesterov's look-ahead gradient
     * @param firstStep the momentum buffer is set to the adapted gradient instead of being decayed (the first step)
     */
    public record Flags(boolean adapt, boolean momentum, boolean nesterov, boolean firstStep) {
        public Flags {
            SgdKernel.Flags.checkMomentum(momentum, nesterov, firstStep);
        }
    }

    /**
     * LARS's coefficients for one step and, once {@link UpdateKernel#prepareParameter} has run, one parameter: on
     * float32 tensors each is {@code f(x)}; on 16-bit ones each is what PyTorch's operation computes with
     * ({@link ScalarOperands}).
     */
    public static final class Coefficients extends SgdKernel.Coefficients {
        /** {@code weight_decay}, the factor of {@code w_norm · weight_decay} (its alpha is {@link #weightDecay}). */
        public float weightDecayFactor;
        /** {@code trust_coeff}, a factor. */
        public float trustCoeff;
        /** {@code eps}, a scalar added. */
        public float eps;
        /** Whether the trust ratio is divided by {@code lr} and clamped to at most 1 (LARC's clipping). */
        public boolean trustClip;
        /** {@code lr}, the divisor of a clipped trust ratio. */
        public float lrDivisor;
        /** The sums of squares of float32 tensors, at the optimizer's width (every width gives the same bits). */
        public NormKernel norms = new NormKernel.Scalar();
        /** Whether the norms' lanes fuse each add, as PyTorch 1.13's build does. */
        public boolean laneFma;
        /** This parameter's trust ratio, of the tensors' dtype: set by {@link UpdateKernel#prepareParameter}. */
        public float trustRatio;
        /** The norms of the parameter and of its gradient, while {@link UpdateKernel#prepareParameter} sums them. */
        public final PyTorchNormPair normPair = new PyTorchNormPair();
    }

    /**
     * LARS's scalar reference: the step of timm's {@code Lars}, one element at a time, each ATen operation computed
     * in float and its result rounded to the tensors' {@code dtype}, products rounded first where PyTorch's scalar
     * tail and 1.13's float16 round them ({@link Format#pyTorchTail}).
     */
    public record Scalar(Flags flags, Format dtype) implements UpdateKernel<Coefficients> {
        @Override
        public void step(MemorySegment param, MemorySegment grad, MemorySegment[] state, Coefficients c, long from,
                         long to) {
            MemorySegment momentumBuffer = flags.momentum() ? state[0] : null;
            long tail = c.operands.roundedProduct() ? from : dtype.pyTorchTail(param);
            for (long i = from; i < to; i++) {
                boolean roundedProduct = i >= tail;
                float p = dtype.load(param, i);
                float g = dtype.load(grad, i);
                if (flags.adapt()) {
                    g = dtype.round(ScaledAdd.of(dtype, g, p, c.weightDecay, roundedProduct) * c.trustRatio);
                }
                dtype.store(param, i, SgdKernel.descend(dtype, p, g, momentumBuffer, i, flags.nesterov(),
                        flags.firstStep(), c, roundedProduct));
            }
        }

        /**
         * The trust ratio, from {@code w = ‖p‖} and {@code g = ‖grad‖}, each PyTorch's float32 norm
         * ({@link NormKernel#pyTorchSumOfSquares}, its square root) rounded to the dtype, as {@code torch.norm}
         * gives them (on float16 under 1.13, its float16 sum, {@link NormKernel.Scalar#pyTorch113Float16SumOfSquares});
         * every operation on them rounds to the dtype, as on PyTorch's 0-dimensional tensors:
         * <pre>
         * ratio = trust_coeff · w / ((g + w · weight_decay) + eps), or 1 unless w &gt; 0 and g &gt; 0
         * ratio = min(ratio / lr, 1)                                  (trust_clip)
         * </pre>
         */
        @Override
        public void prepareParameter(MemorySegment param, MemorySegment grad, MemorySegment[] state, Coefficients c,
                                     long from, long to, boolean first, boolean last) {
            if (!flags.adapt()) {
                return;
            }
            c.normPair.add(c.norms, param, grad, dtype, dtype, c.laneFma, from, to, first, last);
            if (!last) {
                return;
            }
            float w = c.normPair.first();
            float g = c.normPair.second();
            float ratio = dtype.round(dtype.round(c.trustCoeff * w)
                    / dtype.round(dtype.round(g + dtype.round(w * c.weightDecayFactor)) + c.eps));
            ratio = w > 0 && g > 0 ? ratio : 1;
            c.trustRatio = c.trustClip ? Math.min(dtype.round(ratio / c.lrDivisor), 1) : ratio;
        }
    }
}
