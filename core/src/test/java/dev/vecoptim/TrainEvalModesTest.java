package dev.vecoptim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vecoptim.kernel.TestFloats;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Train and eval modes ({@link Algorithm#hasModes()}, Schedule-Free): {@link Optimizer#eval()} and
 * {@link Optimizer#train()} move every parameter that has stepped by ATen's lerp towards its first state buffer,
 * equal to a plain scalar model of it for every dtype, master and semantics; they leave parameters that have not
 * stepped alone; a step in eval mode is refused and writes nothing; files keep the mode. Optimizers without modes only
 * record it.
 */
class TrainEvalModesTest {

    /** Every optimizer of the registry with modes, at each dtype and master: the cases below. */
    static Stream<Arguments> withModes() {
        List<TestedOptimizers.Kind> kinds = TestedOptimizers.ALL.stream().filter(k -> k.prototype().hasModes()).toList();
        assertFalse(kinds.isEmpty(), "no optimizer of the registry has modes");
        SplittableRandom random = new SplittableRandom(8);
        return kinds.stream().flatMap(kind -> Stream.of(Dtype.values()).flatMap(dtype -> Stream.of(MasterWeights.values())
                .filter(master -> dtype != Dtype.FLOAT32 || master == MasterWeights.NONE)
                .filter(master -> master != MasterWeights.SPLIT || dtype == Dtype.BFLOAT16)
                .flatMap(master -> Stream.of(Semantics.values()).map(semantics -> Arguments.of(
                        kind.random().apply(random).toBuilder().masterWeights(master).semantics(semantics).build(),
                        dtype)))));
    }

    @ParameterizedTest(name = "{1} {0}")
    @MethodSource("withModes")
    void evalAndTrainLerpEverySteppedParameterAsTheScalarModelDoes(Algorithm algorithm, Dtype dtype) {
        SplittableRandom random = new SplittableRandom(algorithm.hashCode());
        try (Arena arena = Arena.ofShared(); Optimizer optimizer = Optimizer.builder().build()) {
            ParameterGroup group = optimizer.addGroup(algorithm);
            Parameter stepped = group.add(dtype, filled(arena, dtype, 77, random), arena.allocate(77L * dtype.bytes()));
            for (int step = 0; step < 3; step++) {
                fill(stepped.grad(), dtype, random);
                optimizer.step();
            }
            Parameter fresh = group.add(dtype, filled(arena, dtype, 5, random), arena.allocate(5L * dtype.bytes()));
            byte[] freshBefore = fresh.value().toArray(ValueLayout.JAVA_BYTE);
            for (boolean training : new boolean[] {false, true}) {
                float[] expected = modelled(algorithm, stepped, training);
                if (training) {
                    optimizer.train();
                } else {
                    optimizer.eval();
                }
                assertEquals(training, optimizer.training());
                for (int i = 0; i < expected.length; i++) {
                    assertEquals(Float.floatToIntBits(expected[i]), Float.floatToIntBits(floatValue(stepped, i)),
                            (training ? "train" : "eval") + " value " + i);
                }
                assertTrue(java.util.Arrays.equals(freshBefore, fresh.value().toArray(ValueLayout.JAVA_BYTE)),
                        "a parameter that has not stepped moved");
            }
        }
    }

    /**
     * What {@code lerp(p, z, W)} makes of the parameter's float32 value (its master's, if it keeps one) towards
     * {@code z}: the parameter's value rounded to nearest to its dtype, or the master's.
     */
    private static float[] modelled(Algorithm algorithm, Parameter parameter, boolean training) {
        float weight = (float) algorithm.modeWeight(training);
        boolean pyTorch113 = algorithm.semantics() == Semantics.PYTORCH_1_13;
        boolean low = pyTorch113 ? weight < 0.5f : Math.abs(weight) < 0.5f;
        MemorySegment z = parameter.state(algorithm.stateNames().getFirst());
        Dtype zDtype = parameter.stateDtype();
        float[] values = new float[(int) parameter.elementCount()];
        for (int i = 0; i < values.length; i++) {
            float start = floatValue(parameter, i);
            float end = zDtype.get(z, i);
            float difference = end - start;
            float lerped = low ? Math.fma(weight, difference, start) : Math.fma(weight - 1, difference, end);
            // A master holds the lerp whole (a split one in the parameter's upper halves and its own lower ones).
            values[i] = parameter.masterWeights() == MasterWeights.NONE ? roundTrip(parameter.dtype(), lerped) : lerped;
        }
        return values;
    }

    /** The float32 value the optimizer steps of element {@code i}: its master's, or the parameter's. */
    private static float floatValue(Parameter parameter, int i) {
        Dtype dtype = parameter.dtype();
        return switch (parameter.masterWeights()) {
            case NONE -> dtype.get(parameter.value(), i);
            case FLOAT32 -> parameter.masterBuffer().getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i);
            case SPLIT -> Float.intBitsToFloat(Short.toUnsignedInt(parameter.value().getAtIndex(
                    ValueLayout.JAVA_SHORT_UNALIGNED, i)) << 16 | Short.toUnsignedInt(parameter.masterBuffer()
                    .getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i)));
        };
    }

    /** {@code value} rounded to nearest, ties to even, to {@code dtype}, as {@link Dtype#set} stores it. */
    private static float roundTrip(Dtype dtype, float value) {
        MemorySegment one = MemorySegment.ofArray(new byte[dtype.bytes()]);
        dtype.set(one, 0, value);
        return dtype.get(one, 0);
    }

    @ParameterizedTest(name = "{1} {0}")
    @MethodSource("withModes")
    void aStepInEvalModeIsRefusedAndWritesNothing(Algorithm algorithm, Dtype dtype) {
        SplittableRandom random = new SplittableRandom(3);
        try (Arena arena = Arena.ofShared(); Optimizer optimizer = Optimizer.builder().build()) {
            ParameterGroup group = optimizer.addGroup(algorithm);
            Parameter parameter = group.add(dtype, filled(arena, dtype, 9, random), filled(arena, dtype, 9, random));
            optimizer.step();
            optimizer.eval();
            byte[] before = parameter.value().toArray(ValueLayout.JAVA_BYTE);
            IllegalStateException refused = assertThrows(IllegalStateException.class, optimizer::step);
            assertTrue(refused.getMessage().contains("call optimizer.train() before stepping"), refused.getMessage());
            assertThrows(IllegalStateException.class, () -> optimizer.stepParameters(List.of(parameter)));
            assertTrue(java.util.Arrays.equals(before, parameter.value().toArray(ValueLayout.JAVA_BYTE)));
            assertEquals(1, parameter.stepCount());
            optimizer.eval();
            assertTrue(java.util.Arrays.equals(before, parameter.value().toArray(ValueLayout.JAVA_BYTE)),
                    "a second eval() moved the parameter");
        }
    }

    @Test
    void anOptimizerWithoutModesOnlyRecordsTheMode() {
        SplittableRandom random = new SplittableRandom(4);
        for (TestedOptimizers.Kind kind : TestedOptimizers.ALL) {
            Algorithm algorithm = kind.random().apply(random);
            if (algorithm.hasModes()) {
                continue;
            }
            try (Arena arena = Arena.ofShared(); Optimizer optimizer = Optimizer.builder().build()) {
                Parameter parameter = optimizer.addGroup(algorithm).add(filled(arena, Dtype.FLOAT32, 9, random),
                        filled(arena, Dtype.FLOAT32, 9, random));
                optimizer.step();
                byte[] before = parameter.value().toArray(ValueLayout.JAVA_BYTE);
                optimizer.eval();
                assertFalse(optimizer.training());
                assertTrue(java.util.Arrays.equals(before, parameter.value().toArray(ValueLayout.JAVA_BYTE)),
                        algorithm.name());
                optimizer.step();
                assertEquals(2, parameter.stepCount(), algorithm.name() + " steps in eval mode");
                IllegalStateException direct = assertThrows(IllegalStateException.class,
                        () -> algorithm.toEval(Dtype.FLOAT32, parameter.value(), parameter.stateBuffers()));
                assertEquals(algorithm.name() + " has no train and eval modes", direct.getMessage());
            }
        }
    }

    @ParameterizedTest(name = "{1} {0}")
    @MethodSource("withModes")
    void checkpointsAndStateDictsKeepTheMode(Algorithm algorithm, Dtype dtype, @org.junit.jupiter.api.io.TempDir Path dir)
            throws IOException {
        SplittableRandom random = new SplittableRandom(5);
        try (Arena arena = Arena.ofShared(); Optimizer trained = Optimizer.builder().build();
             Optimizer checkpointed = Optimizer.builder().build(); Optimizer stateDict = Optimizer.builder().build()) {
            MemorySegment initial = filled(arena, dtype, 33, random);
            MemorySegment grad = filled(arena, dtype, 33, random);
            Parameter original = trained.addGroup(algorithm).add(dtype, copy(arena, initial), grad);
            trained.step();
            trained.step();
            trained.eval();
            trained.save(dir.resolve("eval.ckpt"));
            trained.saveStateDict(dir.resolve("eval.safetensors"));
            for (Optimizer loaded : List.of(checkpointed, stateDict)) {
                Parameter restored = loaded.addGroup(algorithm).add(dtype, copy(arena, original.value()), grad);
                if (loaded == checkpointed) {
                    loaded.load(dir.resolve("eval.ckpt"));
                } else {
                    loaded.loadStateDict(dir.resolve("eval.safetensors"));
                }
                assertFalse(loaded.training(), "the eval mode was not restored");
                assertThrows(IllegalStateException.class, loaded::step);
                loaded.train();
                TestFloats.assertSameBits("the train value after a load", trainValue(original, arena),
                        restored.value());
            }
        }
    }

    /** The train value {@code parameter}, in eval mode, moves to: {@link Algorithm#toTrain} on copies of its buffers. */
    private static MemorySegment trainValue(Parameter parameter, Arena arena) {
        MemorySegment value = copy(arena, parameter.value());
        MemorySegment[] state = parameter.stateBuffers().clone();
        for (int s = 0; s < state.length; s++) {
            state[s] = copy(arena, state[s]);
        }
        parameter.group().algorithm().toTrain(parameter.dtype(), value, state);
        return value;
    }

    /**
     * β1 under 2/3 makes the eval weight 1 − 1/β1 under −0.5, where 1.13's lerp and 2.x's round apart (when the
     * parameter and z are far enough apart that z − p rounds): each semantics moves by its own.
     */
    @Test
    void eachSemanticsMovesByItsOwnLerp() {
        SplittableRandom random = new SplittableRandom(6);
        Algorithm prototype = TestedOptimizers.ALL.stream().map(TestedOptimizers.Kind::prototype)
                .filter(Algorithm::hasModes).findFirst().orElseThrow();
        Map<String, Object> named = new java.util.LinkedHashMap<>(prototype.namedHyperParameters());
        named.put("betas", new double[] {0.55, 0.999});
        int differing = 0;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment start = filled(arena, Dtype.FLOAT32, 1000, random);
            MemorySegment[] state = new MemorySegment[prototype.stateNames().size() + prototype.scalarNames().size()];
            for (int s = 0; s < state.length; s++) {
                state[s] = s < prototype.stateNames().size() ? filled(arena, Dtype.FLOAT32, 1000, random)
                        : arena.allocate(prototype.scalarBytes().get(s - prototype.stateNames().size()));
            }
            float[][] moved = new float[2][];
            for (Semantics semantics : Semantics.values()) {
                Algorithm algorithm = prototype.withNamedHyperParameters(named).withSemantics(semantics);
                MemorySegment param = copy(arena, start);
                algorithm.toEval(Dtype.FLOAT32, param, state);
                moved[semantics.ordinal()] = param.toArray(ValueLayout.JAVA_FLOAT);
                float weight = (float) algorithm.modeWeight(false);
                assertTrue(weight < -0.5f);
                for (int i = 0; i < 1000; i++) {
                    float p = start.getAtIndex(ValueLayout.JAVA_FLOAT, i);
                    float z = state[0].getAtIndex(ValueLayout.JAVA_FLOAT, i);
                    float expected = semantics == Semantics.PYTORCH_1_13 ? Math.fma(weight, z - p, p)
                            : Math.fma(weight - 1, z - p, z);
                    assertEquals(Float.floatToIntBits(expected), Float.floatToIntBits(moved[semantics.ordinal()][i]),
                            semantics + " element " + i);
                }
            }
            for (int i = 0; i < 1000; i++) {
                differing += Float.compare(moved[0][i], moved[1][i]) != 0 ? 1 : 0;
            }
        }
        assertTrue(differing > 100, "the two semantics differ in " + differing + " of 1000 elements");
    }

    /** Both weights are finite, and hyper-parameters that would make one infinite (β1 = 0: 1 − 1/β1) are refused. */
    @Test
    void theWeightsAreFiniteAndAMomentumOfZeroIsRefused() {
        for (Algorithm algorithm : TestedOptimizers.ALL.stream().map(TestedOptimizers.Kind::prototype)
                .filter(Algorithm::hasModes).toList()) {
            assertTrue(Double.isFinite(algorithm.modeWeight(true)) && Double.isFinite(algorithm.modeWeight(false)));
            IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                    () -> algorithm.withMomentum(0));
            assertTrue(refused.getMessage().contains("eval() divides by beta1"), refused.getMessage());
        }
    }

    @Test
    void theDirectMovesCheckTheirBuffers() {
        Algorithm algorithm = TestedOptimizers.ALL.stream().map(TestedOptimizers.Kind::prototype)
                .filter(Algorithm::hasModes).findFirst().orElseThrow();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment param = arena.allocate(4L * 8);
            MemorySegment[] state = new MemorySegment[algorithm.stateNames().size() + algorithm.scalarNames().size()];
            for (int s = 0; s < state.length; s++) {
                state[s] = arena.allocate(s < algorithm.stateNames().size() ? 4L * 8
                        : algorithm.scalarBytes().get(s - algorithm.stateNames().size()));
            }
            state[0] = arena.allocate(4L * 7);
            IllegalArgumentException shorter = assertThrows(IllegalArgumentException.class,
                    () -> algorithm.toEval(Dtype.FLOAT32, param, state));
            assertTrue(shorter.getMessage().startsWith(algorithm.stateNames().getFirst() + " has 7 floats"),
                    shorter.getMessage());
            state[0] = param;
            assertTrue(assertThrows(IllegalArgumentException.class, () -> algorithm.toTrain(Dtype.FLOAT32, param,
                    state)).getMessage().contains("overlap"));
            assertThrows(NullPointerException.class, () -> algorithm.toTrain(null, param, state));
        }
    }

    /**
     * A {@link ShardedOptimizer} at 3 processes moves each process's shard and gathers the values: after 3 steps its
     * eval values, and after train() and a fourth step its values, equal a one-process optimizer's stepping the
     * averaged gradients, on every process; a step in eval mode is refused on every process; its checkpoint and
     * state dict, saved in eval mode, load into one process in eval mode, and its shards' files into 2 processes.
     */
    @Test
    void aShardedOptimizerMovesAsOneProcessDoes(@org.junit.jupiter.api.io.TempDir Path dir) throws IOException {
        Algorithm algorithm = TestedOptimizers.ALL.stream().map(TestedOptimizers.Kind::prototype)
                .filter(Algorithm::hasModes).findFirst().orElseThrow().withLr(0.05);
        long[] sizes = {37, 100};
        int processes = 3;
        List<List<List<Integer>>> byProcess = ThreadedJob.run(processes, world -> {
            try (ShardedOptimizer optimizer = ShardedOptimizer.builder(world).build()) {
                ShardedGroup group = optimizer.addGroup(algorithm, sizes);
                ShardedRank.start(group.values());
                for (int step = 1; step <= 3; step++) {
                    ShardedRank.fill(group.grads(), 7, step, world.rank());
                    optimizer.step();
                }
                optimizer.eval();
                List<Integer> evalValues = bits(group.values());
                assertThrows(IllegalStateException.class, optimizer::step);
                try {
                    optimizer.save(dir.resolve("sharded.ckpt"));
                    optimizer.saveStateDict(dir.resolve("sharded.safetensors"));
                    optimizer.saveShards(dir.resolve("shards.manifest"));
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
                optimizer.train();
                ShardedRank.fill(group.grads(), 7, 4, world.rank());
                optimizer.step();
                return List.of(evalValues, bits(group.values()));
            }
        });
        try (Optimizer one = Optimizer.builder().build()) {
            List<Parameter> parameters = one.addGroup(algorithm).allocate(Dtype.FLOAT32, sizes);
            List<MemorySegment> values = parameters.stream().map(Parameter::value).toList();
            List<MemorySegment> grads = parameters.stream().map(Parameter::grad).toList();
            ShardedRank.start(values);
            for (int step = 1; step <= 3; step++) {
                ShardedRank.fillAverage(grads, 7, step, processes);
                one.step();
            }
            one.eval();
            List<Integer> evalValues = bits(values);
            one.train();
            ShardedRank.fillAverage(grads, 7, 4, processes);
            one.step();
            for (int rank = 0; rank < processes; rank++) {
                assertEquals(List.of(evalValues, bits(values)), byProcess.get(rank), "process " + rank);
            }
        }
        for (String file : List.of("sharded.ckpt", "sharded.safetensors")) {
            try (Optimizer loaded = Optimizer.builder().build()) {
                loaded.addGroup(algorithm).allocate(Dtype.FLOAT32, sizes);
                if (file.endsWith(".ckpt")) {
                    loaded.load(dir.resolve(file));
                } else {
                    loaded.loadStateDict(dir.resolve(file));
                }
                assertFalse(loaded.training(), file + " lost the eval mode");
            }
        }
        List<Boolean> resumed = ThreadedJob.run(2, world -> {
            try (ShardedOptimizer optimizer = ShardedOptimizer.builder(world).build()) {
                optimizer.addGroup(algorithm, sizes);
                optimizer.loadShards(dir.resolve("shards.manifest"));
                return optimizer.training();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        assertEquals(List.of(false, false), resumed, "the shards' files lost the eval mode");
    }

    private static List<Integer> bits(List<MemorySegment> segments) {
        return segments.stream().flatMap(segment -> java.util.Arrays.stream(segment.toArray(ValueLayout.JAVA_INT))
                .boxed()).toList();
    }

    private static MemorySegment filled(Arena arena, Dtype dtype, int elements, SplittableRandom random) {
        MemorySegment segment = arena.allocate((long) elements * dtype.bytes(), 64);
        fill(segment, dtype, random);
        return segment;
    }

    private static void fill(MemorySegment segment, Dtype dtype, SplittableRandom random) {
        for (long i = 0; i < segment.byteSize() / dtype.bytes(); i++) {
            dtype.set(segment, i, (float) random.nextGaussian());
        }
    }

    private static MemorySegment copy(Arena arena, MemorySegment source) {
        return arena.allocate(source.byteSize(), 64).copyFrom(source);
    }
}
