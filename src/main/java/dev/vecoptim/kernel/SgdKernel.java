package dev.vecoptim.kernel;

import java.lang.foreign.MemorySegment;

/**
 * SGD's update over the elements {@code [from, to)} of float32 segments, in place. The flags are fixed
 * when the kernel is made ({@link SgdFlags}); the coefficients are floats already rounded from their
 * double expressions, as PyTorch rounds them. Kernels assume valid input: the caller has checked sizes,
 * liveness and overlap.
 */
public interface SgdKernel {

    /**
     * @param momentumBuffer read and written only with momentum
     * @param weightDecay {@code f(weight_decay)}
     * @param momentum {@code f(momentum)}
     * @param dampeningComplement {@code f(1 − dampening)}
     * @param negativeLr {@code f(−lr)}
     */
    void step(MemorySegment param, MemorySegment grad, MemorySegment momentumBuffer,
              float weightDecay, float momentum, float dampeningComplement, float negativeLr,
              long from, long to);
}
