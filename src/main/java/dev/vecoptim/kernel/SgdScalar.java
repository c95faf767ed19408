package dev.vecoptim.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * SGD's scalar reference: PyTorch 1.13's {@code _single_tensor_sgd}, one element at a time, one rounding
 * per ATen operation. Also the tail of every SGD vector kernel, and the whole update when SIMD is off.
 */
public final class SgdScalar implements SgdKernel {
    // Unaligned: callers may slice segments at any byte offset.
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private final SgdFlags flags;

    public SgdScalar(SgdFlags flags) {
        this.flags = flags;
    }

    @Override
    public void step(MemorySegment param, MemorySegment grad, MemorySegment momentumBuffer,
                     float weightDecay, float momentum, float dampeningComplement, float negativeLr,
                     long from, long to) {
        for (long i = from; i < to; i++) {
            float p = param.getAtIndex(FLOAT, i);
            float g = Gradient.effective(grad.getAtIndex(FLOAT, i), p, flags.maximize(), flags.weightDecay(),
                    weightDecay);
            if (flags.momentum()) {
                float buf = flags.firstStep()
                        ? g
                        : Math.fma(g, dampeningComplement, momentumBuffer.getAtIndex(FLOAT, i) * momentum);
                momentumBuffer.setAtIndex(FLOAT, i, buf);
                g = flags.nesterov() ? Math.fma(buf, momentum, g) : buf;
            }
            param.setAtIndex(FLOAT, i, Math.fma(g, negativeLr, p));
        }
    }
}
