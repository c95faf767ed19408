package dev.vecoptim.kernel;

import java.lang.foreign.MemorySegment;

/**
 * RMSProp's update over the elements {@code [from, to)} of float32 segments, in place, with the flags
 * fixed when the kernel is made ({@link RmsPropFlags}) and coefficients already rounded to float.
 * Kernels assume valid input.
 */
public interface RmsPropKernel {

    /**
     * @param gradAvg read and written only when centered
     * @param momentumBuffer read and written only with momentum
     * @param weightDecay {@code f(weight_decay)}
     * @param alpha {@code f(alpha)}
     * @param alphaComplement {@code f(1 − alpha)}
     * @param eps {@code f(eps)}
     * @param momentum {@code f(momentum)}
     * @param negativeLr {@code f(−lr)}
     */
    void step(MemorySegment param, MemorySegment grad, MemorySegment squareAvg, MemorySegment gradAvg,
              MemorySegment momentumBuffer, float weightDecay, float alpha, float alphaComplement, float eps,
              float momentum, float negativeLr, long from, long to);
}
