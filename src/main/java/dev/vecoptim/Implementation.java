package dev.vecoptim;

import dev.vecoptim.kernel.Vectorization;

/**
 * Which loop an optimizer runs: a fused vector loop of some width, or the scalar reference loop.
 *
 * @param vectorBits the vector width in bits, or 0 for the scalar loop
 * @param description one line for logs: the loop, its width, why it is scalar when it is, and which PyTorch's
 *     bits it gives
 */
public record Implementation(int vectorBits, String description) {

    static Implementation of(int vectorBits, Semantics semantics) {
        return new Implementation(vectorBits, Vectorization.thisJvm().describe(vectorBits) + ", bit for bit with "
                + semantics.version());
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
