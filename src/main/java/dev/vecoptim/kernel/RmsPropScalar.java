package dev.vecoptim.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * RMSProp's scalar reference: PyTorch 1.13's {@code _single_tensor_rmsprop}, one element at a time, one
 * rounding per ATen operation. Also the tail of every RMSProp vector kernel, and the whole update when
 * SIMD is off.
 */
public final class RmsPropScalar implements RmsPropKernel {
    // Unaligned: callers may slice segments at any byte offset.
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private final RmsPropFlags flags;

    public RmsPropScalar(RmsPropFlags flags) {
        this.flags = flags;
    }

    @Override
    public void step(MemorySegment param, MemorySegment grad, MemorySegment squareAvg, MemorySegment gradAvg,
                     MemorySegment momentumBuffer, float weightDecay, float alpha, float alphaComplement, float eps,
                     float momentum, float negativeLr, long from, long to) {
        for (long i = from; i < to; i++) {
            float p = param.getAtIndex(FLOAT, i);
            float g = Gradient.effective(grad.getAtIndex(FLOAT, i), p, flags.maximize(), flags.weightDecay(),
                    weightDecay);
            float sq = Math.fma(alphaComplement * g, g, squareAvg.getAtIndex(FLOAT, i) * alpha);
            squareAvg.setAtIndex(FLOAT, i, sq);
            float avg;
            if (flags.centered()) {
                float ga = Math.fma(g, alphaComplement, gradAvg.getAtIndex(FLOAT, i) * alpha);
                gradAvg.setAtIndex(FLOAT, i, ga);
                avg = (float) Math.sqrt(Math.fma(-ga, ga, sq));
            } else {
                avg = (float) Math.sqrt(sq);
            }
            avg += eps;
            if (flags.momentum()) {
                float buf = momentumBuffer.getAtIndex(FLOAT, i) * momentum + g / avg;
                momentumBuffer.setAtIndex(FLOAT, i, buf);
                p = Math.fma(buf, negativeLr, p);
            } else {
                p += negativeLr * g / avg;
            }
            param.setAtIndex(FLOAT, i, p);
        }
    }
}
