package dev.vecoptim.kernel;

/**
 * IEEE 754 half precision (binary16, PyTorch's {@code torch.float16}), one element at a time. Widening is exact;
 * narrowing rounds to nearest, ties to even, as PyTorch's {@code c10::Half} does: a float at or beyond 65520 rounds to
 * infinity, one below the half subnormals' half-way point to zero, and every NaN becomes the quiet NaN
 * {@code 0x7E00} with its sign (the JDK's {@link Float#floatToFloat16} keeps some of a NaN's payload instead; for
 * every other float the two agree, which a test checks over every float).
 */
final class Fp16 {
    /** The half NaN PyTorch's scalar conversion writes, before its sign. */
    static final short NAN = 0x7E00;

    private Fp16() {
    }

    /**
     * {@return the float that the half {@code bits} hold, exactly; a NaN as the quiet float NaN with its sign and
     * payload, as the hardware's conversion and PyTorch's give it (the JDK's pure-Java conversion keeps a signaling
     * NaN signaling, its intrinsic does not)}
     */
    static float toFloat(short bits) {
        if ((bits & 0x7C00) == 0x7C00 && (bits & 0x3FF) != 0) {
            return Float.intBitsToFloat((bits & 0x8000) << 16 | 0x7FC00000 | (bits & 0x3FF) << 13);
        }
        return Float.float16ToFloat(bits);
    }

    /** {@return {@code value} rounded to the nearest half, ties to even} */
    static short fromFloat(float value) {
        if (Float.isNaN(value)) {
            return (short) ((Float.floatToRawIntBits(value) >>> 16 & 0x8000) | NAN);
        }
        return Float.floatToFloat16(value);
    }
}
