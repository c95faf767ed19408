package dev.vecoptim.kernel;

/**
 * ATen's {@code lerp} with a scalar weight, as PyTorch 2.x's CPU kernels round it: the scalar side of
 * {@link PanamaLanes#lerp}. With the weight already rounded to float, {@code W − 1} is exact whenever it is used.
 */
final class Lerp {
    private Lerp() {
    }

    /** {@code start + weight · (end − start)}: {@code fma(W, rn(e − s), s)} if |W| &lt; 0.5, else {@code fma(W − 1, rn(e − s), e)}. */
    static float of(float start, float end, float weight) {
        float difference = end - start;
        return lowWeight(weight) ? Math.fma(weight, difference, start) : Math.fma(weight - 1, difference, end);
    }

    /** Which of the two roundings a weight takes: the same for every element of a step. */
    static boolean lowWeight(float weight) {
        return Math.abs(weight) < 0.5f;
    }
}
