package dev.vecoptim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalLong;
import java.util.SplittableRandom;
import java.util.concurrent.ForkJoinPool;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Stochastic rounding of bfloat16 state ({@link AlgorithmBuilder#stochasticRounding}): a run gives the same bits at
 * every width, thread count and layout, and again from the same seed; the direct step equals the optimizer's; the
 * rounding keeps small updates in expectation where rounding to nearest drops them; checkpoints keep the seed.
 */
class StochasticStateRoundingTest {
    private static final long[] SIZES = {1000, 37, 3000};

    @Test
    void aRunIsTheSameAtAnyWidthThreadCountAndLayoutAndFromTheSameSeed() {
        SplittableRandom random = new SplittableRandom(43);
        for (int trial = 0; trial < 8; trial++) {
            Algorithm algorithm = TestedOptimizers.random(random).toBuilder().stateDtype(Dtype.BFLOAT16)
                    .stochasticRounding(trial).build();
            List<byte[]> first = run(algorithm, VectorWidth.PREFERRED, 0, false);
            String at = "trial " + trial + ": " + algorithm;
            assertSame(at + ", scalar, 2 helpers, flat", first, run(algorithm, VectorWidth.SCALAR, 2, true));
            assertSame(at + ", 128 bits, 1 helper", first, run(algorithm, VectorWidth.BITS_128, 1, false));
            if (algorithm.stateNames().isEmpty()) {
                continue;
            }
            assertFalse(same(first, run(algorithm.toBuilder().stochasticRounding(trial + 100).build(),
                    VectorWidth.PREFERRED, 0, false)), at + ": another seed gives other bits");
            assertFalse(same(first, run(algorithm.toBuilder().nearestRounding().build(), VectorWidth.PREFERRED, 0,
                    false)), at + ": rounding to nearest gives other bits");
        }
    }

    /** Each parameter's values and state bytes after 4 steps of {@code algorithm} on float32 parameters. */
    private static List<byte[]> run(Algorithm algorithm, VectorWidth width, int helpers, boolean flat) {
        try (Arena arena = Arena.ofShared();
             Optimizer optimizer = Optimizer.builder().helpers(ForkJoinPool.commonPool(), helpers)
                     .parallelThreshold(helpers > 0 ? 16 : 1 << 30).build()) {
            ParameterGroup group = optimizer.addGroup(algorithm.withVectorWidth(width));
            List<Parameter> parameters = new ArrayList<>();
            if (flat) {
                parameters.addAll(group.allocate(SIZES));
            } else {
                for (long size : SIZES) {
                    parameters.add(group.add(arena.allocate(4 * size), arena.allocate(4 * size)));
                }
            }
            SplittableRandom random = new SplittableRandom(1);
            for (Parameter parameter : parameters) {
                fill(parameter.value(), random);
            }
            for (int step = 0; step < 4; step++) {
                for (Parameter parameter : parameters) {
                    fill(parameter.grad(), random);
                }
                optimizer.step();
            }
            return bytes(parameters);
        }
    }

    private static List<byte[]> bytes(List<Parameter> parameters) {
        List<byte[]> bytes = new ArrayList<>();
        for (Parameter parameter : parameters) {
            bytes.add(parameter.value().toArray(ValueLayout.JAVA_BYTE));
            for (String name : parameter.stateNames()) {
                bytes.add(parameter.state(name).toArray(ValueLayout.JAVA_BYTE));
            }
        }
        return bytes;
    }

    private static void fill(MemorySegment floats, SplittableRandom random) {
        for (long i = 0; i < floats.byteSize() / Float.BYTES; i++) {
            floats.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) random.nextGaussian());
        }
    }

    private static boolean same(List<byte[]> expected, List<byte[]> actual) {
        for (int b = 0; b < expected.size(); b++) {
            if (Arrays.mismatch(expected.get(b), actual.get(b)) >= 0) {
                return false;
            }
        }
        return expected.size() == actual.size();
    }

    private static void assertSame(String what, List<byte[]> expected, List<byte[]> actual) {
        assertEquals(expected.size(), actual.size(), what);
        for (int b = 0; b < expected.size(); b++) {
            assertEquals(-1, Arrays.mismatch(expected.get(b), actual.get(b)), what + ", buffer " + b);
        }
    }

    @Test
    void theDirectStepEqualsTheOptimizers() {
        Algorithm algorithm = NAdam.builder().lr(0.01).stateDtype(Dtype.BFLOAT16).stochasticRounding(5).build();
        int n = 777;
        try (Arena arena = Arena.ofShared(); Optimizer optimizer = Optimizer.builder().build()) {
            Parameter parameter = optimizer.addGroup(algorithm).add(arena.allocate(4L * n), arena.allocate(4L * n));
            MemorySegment param = arena.allocate(4L * n);
            MemorySegment[] state = {arena.allocate(2L * n), arena.allocate(2L * n), arena.allocate(4)};
            SplittableRandom random = new SplittableRandom(2);
            fill(parameter.value(), random);
            param.copyFrom(parameter.value());
            for (int step = 1; step <= 3; step++) {
                fill(parameter.grad(), random);
                optimizer.step();
                algorithm.step(step, param, parameter.grad(), state);
                assertEquals(-1, param.mismatch(parameter.value()), "step " + step);
                assertEquals(-1, state[1].mismatch(parameter.state("exp_avg_sq")), "step " + step);
            }
        }
    }

    /**
     * Adam's {@code exp_avg_sq} under a constant gradient of 1 is {@code 1 − β₂^t}: kept in bfloat16 and rounded to
     * nearest it stops growing once {@code (1 − β₂)·(1 − v)} is below half its spacing; rounded stochastically, its
     * mean over many elements follows the exact value.
     */
    @Test
    void smallUpdatesCountInExpectation() {
        int n = 2000;
        int steps = 2000;
        double exact = 1 - Math.pow(0.999, steps);
        double nearest = meanExpAvgSq(Adam.builder().lr(0).stateDtype(Dtype.BFLOAT16).build(), n, steps);
        double stochastic = meanExpAvgSq(Adam.builder().lr(0).stateDtype(Dtype.BFLOAT16).stochasticRounding(9)
                .build(), n, steps);
        assertEquals(exact, stochastic, 0.01 * exact, "stochastic rounding");
        assertTrue(nearest < 0.5 * exact, "rounding to nearest stalls: " + nearest + " against " + exact);
    }

    private static double meanExpAvgSq(Algorithm algorithm, int n, int steps) {
        try (Optimizer optimizer = Optimizer.builder().build()) {
            Parameter parameter = optimizer.addGroup(algorithm).allocate(n).getFirst();
            for (long i = 0; i < n; i++) {
                parameter.grad().setAtIndex(ValueLayout.JAVA_FLOAT, i, 1);
            }
            for (int step = 0; step < steps; step++) {
                optimizer.step();
            }
            double sum = 0;
            for (long i = 0; i < n; i++) {
                sum += Dtype.BFLOAT16.get(parameter.state("exp_avg_sq"), i);
            }
            return sum / n;
        }
    }

    @Test
    void theSeedIsPartOfTheConfigurationAndNeedsBfloat16State() {
        Algorithm rounded = Adam.builder().stateDtype(Dtype.BFLOAT16).stochasticRounding(7).build();
        assertEquals(OptionalLong.of(7), rounded.stochasticRoundingSeed());
        assertEquals(OptionalLong.empty(), Adam.builder().build().stochasticRoundingSeed());
        assertEquals(rounded, rounded.toBuilder().build());
        assertEquals(OptionalLong.of(7), rounded.withLr(0.5).stochasticRoundingSeed());
        assertNotEquals(rounded, rounded.toBuilder().stochasticRounding(8).build());
        assertTrue(rounded.toString().endsWith("state_dtype=torch.bfloat16, stochastic_rounding_seed=7)"),
                rounded.toString());
        assertTrue(rounded.implementation().toString().contains("rounded once stochastically to torch.bfloat16"),
                rounded.implementation().toString());
        try (Optimizer optimizer = Optimizer.builder().build()) {
            ParameterGroup group = optimizer.addGroup(rounded);
            group.allocate(8);
            IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                    () -> group.hyperParameters(rounded.toBuilder().stochasticRounding(8).build()));
            assertTrue(refused.getMessage().contains("such a change needs a new optimizer"), refused.getMessage());
            group.hyperParameters(rounded.withLr(0.5));
        }
        for (Dtype state : new Dtype[] {null, Dtype.FLOAT16, Dtype.FLOAT32}) {
            IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                    () -> Adam.builder().stateDtype(state).stochasticRounding(7).build());
            assertTrue(refused.getMessage().startsWith("stochastic rounding rounds bfloat16 state"),
                    refused.getMessage());
        }
    }

    @Test
    void aCheckpointKeepsTheSeedAndRefusesAnother(@TempDir Path directory) throws IOException {
        Algorithm rounded = Adam.builder().lr(0.01).stateDtype(Dtype.BFLOAT16).stochasticRounding(7).build();
        Path file = directory.resolve("rounded.ckpt");
        try (Optimizer saved = Optimizer.builder().build(); Optimizer loaded = Optimizer.builder().build();
             Optimizer other = Optimizer.builder().build()) {
            Parameter original = saved.addGroup(rounded).allocate(500).getFirst();
            Parameter copy = loaded.addGroup(rounded).allocate(500).getFirst();
            other.addGroup(rounded.toBuilder().nearestRounding().build()).allocate(500);
            SplittableRandom random = new SplittableRandom(4);
            fill(original.value(), random);
            for (int step = 0; step < 3; step++) {
                fill(original.grad(), random);
                saved.step();
            }
            saved.save(file);
            loaded.load(file);
            for (int step = 0; step < 2; step++) {
                fill(original.grad(), random);
                copy.grad().copyFrom(original.grad());
                saved.step();
                loaded.step();
            }
            assertEquals(-1, original.value().mismatch(copy.value()));
            assertEquals(-1, original.state("exp_avg_sq").mismatch(copy.state("exp_avg_sq")));
            CheckpointException refused = assertThrows(CheckpointException.class, () -> other.load(file));
            assertTrue(refused.getMessage().contains("rounds its state stochastically (seed 7) in the checkpoint and"
                    + " to nearest here; build it with .stochasticRounding(7L)"), refused.getMessage());
        }
    }
}
