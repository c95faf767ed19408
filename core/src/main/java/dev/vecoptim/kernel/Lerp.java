package dev.vecoptim.kernel;

/**
 * ATen's {@code lerp} with a scalar weight W, already rounded to float, as PyTorch's CPU kernels round it: the scalar
 * side of {@link PanamaLanes#lerp}. {@code W − 1} is a float subtraction, as ATen's {@code weight - Vec(1)} (exact
 * for W in [0.5, 2]). Measured here: 2.x takes the first form for |W| &lt; 0.5, 1.13 for W &lt; 0.5, negative weights
 * too; they differ only for W ≤ −0.5.
 */
final class Lerp {
    private Lerp() {
    }

    /** {@code start + weight · (end − start)}: {@code fma(W, rn(e − s), s)} if |W| &lt; 0.5, else {@code fma(W − 1, rn(e − s), e)}. */
    static float of(float start, float end, float weight) {
        return of(start, end, weight, lowWeight(weight));
    }

    /** {@link #of(float, float, float)} in the form {@code lowWeight} chooses: the first if true. */
    static float of(float start, float end, float weight, boolean lowWeight) {
        float difference = end - start;
        return lowWeight ? Math.fma(weight, difference, start) : Math.fma(weight - 1, difference, end);
    }

    /** Which of the two roundings a weight takes in PyTorch 2.x: the same for every element of a step. */
    static boolean lowWeight(float weight) {
        return Math.abs(weight) < 0.5f;
    }

    /** {@link #lowWeight(float)}, or PyTorch 1.13's choice: W &lt; 0.5. */
    static boolean lowWeight(float weight, boolean pyTorch113) {
        return pyTorch113 ? weight < 0.5f : lowWeight(weight);
    }
}
