package dev.vecoptim.kernel;

import java.lang.foreign.MemorySegment;

/**
 * The two passes of gradient clipping by norm over {@code [from, to)} of a float32 segment.
 *
 * <p>The sum of squares is defined so that it does not depend on the vector width: each square is exact in
 * double; element {@code from + i} is added, in order, to partial sum {@code i mod 16}; the 16 partial sums
 * are then added in order 0 to 15. Every implementation gives the same bits.
 */
public interface NormKernel {

    /** Number of partial sums: the elements of one 512-bit vector, the widest. */
    int PARTIAL_SUMS = 16;

    /** Σ g² over the range, in double, in the order above; NaN or +∞ when any g is. */
    double sumOfSquares(MemorySegment grad, long from, long to);

    /** {@code g = rn(g · factor)} over the range. */
    void scale(MemorySegment grad, float factor, long from, long to);
}
