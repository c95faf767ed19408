package dev.vecoptim.kernel;

/**
 * What a kernel's buffers hold, beside its width and flags in its identity: {@link Kernels} keys its kernels by it
 * and hands it to each vector template in its class data. The update kernels run on float32 only yet; the 16-bit
 * formats are converted to and from float32 by {@link HalfKernel}, exactly as PyTorch converts them.
 */
public enum Dtype {
    /** IEEE 754 single precision, in the platform's byte order. */
    FLOAT32(4),
    /** bfloat16: float32's sign, exponent and upper 7 significand bits ({@code torch.bfloat16}), see {@link Bf16}. */
    BFLOAT16(2),
    /** IEEE 754 half precision ({@code torch.float16}), see {@link Fp16}. */
    FLOAT16(2);

    private final int bytes;

    Dtype(int bytes) {
        this.bytes = bytes;
    }

    /** {@return the bytes one element takes} */
    public int bytes() {
        return bytes;
    }
}
