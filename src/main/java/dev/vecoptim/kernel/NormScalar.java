package dev.vecoptim.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The scalar reference of {@link NormKernel}, written as its definition: each of the 16 partial sums in a
 * strided pass of its own (no array of sums: a step allocates nothing), then the partial sums in order.
 */
public final class NormScalar implements NormKernel {
    // Unaligned: callers may slice segments at any byte offset.
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;

    @Override
    public double sumOfSquares(MemorySegment grad, long from, long to) {
        double total = 0;
        for (int partial = 0; partial < PARTIAL_SUMS; partial++) {
            double sum = 0;
            for (long i = from + partial; i < to; i += PARTIAL_SUMS) {
                double g = grad.getAtIndex(FLOAT, i);
                sum = Math.fma(g, g, sum);
            }
            total += sum;
        }
        return total;
    }

    @Override
    public void scale(MemorySegment grad, float factor, long from, long to) {
        for (long i = from; i < to; i++) {
            grad.setAtIndex(FLOAT, i, grad.getAtIndex(FLOAT, i) * factor);
        }
    }
}
