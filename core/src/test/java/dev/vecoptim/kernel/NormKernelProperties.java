package dev.vecoptim.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.Generate.longRange;
import static org.quicktheories.generators.Generate.range;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The gradient-norm kernels agree bit for bit at every width, length and misalignment. */
class NormKernelProperties {

    @Test
    void sumOfSquaresIsTheSameBitsAtEveryWidth() {
        qt().withExamples(500).forAll(KernelCase.lengths(), range(0, 63), longRange(Long.MIN_VALUE, Long.MAX_VALUE))
                .checkAssert((length, offset, seed) -> {
                    try (Arena arena = Arena.ofConfined()) {
                        MemorySegment grad = arena.allocate(4L * length + offset, 64).asSlice(offset, 4L * length);
                        // Special values one time in 64 at most, so that most sums stay finite and meaningful.
                        TestFloats.fill(grad, new SplittableRandom(seed), seed % 2 == 0 ? 64 : Integer.MAX_VALUE);
                        int from = length == 0 ? 0 : (int) Math.floorMod(seed, (long) length);
                        double expected = new NormKernel.Scalar().sumOfSquares(grad, from, length);
                        for (int bits : KernelCase.WIDTHS) {
                            double actual = norm(bits).sumOfSquares(grad, from, length);
                            assertEquals(Double.doubleToLongBits(expected), Double.doubleToLongBits(actual),
                                    bits + "-bit sum of squares " + actual + ", scalar " + expected);
                        }
                    }
                });
    }

    @Test
    void pyTorchsSumOfSquaresIsTheSameBitsAtEveryWidthForBothVersions() {
        qt().withExamples(500).forAll(KernelCase.lengths(), range(0, 63), longRange(Long.MIN_VALUE, Long.MAX_VALUE))
                .checkAssert((length, offset, seed) -> {
                    try (Arena arena = Arena.ofConfined()) {
                        MemorySegment grad = arena.allocate(4L * length + offset, 64).asSlice(offset, 4L * length);
                        TestFloats.fill(grad, new SplittableRandom(seed), seed % 2 == 0 ? 64 : Integer.MAX_VALUE);
                        int from = length == 0 ? 0 : (int) Math.floorMod(seed, (long) length);
                        for (boolean laneFma : new boolean[] {false, true}) {
                            float expected = new NormKernel.Scalar().pyTorchSumOfSquares(grad, from, length, laneFma);
                            for (int bits : KernelCase.WIDTHS) {
                                float actual = norm(bits).pyTorchSumOfSquares(grad, from, length, laneFma);
                                assertEquals(Float.floatToIntBits(expected), Float.floatToIntBits(actual),
                                        bits + "-bit PyTorch sum of squares " + actual + ", scalar " + expected
                                                + (laneFma ? " (1.13)" : ""));
                            }
                        }
                    }
                });
    }

    /** PyTorch's sum of squares of a tensor given in ranges of whole lanes, at random widths, is the same bits. */
    @Test
    void pyTorchsSumOfSquaresInRangesIsTheSumOfTheWhole() {
        qt().withExamples(500).forAll(KernelCase.lengths(), range(0, 63), longRange(Long.MIN_VALUE, Long.MAX_VALUE))
                .checkAssert((length, offset, seed) -> {
                    try (Arena arena = Arena.ofConfined()) {
                        MemorySegment grad = arena.allocate(4L * length + offset, 64).asSlice(offset, 4L * length);
                        SplittableRandom random = new SplittableRandom(seed);
                        TestFloats.fill(grad, random, seed % 2 == 0 ? 64 : Integer.MAX_VALUE);
                        long lanesEnd = length / NormKernel.PYTORCH_LANES * NormKernel.PYTORCH_LANES;
                        MemorySegment reversed = arena.allocate(4L * length, 64);
                        for (long i = 0; i < length; i++) {
                            reversed.setAtIndex(TestFloats.FLOAT, i, grad.getAtIndex(TestFloats.FLOAT, length - 1 - i));
                        }
                        for (boolean laneFma : new boolean[] {false, true}) {
                            float[] lanes = new float[NormKernel.PYTORCH_LANES];
                            float[] reversedLanes = new float[NormKernel.PYTORCH_LANES];
                            for (long from = 0; from < lanesEnd; ) {
                                long to = Math.min(lanesEnd, from + NormKernel.PYTORCH_LANES * (1 + random.nextInt(9)));
                                norm(KernelCase.WIDTHS.get(random.nextInt(KernelCase.WIDTHS.size())))
                                        .addPyTorchLanes(grad, lanes, reversed, reversedLanes, from, to, laneFma);
                                from = to;
                            }
                            for (MemorySegment tensor : List.of(grad, reversed)) {
                                float total = NormKernel.Scalar.pyTorchTotal(tensor == grad ? lanes : reversedLanes,
                                        tensor, Format.FLOAT32, lanesEnd, length);
                                float whole = new NormKernel.Scalar().pyTorchSumOfSquares(tensor, 0, length, laneFma);
                                assertEquals(Float.floatToIntBits(whole), Float.floatToIntBits(total),
                                        "in ranges " + total + ", whole " + whole + (laneFma ? " (1.13)" : ""));
                            }
                        }
                    }
                });
    }

    @Test
    void pyTorchsSumOfSquaresFollowsItsDefinition() {
        // 15 elements: 8 lanes of one element each, folded in order; then 7: 4 added plainly, the last 3 fused.
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment grad = arena.allocate(4 * 15);
            for (int i = 0; i < 15; i++) {
                grad.setAtIndex(TestFloats.FLOAT, i, 1.1f + i * 0.37f);
            }
            float sum = 0;
            for (int i = 0; i < 8; i++) {
                float g = grad.getAtIndex(TestFloats.FLOAT, i);
                sum = i == 0 ? g * g : sum + g * g;
            }
            for (int i = 8; i < 12; i++) {
                float g = grad.getAtIndex(TestFloats.FLOAT, i);
                sum = sum + g * g;
            }
            for (int i = 12; i < 15; i++) {
                float g = grad.getAtIndex(TestFloats.FLOAT, i);
                sum = Math.fma(g, g, sum);
            }
            List<Integer> widths = new ArrayList<>(List.of(Vectorization.SCALAR));
            widths.addAll(Vectorization.NORM_WIDTHS);
            for (int bits : widths) {
                NormKernel kernel = bits == Vectorization.SCALAR ? new NormKernel.Scalar() : norm(bits);
                assertEquals(sum, kernel.pyTorchSumOfSquares(grad, 0, 15, false), bits + "-bit");
                assertEquals(sum, kernel.pyTorchSumOfSquares(grad, 0, 15, true), "one element per lane: nothing to fuse");
            }
        }
    }

    @Test
    void scaleIsTheSameBitsAtEveryWidth() {
        qt().withExamples(300).forAll(KernelCase.lengths(), range(0, 63), longRange(Long.MIN_VALUE, Long.MAX_VALUE))
                .checkAssert((length, offset, seed) -> {
                    try (Arena arena = Arena.ofConfined()) {
                        SplittableRandom random = new SplittableRandom(seed);
                        MemorySegment expected = arena.allocate(4L * length + offset, 64).asSlice(offset, 4L * length);
                        TestFloats.fill(expected, random, 8);
                        float factor = TestFloats.coefficient(random);
                        MemorySegment original = arena.allocate(expected.byteSize()).copyFrom(expected);
                        new NormKernel.Scalar().scale(expected, factor, 0, length);
                        for (int bits : KernelCase.WIDTHS) {
                            MemorySegment actual = arena.allocate(expected.byteSize() + offset, 64)
                                    .asSlice(offset, expected.byteSize()).copyFrom(original);
                            norm(bits).scale(actual, factor, 0, length);
                            TestFloats.assertSameBits(bits + "-bit scale by " + factor, expected, actual);
                        }
                    }
                });
    }

    @Test
    void sumOfSquaresFollowsItsDefinition() {
        // 20 elements: partial sum i mod 16; 1² + 17² for partial 0 ... added in order, squares exact.
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment grad = arena.allocate(4 * 20);
            double expected = 0;
            double[] partial = new double[16];
            for (int i = 0; i < 20; i++) {
                float g = (i + 1) * 0.1f;
                grad.setAtIndex(TestFloats.FLOAT, i, g);
                partial[i % 16] += (double) g * g;
            }
            for (double sum : partial) {
                expected += sum;
            }
            assertEquals(expected, new NormKernel.Scalar().sumOfSquares(grad, 0, 20));
            assertEquals(expected, norm(256).sumOfSquares(grad, 0, 20));
            // A float's square never overflows a double: only NaN and infinities make the sum non-finite.
            grad.setAtIndex(TestFloats.FLOAT, 3, Float.MAX_VALUE);
            double withHuge = norm(Vectorization.WIDTHS.getLast()).sumOfSquares(grad, 0, 20);
            assertTrue(Double.isFinite(withHuge) && withHuge >= (double) Float.MAX_VALUE * Float.MAX_VALUE);
            grad.setAtIndex(TestFloats.FLOAT, 3, Float.NEGATIVE_INFINITY);
            assertEquals(Double.POSITIVE_INFINITY, norm(Vectorization.WIDTHS.getLast()).sumOfSquares(grad, 0, 20));
            grad.setAtIndex(TestFloats.FLOAT, 19, Float.NaN);
            assertTrue(Double.isNaN(norm(128).sumOfSquares(grad, 0, 20)));
        }
    }

    /** The norm kernel that runs next to updates of width {@code bits}. */
    static NormKernel norm(int bits) {
        return Kernels.kernel(NormKernel.FAMILY, Vectorization.normBits(bits), new NoFlags());
    }
}
