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
}
