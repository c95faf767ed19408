package dev.vecoptim;

import static org.junit.jupiter.api.Assertions.fail;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.Generate.longRange;
import static org.quicktheories.generators.Generate.range;

import dev.vecoptim.kernel.Buffers;
import dev.vecoptim.kernel.KernelCase;
import dev.vecoptim.kernel.TestFloats;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;

/**
 * Identities every optimizer satisfies through the public API, at any width, from PyTorch's zero state:
 * maximize is minimize of −g, lr = 0 changes no parameter, AMSGrad's maximum never decreases, and squared
 * averages never go negative.
 */
class OptimizerProperties {
    /** As many state buffers as any optimizer keeps: each case's optimizer takes the first it needs. */
    private static final int STATE_BUFFERS = TestedOptimizers.ALL.stream()
            .mapToInt(kind -> kind.everyBuffer().stateNames().size()).max().orElseThrow();

    record Case(long optimizerSeed, int length, int steps, long dataSeed) {
        Algorithm optimizer() {
            return TestedOptimizers.random(new SplittableRandom(optimizerSeed));
        }

        Buffers buffers(Arena arena) {
            return Buffers.nativeFilled(arena, length, STATE_BUFFERS, (int) (dataSeed & 63), dataSeed).zeroState();
        }
    }

    static Gen<Case> cases() {
        Gen<Long> seeds = longRange(Long.MIN_VALUE, Long.MAX_VALUE);
        return seeds.zip(KernelCase.lengths(), range(1, 4), seeds, Case::new);
    }

    @Test
    void maximizeWithGradEqualsMinimizeWithNegatedGradBitwise() {
        qt().withExamples(300).forAll(cases())
                .assuming(c -> c.optimizer().namedHyperParameters().containsKey("maximize")).checkAssert(c -> {
            try (Arena arena = Arena.ofConfined()) {
                Algorithm maximizing = TestedOptimizers.withFlag(c.optimizer(), "maximize", true);
                Algorithm minimizing = TestedOptimizers.withFlag(maximizing, "maximize", false);
                Buffers maximized = c.buffers(arena);
                Buffers minimized = maximized.copy(arena).negateGrad();
                for (int step = 1; step <= c.steps(); step++) {
                    TestedOptimizers.step(maximizing, maximized, step);
                    TestedOptimizers.step(minimizing, minimized, step);
                    TestFloats.assertSameBits("param after step " + step, minimized.param(), maximized.param());
                    for (int s = 0; s < 3; s++) {
                        TestFloats.assertSameBits("state " + s, minimized.state(s), maximized.state(s));
                    }
                    TestFloats.assertSameBits("scalars", minimized.scalars(), maximized.scalars());
                }
            }
        });
    }

    @Test
    void zeroLearningRateLeavesEveryParameterUnchanged() {
        qt().withExamples(300).forAll(cases()).checkAssert(c -> {
            try (Arena arena = Arena.ofConfined()) {
                Algorithm frozen = TestedOptimizers.frozen(c.optimizer());
                // Finite inputs: with lr = 0 an infinite gradient still makes 0 · ∞ = NaN, in PyTorch too; and for a
                // layer-wise optimizer finite norms, whose float32 sums of squares an element of 1e30 overflows.
                Buffers buffers = c.buffers(arena).finiteInputs(frozen.layerwise() ? 1e15f : 1e30f);
                MemorySegment before = arena.allocate(buffers.param().byteSize()).copyFrom(buffers.param());
                for (int step = 1; step <= c.steps(); step++) {
                    TestedOptimizers.step(frozen, buffers, step);
                    for (long i = 0; i < c.length(); i++) {
                        float expected = before.getAtIndex(TestFloats.FLOAT, i);
                        float actual = buffers.param().getAtIndex(TestFloats.FLOAT, i);
                        // p + (−0 · g) may turn −0 into +0: the same number.
                        if (!TestFloats.sameBits(expected, actual) && !(expected == 0 && actual == 0)) {
                            fail(frozen + " changed param[" + i + "] from " + TestFloats.describe(expected)
                                    + " to " + TestFloats.describe(actual) + " at step " + step);
                        }
                    }
                }
            }
        });
    }

    @Test
    void amsgradMaximumNeverDecreases() {
        qt().withExamples(200).forAll(cases()).checkAssert(c -> {
            try (Arena arena = Arena.ofConfined()) {
                SplittableRandom random = new SplittableRandom(c.optimizerSeed());
                Algorithm adam = TestedOptimizers.withFlag(
                        TestedOptimizers.kind(random.nextBoolean() ? "Adam" : "AdamW").random().apply(random),
                        "amsgrad", true);
                Buffers buffers = c.buffers(arena);
                MemorySegment max = buffers.state(2);
                float[] previous = new float[c.length()];
                for (int step = 1; step <= c.steps(); step++) {
                    TestedOptimizers.step(adam, buffers, step);
                    for (int i = 0; i < c.length(); i++) {
                        float now = max.getAtIndex(TestFloats.FLOAT, i);
                        float v = buffers.state(1).getAtIndex(TestFloats.FLOAT, i);
                        boolean nan = Float.isNaN(now);
                        if (!nan && (now < previous[i] || now < v)) {
                            fail(adam + ": max_exp_avg_sq[" + i + "] went from " + previous[i] + " to " + now
                                    + " with exp_avg_sq " + v);
                        }
                        if (!nan) {
                            previous[i] = now;
                        }
                    }
                }
            }
        });
    }

    @Test
    void squaredAveragesStayNonNegative() {
        qt().withExamples(300).forAll(cases()).checkAssert(c -> {
            try (Arena arena = Arena.ofConfined()) {
                Algorithm optimizer = c.optimizer();
                Buffers buffers = c.buffers(arena);
                for (int step = 1; step <= c.steps(); step++) {
                    TestedOptimizers.step(optimizer, buffers, step);
                    for (int s = 0; s < optimizer.stateNames().size(); s++) {
                        String name = optimizer.stateNames().get(s);
                        if (TestedOptimizers.SQUARED_STATE.contains(name)) {
                            assertNotNegative(optimizer + " " + name, buffers.state(s));
                        }
                    }
                }
            }
        });
    }

    /** Every non-NaN element is +0 or positive: not negative, not −0. */
    private static void assertNotNegative(String what, MemorySegment buffer) {
        for (long i = 0; i < buffer.byteSize() / Float.BYTES; i++) {
            float x = buffer.getAtIndex(TestFloats.FLOAT, i);
            if (!Float.isNaN(x) && (x < 0 || Float.floatToRawIntBits(x) == Float.floatToRawIntBits(-0f))) {
                fail(what + "[" + i + "] is " + TestFloats.describe(x));
            }
        }
    }
}
