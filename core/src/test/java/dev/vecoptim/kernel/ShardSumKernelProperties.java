package dev.vecoptim.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.Generate.longRange;
import static org.quicktheories.generators.Generate.range;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The scaled sums of a shard's copies in order of rank: the same bits at every width, length, misalignment and count,
 * on float32 and on 16-bit copies (any NaN equal to any NaN, as everywhere: Java fixes no NaN payload).
 */
class ShardSumKernelProperties {

    @Test
    void theSumsInOrderOfRankAreTheSameBitsAtEveryWidth() {
        qt().withExamples(400).forAll(KernelCase.lengths(), range(0, 63), range(1, 6),
                longRange(Long.MIN_VALUE, Long.MAX_VALUE)).checkAssert((length, offset, count, seed) -> {
                    try (Arena arena = Arena.ofConfined()) {
                        long stride = length + seed % 3 + 2;
                        MemorySegment copies = arena.allocate(4L * stride * count + offset, 64)
                                .asSlice(offset, 4L * stride * count);
                        TestFloats.fill(copies, new SplittableRandom(seed), seed % 2 == 0 ? 64 : Integer.MAX_VALUE);
                        int from = length == 0 ? 0 : (int) Math.floorMod(seed, (long) length);
                        MemorySegment expected = arena.allocate(4L * length);
                        float factor = 1f / count;
                        new ShardSumKernel.Scalar(Format.FLOAT32).addInOrder(copies, stride, count, factor, expected, from, length);
                        for (int bits : KernelCase.WIDTHS) {
                            MemorySegment sums = arena.allocate(4L * length + offset).asSlice(offset, 4L * length);
                            Kernels.kernel(ShardSumKernel.FAMILY, bits, new NoFlags())
                                    .addInOrder(copies, stride, count, factor, sums, from, length);
                            TestFloats.assertSameBits(bits + "-bit sums of " + count + " copies", expected, sums);
                        }
                    }
                });
    }

    @Test
    void sixteenBitSumsAreTheScalarReferencesBitsAtEveryWidth() {
        qt().withExamples(200).forAll(range(0, 1600), range(0, 31), range(1, 5),
                longRange(Long.MIN_VALUE, Long.MAX_VALUE)).checkAssert((length, offset, count, seed) -> {
                    Format format = seed % 2 == 0 ? Format.BFLOAT16 : Format.FLOAT16;
                    SplittableRandom random = new SplittableRandom(seed);
                    try (Arena arena = Arena.ofConfined()) {
                        long stride = length + random.nextInt(3);
                        MemorySegment copies = arena.allocate(2L * stride * count + 2L * offset)
                                .asSlice(2L * offset, 2L * stride * count);
                        for (long i = 0; i < stride * count; i++) {
                            // One element in 50 any bits at all: NaNs, infinities, subnormals.
                            if (random.nextInt(50) == 0) {
                                copies.setAtIndex(ValueLayout.JAVA_SHORT, i, (short) random.nextInt());
                            } else {
                                format.store(copies, i, (float) random.nextDouble(-1e4, 1e4));
                            }
                        }
                        int from = length == 0 ? 0 : random.nextInt(length);
                        float factor = 1f / count;
                        MemorySegment expected = arena.allocate(2L * Math.max(1, length));
                        new ShardSumKernel.Scalar(format).addInOrder(copies, stride, count, factor, expected, from,
                                length);
                        for (int bits : KernelCase.WIDTHS) {
                            MemorySegment sums = arena.allocate(2L * length + 2L * offset).asSlice(2L * offset,
                                    2L * length);
                            ShardSumKernel.of(bits, format).addInOrder(copies, stride, count, factor, sums, from,
                                    length);
                            for (int i = from; i < length; i++) {
                                // Any NaN equals any NaN: Java fixes no NaN payload, nor which of two NaNs a sum keeps.
                                boolean bothNaN = Float.isNaN(format.load(expected, i))
                                        && Float.isNaN(format.load(sums, i));
                                assertEquals(bothNaN ? 0 : expected.getAtIndex(ValueLayout.JAVA_SHORT, i),
                                        bothNaN ? 0 : sums.getAtIndex(ValueLayout.JAVA_SHORT, i),
                                        bits + "-bit " + format + " sum " + i + " of " + count + " copies");
                            }
                        }
                    }
                });
    }

    @Test
    void theCopiesAreAddedInOrderOfRank() {
        // 1 + 1 + 2^24 is 2^24 + 2 added from the left, 2^24 added from the right (ties to even): the order shows.
        try (Arena arena = Arena.ofConfined()) {
            float[] addends = {1, 1, 1 << 24};
            MemorySegment copies = arena.allocate(4L * 3 * 17);
            for (int copy = 0; copy < 3; copy++) {
                for (int i = 0; i < 17; i++) {
                    copies.setAtIndex(TestFloats.FLOAT, copy * 17L + i, addends[copy]);
                }
            }
            for (int bits : java.util.List.of(0, 64, 128, 256, 512)) {
                MemorySegment sums = arena.allocate(4L * 17);
                Kernels.kernel(ShardSumKernel.FAMILY, bits, new NoFlags()).addInOrder(copies, 17, 3, 1, sums, 0,
                        17);
                for (int i = 0; i < 17; i++) {
                    assertEquals((1 << 24) + 2f, sums.getAtIndex(TestFloats.FLOAT, i), bits + "-bit sum " + i);
                }
            }
        }
    }

    @Test
    void sixteenBitCopiesAreSummedInFloatAndRoundedOnce() {
        // 1 + 3·2^-9 is 1 + 2^-7 in bfloat16 rounded once; rounded after each addition, every 2^-9 would be lost.
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment copies = arena.allocate(2L * 4);
            float[] addends = {1, 0x1p-9f, 0x1p-9f, 0x1p-9f};
            for (int copy = 0; copy < 4; copy++) {
                Format.BFLOAT16.store(copies, copy, addends[copy]);
            }
            MemorySegment sums = arena.allocate(2);
            Kernels.kernel(ShardSumKernel.FAMILY, 0, Format.BFLOAT16, new NoFlags()).addInOrder(copies, 1, 4, 1, sums,
                    0, 1);
            assertEquals(1 + 0x1p-7f, Format.BFLOAT16.load(sums, 0));
        }
    }
}
