package dev.vecoptim.kernel;

/**
 * How a hyper-parameter, a Python float in PyTorch, meets a tensor of {@code dtype} in its operations: what of it
 * an operation on such tensors computes with, measured per operation and version (docs/semantics.md, "16-bit
 * tensors"). On float32 tensors every operand is {@code f(x)}, the float nearest {@code x}.
 *
 * @param dtype the tensors' dtype
 * @param pyTorch113 whether PyTorch 1.13's operations are reproduced, else 2.x's
 */
public record ScalarOperands(Format dtype, boolean pyTorch113) {
    /** Float32 tensors, where every operand is the float nearest the hyper-parameter, in every version. */
    public static final ScalarOperands FLOAT32 = new ScalarOperands(Format.FLOAT32, false);

    /** Refuses a null dtype. */
    public ScalarOperands {
        java.util.Objects.requireNonNull(dtype, "dtype");
    }

    /**
     * {@return an operand PyTorch rounds to the tensors' dtype first: the {@code alpha} of {@code add(other, alpha)}, a
     * scalar added, a value a tensor is filled with or assigned ({@code torch.full_like}, a masked assignment), a bound
     * of {@code clamp}}
     */
    public float rounded(double value) {
        return dtype.round((float) value);
    }

    /** {@return a factor of {@code mul} or divisor of {@code div}: a float in 2.x, rounded to the dtype in 1.13} */
    public float factor(double value) {
        return pyTorch113 ? dtype.round((float) value) : (float) value;
    }

    /** {@return the weight of {@code lerp}, or the value of {@code addcmul} and {@code addcdiv}: a float} */
    public float value(double value) {
        return (float) value;
    }

    /**
     * {@return whether {@code add(other, alpha)} rounds {@code alpha · other} to the dtype before the sum, as
     * PyTorch 1.13's float16 kernels do, rather than rounding one fused multiply-add}
     */
    public boolean roundedProduct() {
        return pyTorch113 && dtype == Format.FLOAT16;
    }
}
