package dev.vecoptim.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link StochasticRounding}: the vector kernels of every width round as the scalar reference does, element by
 * element at its index in its parameter, whatever the offset and length; the rounding is unbiased (the fraction of
 * values rounded away from zero is their distance from the bfloat16 below, in units of the spacing), leaves bfloat16
 * values and infinities alone and makes every NaN the quiet NaN.
 */
class StochasticRoundingTest {
    private static final HalfKernel.Flags BF16 = new HalfKernel.Flags(Format.BFLOAT16);

    @Test
    void everyWidthRoundsAsTheScalarReferenceAtEveryIndex() {
        SplittableRandom random = new SplittableRandom(41);
        int n = 1 << 14;
        int maxIndex = 1 << 20;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment floats = arena.allocate(4L * n + 4, 64);
            MemorySegment expected = arena.allocate(2L * (maxIndex + n), 64);
            MemorySegment actual = arena.allocate(2L * (maxIndex + n), 64);
            for (int trial = 0; trial < 60; trial++) {
                for (int i = 0; i <= n; i++) {
                    floats.setAtIndex(Floats.BITS, i, random.nextInt(4) == 0 ? random.nextInt()
                            : Float.floatToRawIntBits(TestFloats.value(random, 10)));
                }
                int key = random.nextInt();
                int floatsOffset = random.nextInt(2);
                int index = random.nextInt(maxIndex);
                int count = random.nextInt(n);
                // Elements [index, index + count) of a parameter, from floats [floatsOffset, floatsOffset + count).
                for (int i = 0; i < count; i++) {
                    expected.setAtIndex(Floats.HALF, index + i, StochasticRounding.round(
                            floats.getAtIndex(Floats.FLOAT, floatsOffset + i), key, index + i));
                }
                for (int bits : java.util.stream.IntStream.concat(java.util.stream.IntStream.of(Vectorization.SCALAR),
                        KernelCase.WIDTHS.stream().mapToInt(Integer::intValue)).toArray()) {
                    Kernels.kernel(HalfKernel.FAMILY, bits, BF16).narrowStochastic(floats, floatsOffset, actual, index,
                            count, key);
                    long at = expected.asSlice(2L * index, 2L * count).mismatch(actual.asSlice(2L * index, 2L * count));
                    assertEquals(-1, at, () -> bits + "-bit, index " + index + ", count " + count + ": element "
                            + (index + at / 2) + " differs");
                }
            }
        }
    }

    @Test
    void theRoundingIsUnbiasedAndLeavesBfloat16ValuesAndSpecialsAlone() {
        int n = 1 << 16;
        int key = new StochasticRounding(3).key(1, 0);
        for (float value : new float[] {1 + 0x1p-10f, -(1 + 0x1p-10f), 3 * 0x1p-9f + 1, 0x1p-130f * 1.75f}) {
            float below = Bf16.toFloat((short) (Float.floatToRawIntBits(value) >>> 16));
            float above = Bf16.toFloat((short) ((Float.floatToRawIntBits(value) >>> 16) + 1));
            int up = 0;
            for (int i = 0; i < n; i++) {
                float rounded = Bf16.toFloat(StochasticRounding.round(value, key, i));
                assertTrue(rounded == below || rounded == above, value + " rounded to " + rounded);
                up += rounded == above ? 1 : 0;
            }
            double expected = (value - below) / (above - below);
            assertEquals(expected, (double) up / n, 0.01, value + ": the fraction rounded away from zero");
        }
        for (float exact : new float[] {0, -0f, 1, -2.5f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY,
            Bf16.toFloat((short) 0x7F7F), Bf16.toFloat((short) 0x0001)}) {
            for (int i = 0; i < 1000; i++) {
                assertEquals(Float.floatToRawIntBits(exact) >>> 16,
                        StochasticRounding.round(exact, key, i) & 0xFFFF, exact + " at " + i);
            }
        }
        assertEquals(Bf16.NAN, StochasticRounding.round(Float.intBitsToFloat(0x7F800001), key, 0));
        assertEquals(Bf16.NAN, StochasticRounding.round(Float.NaN, key, 0));
    }

    @Test
    void theKeyDependsOnSeedStepAndBufferAndFloat16IsRefused() {
        StochasticRounding rounding = new StochasticRounding(1);
        assertNotEquals(rounding.key(1, 0), rounding.key(2, 0));
        assertNotEquals(rounding.key(1, 0), rounding.key(1, 1));
        assertNotEquals(rounding.key(1, 0), new StochasticRounding(2).key(1, 0));
        assertEquals(rounding.key(5, 1), new StochasticRounding(1).key(5, 1));
        HalfKernel.Flags half = new HalfKernel.Flags(Format.FLOAT16);
        try (Arena arena = Arena.ofConfined()) {
            for (int bits : KernelCase.WIDTHS) {
                HalfKernel kernel = Kernels.kernel(HalfKernel.FAMILY, bits, half);
                assertThrows(UnsupportedOperationException.class,
                        () -> kernel.narrowStochastic(arena.allocate(64), 0, arena.allocate(32), 0, 16, 1));
            }
        }
    }
}
