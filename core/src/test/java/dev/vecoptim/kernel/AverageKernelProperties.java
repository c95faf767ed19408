package dev.vecoptim.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.Generate.longRange;
import static org.quicktheories.generators.Generate.range;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * AveragedModel's averages ({@link AverageKernel}): SWA at any count, EMA at weights on both sides of 0.5 (the two
 * roundings of the lerp), the same bits at every width, length, misalignment and starting element.
 */
class AverageKernelProperties {

    @Test
    void theAveragesAreTheSameBitsAtEveryWidth() {
        qt().withExamples(300).forAll(KernelCase.lengths(), range(0, 15), range(0, 1),
                longRange(Long.MIN_VALUE, Long.MAX_VALUE)).checkAssert((length, offset, ema, seed) -> {
                    SplittableRandom random = new SplittableRandom(seed);
                    float count = random.nextInt(3) == 0 ? (float) random.nextLong(1L << 40) : 1 + random.nextInt(50);
                    // Weights of either sign: Schedule-Free's eval() lerps by 1 − 1/β1, under −0.5 for β1 &lt; 2/3.
                    float weight = random.nextInt(5) == 0 ? 0.5f : (float) random.nextDouble(-2, 1);
                    boolean pyTorch113 = random.nextBoolean();
                    try (Arena arena = Arena.ofConfined()) {
                        MemorySegment current = arena.allocate(4L * length + 4L * offset).asSlice(4L * offset);
                        MemorySegment start = arena.allocate(4L * length);
                        TestFloats.fill(current, random, seed % 2 == 0 ? 64 : Integer.MAX_VALUE);
                        TestFloats.fill(start, random, seed % 3 == 0 ? 64 : Integer.MAX_VALUE);
                        int from = length == 0 ? 0 : random.nextInt(length);
                        MemorySegment expected = arena.allocate(4L * length);
                        expected.copyFrom(start);
                        run(new AverageKernel.Scalar(), ema == 1, expected, current, count, weight, pyTorch113, from,
                                length);
                        for (int bits : KernelCase.WIDTHS) {
                            MemorySegment averaged = arena.allocate(4L * length + 4L * offset).asSlice(4L * offset);
                            averaged.copyFrom(start);
                            run(Kernels.kernel(AverageKernel.FAMILY, bits, new NoFlags()), ema == 1, averaged,
                                    current, count, weight, pyTorch113, from, length);
                            TestFloats.assertSameBits(bits + "-bit " + (ema == 1 ? "EMA at " + weight : "SWA at "
                                    + count), expected, averaged);
                        }
                    }
                });
    }

    private static void run(AverageKernel kernel, boolean ema, MemorySegment averaged, MemorySegment current,
                            float count, float weight, boolean pyTorch113, int from, int to) {
        if (ema) {
            kernel.ema(averaged, current, weight, pyTorch113, from, to);
        } else {
            kernel.swa(averaged, current, count, from, to);
        }
    }

    @Test
    void handComputedAverages() {
        MemorySegment averaged = MemorySegment.ofArray(new float[] {1, 3});
        MemorySegment current = MemorySegment.ofArray(new float[] {4, 0});
        new AverageKernel.Scalar().swa(averaged, current, 3, 0, 2);
        assertEquals(2f, averaged.getAtIndex(TestFloats.FLOAT, 0), "1 + (4 - 1) / 3");
        assertEquals(2f, averaged.getAtIndex(TestFloats.FLOAT, 1), "3 + (0 - 3) / 3");
        new AverageKernel.Scalar().ema(averaged, current, 0.75f, false, 0, 2);
        assertEquals(3.5f, averaged.getAtIndex(TestFloats.FLOAT, 0), "2 + 0.75 (4 - 2)");
        assertEquals(0.5f, averaged.getAtIndex(TestFloats.FLOAT, 1), "2 + 0.75 (0 - 2)");
    }

    @Test
    void theTwoVersionsLerpByWeightsUnderMinusOneHalfInTheirOwnForms() {
        // lerp(2.0409, −2.5557, −0.6): 2.x's fma(W − 1, e − s, e) and 1.13's fma(W, e − s, s) round apart here.
        MemorySegment current = MemorySegment.ofArray(new float[] {-0x1.472008p1f});
        MemorySegment twoX = MemorySegment.ofArray(new float[] {0x1.053cd6p1f});
        MemorySegment oneThirteen = MemorySegment.ofArray(new float[] {0x1.053cd6p1f});
        new AverageKernel.Scalar().ema(twoX, current, -0.6f, false, 0, 1);
        new AverageKernel.Scalar().ema(oneThirteen, current, -0.6f, true, 0, 1);
        assertEquals(0x1.3320b0p2f, twoX.getAtIndex(TestFloats.FLOAT, 0));
        assertEquals(0x1.3320aep2f, oneThirteen.getAtIndex(TestFloats.FLOAT, 0));
    }
}
