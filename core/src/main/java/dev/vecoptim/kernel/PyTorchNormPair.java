package dev.vecoptim.kernel;

import java.lang.foreign.MemorySegment;

/**
 * PyTorch's norms ({@code torch.norm}) of two tensors of one size, summed over consecutive ranges of them in PyTorch's
 * order: what a layer-wise kernel's preparation takes its trust ratio from (a parameter and its gradient, or its
 * update). Every range but the last holds a multiple of 8 elements; at the last, the norms are worked out, each the
 * square root of its sum rounded to the tensors' dtype. On float16 under PyTorch 1.13 ({@code laneFma}), each sum is
 * 1.13's float16 one ({@link NormKernel.Scalar#pyTorch113Float16SumOfSquares}). One per parameter's coefficients.
 */
public final class PyTorchNormPair {
    private final float[] firstLanes = new float[NormKernel.PYTORCH_LANES];
    private final float[] secondLanes = new float[NormKernel.PYTORCH_LANES];
    private float first;
    private float second;

    /**
     * Adds {@code [from, to)} of {@code x} and {@code y}, which hold elements of a tensor of {@code dtype} as
     * {@code storage}; at the last range works the norms out ({@link #first()}, {@link #second()}).
     *
     * @param norms the float32 sums' kernel, at the optimizer's width
     * @param laneFma whether the lanes fuse each add, as PyTorch 1.13's build does
     */
    void add(NormKernel norms, MemorySegment x, MemorySegment y, Format storage, Format dtype, boolean laneFma,
             long from, long to, boolean firstRange, boolean lastRange) {
        if (firstRange) {
            java.util.Arrays.fill(firstLanes, 0);
            java.util.Arrays.fill(secondLanes, 0);
        }
        boolean float16Sequential = dtype == Format.FLOAT16 && laneFma;
        long lanesEnd = lastRange ? from + (to - from) / NormKernel.PYTORCH_LANES * NormKernel.PYTORCH_LANES : to;
        if (float16Sequential) {
            firstLanes[0] = NormKernel.Scalar.pyTorch113Float16SumOfSquares(firstLanes[0], x, storage, from, to);
            secondLanes[0] = NormKernel.Scalar.pyTorch113Float16SumOfSquares(secondLanes[0], y, storage, from, to);
        } else if (storage == Format.FLOAT32) {
            norms.addPyTorchLanes(x, firstLanes, y, secondLanes, from, lanesEnd, laneFma);
        } else {
            NormKernel.Scalar.addPyTorchLanes(x, storage, from, lanesEnd, firstLanes, laneFma);
            NormKernel.Scalar.addPyTorchLanes(y, storage, from, lanesEnd, secondLanes, laneFma);
        }
        if (lastRange) {
            first = NormKernel.Scalar.pyTorchNorm(firstLanes, x, storage, lanesEnd, to, dtype, float16Sequential);
            second = NormKernel.Scalar.pyTorchNorm(secondLanes, y, storage, lanesEnd, to, dtype, float16Sequential);
        }
    }

    /** {@return the first tensor's norm, once the last range is added} */
    float first() {
        return first;
    }

    /** {@return the second tensor's norm, once the last range is added} */
    float second() {
        return second;
    }
}
