package dev.vecoptim.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The two passes of gradient clipping by norm over {@code [from, to)} of a float32 segment.
 *
 * <p>The sum of squares is defined so that it does not depend on the vector width: each square is exact in
 * double; element {@code from + i} is added, in order, to partial sum {@code i mod 16}; the 16 partial sums
 * are then added in order 0 to 15. Every implementation gives the same bits.
 */
public interface NormKernel {

    KernelFamily<NormKernel, NoFlags> FAMILY =
            new KernelFamily<>("NormVector", NormKernel.class, flags -> new Scalar());

    /** Number of partial sums: the elements of one 512-bit vector, the widest. */
    int PARTIAL_SUMS = 16;

    /** Σ g² over the range, in double, in the order above; NaN or +∞ when any g is. */
    double sumOfSquares(MemorySegment grad, long from, long to);

    /** {@code g = rn(g · factor)} over the range. */
    void scale(MemorySegment grad, float factor, long from, long to);

    /**
     * The scalar reference of {@link NormKernel}, written as its definition: each of the 16 partial sums in a
     * strided pass of its own (no array of sums: a step allocates nothing), then the partial sums in order.
     */
    final class Scalar implements NormKernel {
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
}
