package dev.vecoptim.kernel;

/** PyTorch's {@code a.add(b, alpha=alpha)} on tensors of a dtype, one element: the scalar references' one copy. */
final class ScaledAdd {
    private ScaledAdd() {
    }

    /**
     * {@code a + alpha · b}: one fused multiply-add rounded to {@code dtype}, or, where PyTorch's scalar arithmetic
     * computes it ({@code roundedProduct}: its 16-bit tail, 1.13's float16), the product rounded first.
     */
    static float of(Format dtype, float a, float b, float alpha, boolean roundedProduct) {
        return dtype.round(roundedProduct ? dtype.round(alpha * b) + a : Math.fma(b, alpha, a));
    }
}
