package dev.vecoptim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.Generate.longRange;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Clipping by global norm against hand-computed values, and its independence of threads and widths. */
class ClipGradNormTest {

    @Test
    void aThreeFourFiveGradientIsScaledToTheMaximum() {
        try (Arena arena = Arena.ofShared(); Optimizer optimizer = Optimizer.builder().build()) {
            ParameterGroup group = optimizer.addGroup(Sgd.builder(0.1).build());
            MemorySegment first = arena.allocateFrom(ValueLayout.JAVA_FLOAT, 3f);
            MemorySegment second = arena.allocateFrom(ValueLayout.JAVA_FLOAT, 0f, 4f);
            group.add(arena.allocate(4), first);
            group.add(arena.allocate(8), second);
            // ‖(3, 0, 4)‖ = 5; coefficient rn(rn(1 / rn(5 + 1e-6)) · 1), PyTorch's float32 arithmetic.
            assertEquals(5.0, optimizer.clipGradNorm(1.0));
            float coefficient = (1f / (5f + 1e-6f)) * 1f;
            assertEquals(3f * coefficient, first.get(ValueLayout.JAVA_FLOAT, 0));
            assertEquals(4f * coefficient, second.getAtIndex(ValueLayout.JAVA_FLOAT, 1));
            assertEquals(0.6f, first.get(ValueLayout.JAVA_FLOAT, 0), 1e-6f);
            // Now below the maximum: nothing changes.
            float[] before = second.toArray(ValueLayout.JAVA_FLOAT);
            assertEquals(1.0, optimizer.clipGradNorm(2.0), 1e-6);
            assertArrayEquals(before, second.toArray(ValueLayout.JAVA_FLOAT));
        }
    }

    @Test
    void aNonFiniteNormPoisonsTheGradientsAsInPyTorch() {
        try (Arena arena = Arena.ofShared(); Optimizer optimizer = Optimizer.builder().build()) {
            ParameterGroup group = optimizer.addGroup(Sgd.builder(0.1).build());
            MemorySegment grad = arena.allocateFrom(ValueLayout.JAVA_FLOAT, 1f, Float.POSITIVE_INFINITY);
            group.add(arena.allocate(8), grad);
            assertEquals(Double.POSITIVE_INFINITY, optimizer.clipGradNorm(1.0));
            // coefficient 1 / ∞ = 0: 1 · 0 = 0 and ∞ · 0 = NaN.
            assertEquals(0f, grad.getAtIndex(ValueLayout.JAVA_FLOAT, 0));
            assertTrue(Float.isNaN(grad.getAtIndex(ValueLayout.JAVA_FLOAT, 1)));
        }
    }

    @Test
    void theNormIsTheSameBitsForAnyThreadsAndThresholds() {
        qt().withExamples(40).forAll(longRange(Long.MIN_VALUE, Long.MAX_VALUE)).checkAssert(seed -> {
            SplittableRandom random = new SplittableRandom(seed);
            int[] sizes = {random.nextInt(1, 200_000), random.nextInt(1, 5000), random.nextInt(1, 70_000)};
            double expected = Double.NaN;
            for (int helpers : new int[] {0, 1, 3}) {
                try (Arena arena = Arena.ofShared();
                     Optimizer optimizer = Optimizer.builder().helpers(java.util.concurrent.ForkJoinPool.commonPool(),
                             helpers).parallelThreshold(1L << random.nextInt(6, 18)).build()) {
                    ParameterGroup group = optimizer.addGroup(Adam.builder().build());
                    SplittableRandom values = new SplittableRandom(seed);
                    for (int size : sizes) {
                        MemorySegment grad = arena.allocate(4L * size, 64);
                        for (int i = 0; i < size; i++) {
                            grad.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) values.nextGaussian());
                        }
                        group.add(arena.allocate(4L * size, 64), grad);
                    }
                    double norm = optimizer.clipGradNorm(Double.MAX_VALUE);
                    if (Double.isNaN(expected)) {
                        expected = norm;
                    }
                    assertEquals(Double.doubleToLongBits(expected), Double.doubleToLongBits(norm),
                            helpers + " helpers gave " + norm + ", 0 gave " + expected);
                }
            }
        });
    }
}
