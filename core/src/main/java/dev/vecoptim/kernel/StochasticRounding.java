package dev.vecoptim.kernel;

/**
 * Stochastic rounding of float32 to bfloat16 (Zamirai et al., "Revisiting BFloat16 Training", 2020; Gupta et al.,
 * "Deep Learning with Limited Numerical Precision", 2015): a value between two neighbouring bfloat16s rounds to the
 * one farther from zero with probability equal to its distance from the nearer one toward zero, in units of their
 * spacing, so that the rounding is unbiased in expectation. It adds 16 random bits to the float's bits and keeps the
 * upper 16 (the sign aside, a float's bits order its magnitudes): a value already a bfloat16 stays itself, a value
 * within one spacing of the largest finite one may round to infinity, every NaN becomes {@link Bf16#NAN}.
 *
 * <p>The random bits are a hash, not a generator's sequence: of the seed, the step number, which state buffer, the
 * element's index in its parameter (modulo 2^32) and the bits of the float being rounded, so that they do not depend
 * on the vector width, the threads or how a step is cut into chunks, and a run is repeated bit for bit from its seed.
 * The hash is MurmurHash3's 32-bit finalizer ({@link #mix}); the key of a step and buffer is SplitMix64's ({@link
 * #key}).
 *
 * @param seed the seed of every random bit
 */
public record StochasticRounding(long seed) {

    /** {@return how {@code rounding} rounds, for messages: "to nearest" for null, else "stochastically (seed n)"} */
    public static String describe(StochasticRounding rounding) {
        return rounding == null ? "to nearest" : "stochastically (seed " + rounding.seed() + ")";
    }

    /** {@return the hash key of step {@code step}'s rounding of state buffer {@code buffer}} */
    public int key(long step, int buffer) {
        long z = seed + step * 0x9E3779B97F4A7C15L + (buffer + 1L) * 0xD1B54A32D192ED03L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z ^= z >>> 31;
        return (int) (z ^ (z >>> 32));
    }

    /** {@return the 16 random bits (in the lower half) for element {@code index} holding {@code bits}, under key} */
    static int random(int key, long index, int bits) {
        return mix((key + (int) index * 0x9E3779B9) ^ bits) & 0xFFFF;
    }

    /** MurmurHash3's 32-bit finalizer: every input bit flips each output bit with probability about 1/2. */
    static int mix(int h) {
        h = (h ^ (h >>> 16)) * 0x85EBCA6B;
        h = (h ^ (h >>> 13)) * 0xC2B2AE35;
        return h ^ (h >>> 16);
    }

    /** {@return {@code value}, element {@code index}, rounded to bfloat16 stochastically under {@code key}} */
    static short round(float value, int key, long index) {
        if (Float.isNaN(value)) {
            return Bf16.NAN;
        }
        int bits = Float.floatToRawIntBits(value);
        return (short) ((bits + random(key, index, bits)) >>> 16);
    }
}
