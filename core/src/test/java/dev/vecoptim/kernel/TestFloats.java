package dev.vecoptim.kernel;

import static org.junit.jupiter.api.Assertions.fail;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

/** Floats that reach the corners of the formulas, and bitwise comparison of float buffers. */
public final class TestFloats {
    public static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;

    /** Zeros of both signs, subnormals, values whose square overflows or underflows, NaN and infinities. */
    private static final float[] SPECIAL = {
        0f, -0f, Float.MIN_VALUE, -Float.MIN_VALUE, 1e-40f, -3e-39f, Float.MIN_NORMAL, -Float.MIN_NORMAL,
        1e-23f, -1e-23f, 2e19f, -2e19f, 3e38f, -Float.MAX_VALUE, Float.NaN, Float.POSITIVE_INFINITY,
        Float.NEGATIVE_INFINITY, 1f, -1f, 0.5f
    };

    private TestFloats() {
    }

    /** One in {@code 1/specialOdds} is special; the rest are spread over 20 binades around 1. */
    public static float value(SplittableRandom random, int specialOdds) {
        if (random.nextInt(specialOdds) == 0) {
            return SPECIAL[random.nextInt(SPECIAL.length)];
        }
        float magnitude = (float) Math.scalb(1 + random.nextDouble(), random.nextInt(-10, 10));
        return random.nextBoolean() ? magnitude : -magnitude;
    }

    /** A hyper-parameter coefficient: mostly in (0, 1), sometimes special (NaN, ∞, 0, subnormal, ...). */
    public static float coefficient(SplittableRandom random) {
        if (random.nextInt(16) == 0) {
            return SPECIAL[random.nextInt(SPECIAL.length)];
        }
        return (float) Math.scalb(1 + random.nextDouble(), random.nextInt(-14, 0));
    }

    public static void fill(MemorySegment segment, SplittableRandom random, int specialOdds) {
        for (long i = 0; i < segment.byteSize() / Float.BYTES; i++) {
            segment.setAtIndex(FLOAT, i, value(random, specialOdds));
        }
    }

    /** Bitwise equality, except that any NaN equals any NaN (Java fixes no NaN payload). */
    public static boolean sameBits(float a, float b) {
        return Float.floatToIntBits(a) == Float.floatToIntBits(b);
    }

    public static boolean sameBits(MemorySegment expected, MemorySegment actual) {
        long n = expected.byteSize() / Float.BYTES;
        for (long i = 0; i < n; i++) {
            if (!sameBits(expected.getAtIndex(FLOAT, i), actual.getAtIndex(FLOAT, i))) {
                return false;
            }
        }
        return actual.byteSize() == expected.byteSize();
    }

    /** The floats of {@code segment} as {@link Float#floatToIntBits}: every NaN the same, for comparing whole states. */
    public static int[] canonicalBits(MemorySegment segment) {
        int[] bits = new int[(int) (segment.byteSize() / Float.BYTES)];
        for (int i = 0; i < bits.length; i++) {
            bits[i] = Float.floatToIntBits(segment.getAtIndex(FLOAT, i));
        }
        return bits;
    }

    public static void assertSameBits(String what, MemorySegment expected, MemorySegment actual) {
        long n = expected.byteSize() / Float.BYTES;
        if (actual.byteSize() != expected.byteSize()) {
            fail(what + ": " + actual.byteSize() + " bytes, expected " + expected.byteSize());
        }
        for (long i = 0; i < n; i++) {
            float e = expected.getAtIndex(FLOAT, i);
            float a = actual.getAtIndex(FLOAT, i);
            if (!sameBits(e, a)) {
                fail(what + "[" + i + "] of " + n + ": " + describe(a) + ", expected " + describe(e));
            }
        }
    }

    public static String describe(float value) {
        return value + " (0x" + Integer.toHexString(Float.floatToRawIntBits(value)) + ")";
    }
}
