package dev.vecoptim;

import dev.vecoptim.kernel.Vectorization;

/**
 * Which loop an optimizer runs: a fused vector loop of some width, or the scalar reference loop.
 *
 * @param vectorBits the vector width in bits, or 0 for the scalar loop
 * @param description one line for logs: the loop, its width, why it is scalar when it is, and what it gives
 *     the bits of (a PyTorch version, or an optimizer's reference)
 */
public record Implementation(int vectorBits, String description) {

    static Implementation of(int vectorBits, String reference) {
        return new Implementation(vectorBits, Vectorization.thisJvm().describe(vectorBits) + ", bit for bit with "
                + reference);
    }

    /** {@return whether the update runs on SIMD lanes} */
    public boolean vectorized() {
        return vectorBits > 0;
    }

    /** {@return float lanes per vector: 1 for the scalar loop} */
    public int lanes() {
        return vectorized() ? vectorBits / Float.SIZE : 1;
    }
}
