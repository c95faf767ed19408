package dev.vecoptim;

import dev.vecoptim.kernel.Kernels;

/**
 * Which loop an optimizer runs: a fused vector loop of some width, or the scalar reference loop.
 *
 * @param vectorBits the vector width in bits, or 0 for the scalar loop
 * @param description one line for logs: the loop, its width, and why it is scalar when it is
 */
public record Implementation(int vectorBits, String description) {

    static Implementation of(int vectorBits) {
        if (vectorBits > 0) {
            return new Implementation(vectorBits, "fused jdk.incubator.vector loop, " + vectorBits + "-bit ("
                    + vectorBits / Float.SIZE + " float lanes)");
        }
        String reason = Kernels.vectorization().scalarReason();
        return new Implementation(0, "scalar loop" + (reason == null ? " (asked for)" : ": " + reason));
    }

    /** Whether the update runs on SIMD lanes. */
    public boolean vectorized() {
        return vectorBits > 0;
    }

    /** Float lanes per vector: 1 for the scalar loop. */
    public int lanes() {
        return vectorized() ? vectorBits / Float.SIZE : 1;
    }
}
