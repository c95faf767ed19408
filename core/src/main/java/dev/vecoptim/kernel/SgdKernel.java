package dev.vecoptim.kernel;

import java.lang.foreign.MemorySegment;

/**
 * SGD's kernel family: its {@link Flags}, its {@link Coefficients} and its scalar reference {@link Scalar}; the
 * vector loop is {@code SgdVector}. The state is the {@code momentum_buffer}, with momentum only.
 */
public final class SgdKernel {
    public static final KernelFamily<UpdateKernel<Coefficients>, Flags> FAMILY =
            KernelFamily.update(SgdKernel.class, Scalar::new);

    private SgdKernel() {
    }

    /**
     * Which branches of SGD's update a kernel takes. A vector kernel is specialised per flag combination (the
     * flags are constants to C2), so they must be canonical: nesterov and firstStep only exist with momentum.
     *
     * @param maximize negate the gradient first
     * @param weightDecay add {@code weight_decay · p} to the gradient
     * @param momentum keep a momentum buffer
     * @param nesterov use Nesterov's look-ahead gradient
     * @param firstStep the momentum buffer is set to the gradient instead of being decayed (PyTorch's first step)
     */
    public record Flags(boolean maximize, boolean weightDecay, boolean momentum, boolean nesterov, boolean firstStep) {
        public Flags {
            checkMomentum(momentum, nesterov, firstStep);
        }

        /** Refuses nesterov or firstStep without momentum: flags of SGD's momentum, wherever it is used, are canonical. */
        static void checkMomentum(boolean momentum, boolean nesterov, boolean firstStep) {
            if (!momentum && (nesterov || firstStep)) {
                throw new IllegalArgumentException("nesterov and firstStep need momentum: " + nesterov + ", "
                        + firstStep);
            }
        }
    }

    /**
     * SGD's coefficients for one step: on float32 tensors each is {@code f(x)}; on 16-bit ones each is what
     * PyTorch's operation computes with ({@link ScalarOperands}).
     */
    public static class Coefficients {
        /** {@code weight_decay}, an alpha. */
        public float weightDecay;
        /** {@code momentum}, the factor of the buffer. */
        public float momentum;
        /** {@code momentum}, the alpha of Nesterov's look-ahead. */
        public float nesterovMomentum;
        /** {@code 1 − dampening}, an alpha. */
        public float dampeningComplement;
        /** {@code −lr}, an alpha. */
        public float negativeLr;
        /** How the tensors' operations round: 1.13's float16 {@code add} rounds its product first. */
        public ScalarOperands operands = ScalarOperands.FLOAT32;
    }

    /**
     * SGD's scalar reference: PyTorch's {@code _single_tensor_sgd} (1.13's and 2.x's alike), one element at a
     * time, each ATen operation computed in float and its result rounded to the tensors' {@code dtype}. Each
     * buffer is one of PyTorch's tensors, whose scalar tail ({@link Format#pyTorchTail}) rounds each product too.
     */
    public record Scalar(Flags flags, Format dtype) implements UpdateKernel<Coefficients> {
        @Override
        public void step(MemorySegment param, MemorySegment grad, MemorySegment[] state, Coefficients c, long from,
                         long to) {
            MemorySegment momentumBuffer = flags.momentum() ? state[0] : null;
            // 1.13's float16 rounds every product; PyTorch's scalar tail does on any 16-bit dtype.
            long tail = c.operands.roundedProduct() ? from : dtype.pyTorchTail(param);
            for (long i = from; i < to; i++) {
                boolean roundedProduct = i >= tail;
                float p = dtype.load(param, i);
                float g = Gradient.effective(dtype, dtype.load(grad, i), p, flags.maximize(), flags.weightDecay(),
                        c.weightDecay, roundedProduct);
                dtype.store(param, i, descend(dtype, p, g, momentumBuffer, i, flags.nesterov(), flags.firstStep(), c,
                        roundedProduct));
            }
        }
    }

    /**
     * SGD's update of element {@code i} from its gradient {@code g}, as PyTorch's step rounds it on tensors of
     * {@code dtype}: the momentum buffer (unless null) set to g at the first step, else {@code b·μ + g·(1 −
     * dampening)}, g then the buffer or Nesterov's look-ahead; returns the parameter moved by {@code −lr · g}. The
     * scalar references' one copy, for SGD and an optimizer built on its momentum.
     */
    static float descend(Format dtype, float p, float g, MemorySegment momentumBuffer, long i, boolean nesterov,
                         boolean firstStep, Coefficients c, boolean roundedProduct) {
        if (momentumBuffer != null) {
            float buf = firstStep
                    ? g
                    : RunningAverage.of(dtype, dtype.load(momentumBuffer, i), g, false, c.momentum,
                            c.dampeningComplement, roundedProduct);
            dtype.store(momentumBuffer, i, buf);
            g = nesterov ? ScaledAdd.of(dtype, g, buf, c.nesterovMomentum, roundedProduct) : buf;
        }
        return ScaledAdd.of(dtype, p, g, c.negativeLr, roundedProduct);
    }
}
