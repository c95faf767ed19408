package dev.vecoptim.kernel;

/**
 * bfloat16, one element at a time: the upper 16 bits of a float32 (sign, 8 exponent bits, 7 significand bits), as
 * PyTorch's {@code c10::BFloat16} holds it. Widening is exact; narrowing rounds to nearest, ties to even, as
 * {@code c10::BFloat16}'s {@code round_to_nearest_even} does: a float beyond bf16's largest finite value rounds to
 * infinity, a subnormal float to the bf16 subnormal (or zero) nearest it, and every NaN becomes the quiet NaN
 * {@code 0x7FC0} (PyTorch's vectorized conversion writes {@code 0xFFFF} instead: still a NaN, whose bits no test
 * compares).
 */
final class Bf16 {
    /** The bf16 NaN PyTorch's scalar conversion writes. */
    static final short NAN = 0x7FC0;

    private Bf16() {
    }

    /** {@return the float that the bf16 {@code bits} hold, exactly} */
    static float toFloat(short bits) {
        return Float.intBitsToFloat(bits << 16);
    }

    /** {@return {@code value} rounded to the nearest bf16, ties to even} */
    static short fromFloat(float value) {
        if (Float.isNaN(value)) {
            return NAN;
        }
        int bits = Float.floatToRawIntBits(value);
        // Adding 0x7FFF, plus 1 when the kept part is odd, carries into bit 16 exactly when the dropped half rounds up.
        return (short) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16);
    }
}
