package dev.vecoptim.kernel;

/**
 * The running averages PyTorch's optimizers keep (Adam's moments, RMSProp's and Adadelta's squares, ...), one
 * element at a time, rounded as ATen rounds them: the scalar references' one copy of each. The vector templates
 * write theirs on lanes, where {@code TemplateMutantsTest} mutates every operation.
 */
final class RunningAverage {
    private RunningAverage() {
    }

    /**
     * {@code average · keep + x · take}: PyTorch 2.x's {@code average.lerp_(x, take)} ({@link Lerp}), or 1.13's
     * {@code average.mul_(keep).add_(x, alpha=take)}, {@code fma(x, take, rn(average · keep))}.
     */
    static float of(float average, float x, boolean lerp, float keep, float take) {
        return of(Format.FLOAT32, average, x, lerp, keep, take, false);
    }

    /** {@link #of(float, float, boolean, float, float)} on tensors of {@code dtype}, each operation rounded to it. */
    static float of(Format dtype, float average, float x, boolean lerp, float keep, float take, boolean roundedProduct) {
        return lerp ? dtype.round(Lerp.of(average, x, take))
                : ScaledAdd.of(dtype, dtype.round(average * keep), x, take, roundedProduct);
    }

    /** {@code average · keep + take · x²}: {@code average.mul_(keep).addcmul_(x, x, value=take)}, fused as ATen does. */
    static float ofSquares(float average, float x, float keep, float take) {
        return ofSquares(Format.FLOAT32, average, x, keep, take);
    }

    /** {@link #ofSquares(float, float, float, float)} on tensors of {@code dtype}, each operation rounded to it. */
    static float ofSquares(Format dtype, float average, float x, float keep, float take) {
        return dtype.round(Math.fma(take * x, x, dtype.round(average * keep)));
    }
}
