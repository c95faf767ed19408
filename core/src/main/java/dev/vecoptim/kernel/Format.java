package dev.vecoptim.kernel;

import java.lang.foreign.MemorySegment;

/**
 * The number format of a kernel's buffers, the kernels' side of the public {@code dev.vecoptim.Dtype} (one constant
 * of each name): beside its width and flags in its identity: {@link Kernels} keys its kernels by it
 * and hands it to each vector template in its class data. A kernel computes in float: it widens each element it
 * loads (exactly) and rounds each result it keeps to its dtype, to nearest, ties to even, as PyTorch's
 * {@code c10::BFloat16} and {@code c10::Half} do ({@link Bf16}, {@link Fp16}); {@link HalfKernel} converts whole
 * buffers.
 */
public enum Format {
    /** IEEE 754 single precision, in the platform's byte order. */
    FLOAT32(4),
    /** bfloat16: float32's sign, exponent and upper 7 significand bits ({@code torch.bfloat16}), see {@link Bf16}. */
    BFLOAT16(2),
    /** IEEE 754 half precision ({@code torch.float16}), see {@link Fp16}. */
    FLOAT16(2);

    /** The elements of 16-bit dtype PyTorch's AVX2 vector loop takes at once: two vectors of 16. */
    private static final int PYTORCH_16_BIT_BLOCK = 32;

    private final int bytes;

    Format(int bytes) {
        this.bytes = bytes;
    }

    /** {@return the bytes one element takes} */
    public int bytes() {
        return bytes;
    }

    /** {@return element {@code index} of {@code segment} (in the platform's byte order), widened exactly to float} */
    public float load(MemorySegment segment, long index) {
        return switch (this) {
            case FLOAT32 -> segment.getAtIndex(Floats.FLOAT, index);
            case BFLOAT16 -> Bf16.toFloat(segment.getAtIndex(Floats.HALF, index));
            case FLOAT16 -> Fp16.toFloat(segment.getAtIndex(Floats.HALF, index));
        };
    }

    /** Stores {@code value}, rounded to this dtype, as element {@code index} of {@code segment}. */
    public void store(MemorySegment segment, long index, float value) {
        switch (this) {
            case FLOAT32 -> segment.setAtIndex(Floats.FLOAT, index, value);
            case BFLOAT16 -> segment.setAtIndex(Floats.HALF, index, Bf16.fromFloat(value));
            case FLOAT16 -> segment.setAtIndex(Floats.HALF, index, Fp16.fromFloat(value));
        }
    }

    /**
     * {@return where PyTorch's scalar tail begins in {@code tensor}, a buffer of this dtype} PyTorch's
     * AVX2 kernels take 16-bit elements two vectors of 16 at a time, computing in float and rounding each result
     * once; the last {@code n % 32} of its {@code n} go through its scalar loop, whose {@code c10::BFloat16} and
     * {@code c10::Half} arithmetic rounds each product and sum to the dtype (docs/semantics.md). On float32 the
     * two loops agree: there is no tail, and this is its element count.
     */
    public long pyTorchTail(MemorySegment tensor) {
        long elements = tensor.byteSize() / bytes;
        return this == FLOAT32 ? elements : elements - elements % PYTORCH_16_BIT_BLOCK;
    }

    /** {@return {@code value} rounded to this dtype, as a float: what a tensor of this dtype keeps of it} */
    public float round(float value) {
        return switch (this) {
            case FLOAT32 -> value;
            case BFLOAT16 -> Bf16.toFloat(Bf16.fromFloat(value));
            case FLOAT16 -> Fp16.toFloat(Fp16.fromFloat(value));
        };
    }
}
