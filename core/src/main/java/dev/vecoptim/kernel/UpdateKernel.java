package dev.vecoptim.kernel;

import java.lang.foreign.MemorySegment;

/**
 * One optimizer's update over the elements {@code [from, to)} of a parameter, in place, with the flags fixed when
 * the kernel was made and the coefficients worked out once per step. Every family's scalar reference and vector
 * template implement it; kernels assume valid input (the caller has checked sizes, liveness and overlap). A
 * family's scalar reference ({@code <Name>Kernel.Scalar}, one element at a time, one rounding per ATen operation of
 * what it reproduces) is also the tail of each of its vector kernels, and the whole update when SIMD is off; its
 * {@code Flags} are the branches a kernel takes, constants to C2 in a vector kernel.
 *
 * @param <C> the family's coefficients: each a hyper-parameter expression already rounded to float, as PyTorch
 *     rounds it, named
 */
public interface UpdateKernel<C> {

    /**
     * @param param the parameter, float32, updated in place
     * @param grad its gradient, only read
     * @param state the optimizer's state buffers in its order (those its flags use), then the segments of one
     *     float that hold its per-parameter scalars, only read
     * @param coefficients this step's coefficients, only read
     */
    void step(MemorySegment param, MemorySegment grad, MemorySegment[] state, C coefficients, long from, long to);

    /**
     * Works out what this parameter's update needs from all of it, before {@link #step} runs over any range of it: a
     * layer-wise optimizer's norms of the whole parameter and of its gradient or update, and from them its trust ratio,
     * written into {@code coefficients}, which are then this parameter's own. Called over consecutive ranges that cover
     * the parameter in order, as many as its caller keeps in memory at once: {@code [from, to)} of the segments given
     * holds the next elements of the parameter, the first call says {@code first} and the last {@code last}, and every
     * range but the last holds a multiple of {@value #PREPARED_MULTIPLE} elements, so that an element's position in its
     * range is its position in the parameter modulo {@value #PREPARED_MULTIPLE}. Writes none of the buffers: what it
     * needs of the step (the update a trust ratio scales) it computes again as the step will. Nothing for an
     * element-wise update, the default.
     *
     * @param param elements of the parameter, float32 for a float32 kernel
     * @param grad the same elements of its gradient
     * @param state as for {@link #step}, only read; a {@link WidenedKernel} finds its master there
     * @param coefficients this step's coefficients, completed for this parameter
     */
    default void prepareParameter(MemorySegment param, MemorySegment grad, MemorySegment[] state, C coefficients,
                                  long from, long to, boolean first, boolean last) {
    }

    /** What every range but the last that {@link #prepareParameter} is given holds a multiple of. */
    int PREPARED_MULTIPLE = 64;
}
