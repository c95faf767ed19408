package dev.vecoptim.kernel;

import java.lang.foreign.MemorySegment;

/**
 * Adam's update (also AdamW's and AMSGrad's) over the elements {@code [from, to)} of float32 segments,
 * in place, with the flags fixed when the kernel is made ({@link AdamFlags}) and coefficients already
 * rounded to float. Kernels assume valid input.
 */
public interface AdamKernel {

    /**
     * @param maxExpAvgSq read and written only with AMSGrad
     * @param weightDecay {@code f(weight_decay)}, used with L2 weight decay
     * @param decayFactor {@code f(1 − lr·weight_decay)}, used with decoupled weight decay
     * @param beta1 {@code f(β1)}
     * @param beta1Complement {@code f(1 − β1)}
     * @param beta2 {@code f(β2)}
     * @param beta2Complement {@code f(1 − β2)}
     * @param biasCorrection2Sqrt {@code f(sqrt(1 − β2^t))}
     * @param eps {@code f(eps)}
     * @param negativeStepSize {@code f(−lr / (1 − β1^t))}
     */
    void step(MemorySegment param, MemorySegment grad, MemorySegment expAvg, MemorySegment expAvgSq,
              MemorySegment maxExpAvgSq, float weightDecay, float decayFactor, float beta1, float beta1Complement,
              float beta2, float beta2Complement, float biasCorrection2Sqrt, float eps, float negativeStepSize,
              long from, long to);
}
