package dev.vecoptim.kernel;

/**
 * What this JVM offers the kernels, found once.
 *
 * @param preferredBits the preferred vector size in bits, or 0 when the vector kernels are off
 * @param scalarReason why the vector kernels are off and how to turn them on, or {@code null} when on
 */
public record Vectorization(int preferredBits, String scalarReason) {

    public boolean enabled() {
        return scalarReason == null;
    }
}
