package dev.vecoptim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.Generate.range;
import static org.quicktheories.generators.SourceDSL.lists;

import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link ShardedOptimizer} in jobs of threads ({@link ThreadedJob}), without MPI: any optimizer, any sizes, 1 to 5
 * processes, equal bit for bit to one process stepping the averaged gradients; {@link ShardedScenarios}' failures;
 * and the refusals of the builder and of {@link ShardedOptimizer#addGroup}.
 */
class ShardedOptimizerTest {

    @Test
    void anyOptimizerOnAnySizesClippedOrNotInPartsOrNotEqualsOneProcessAtAnyNumberOfProcesses() {
        List<String> names = Optimizers.pyTorchNames().stream()
                .filter(name -> ShardedStepper.shardable(Optimizers.defaults(name))).toList();
        qt().withExamples(200).forAll(range(1, 5), lists().of(range(0, 70)).ofSizeBetween(1, 4),
                lists().of(range(0, 40)).ofSizeBetween(0, 2), range(0, 8 * names.size() - 1))
                .checkAssert((processes, first, second, optimizerAndOptions) -> {
                    Algorithm algorithm = Optimizers.defaults(names.get(optimizerAndOptions / 8));
                    ShardedOptions options = new ShardedOptions(1 + optimizerAndOptions % 2,
                            optimizerAndOptions / 2 % 2 == 1 ? ShardedScenarios.CLIPPING : 0, true,
                            optimizerAndOptions / 4 % 2 * 16);
                    List<String> verdicts = ThreadedJob.run(processes, world -> String.valueOf(ShardedScenarios
                            .stepBeside(world, algorithm, options, sizes(first), sizes(second))));
                    assertEquals(Collections.nCopies(processes, "null"), verdicts, algorithm + " on " + first + " and "
                            + second + " in " + processes + " processes, " + options);
                });
    }

    @Test
    void sixteenBitGroupsEqualOneProcessSteppingTheirAverages() {
        List<Algorithm> algorithms = List.of(Adam.adamWBuilder().fused(true).build(),
                Adam.adamWBuilder().masterWeights(MasterWeights.FLOAT32).build(),
                Sgd.builder(0.1).momentum(0.9).fused(true).build(), NAdam.builder().fused(true).build(),
                RmsProp.builder().stateDtype(Dtype.FLOAT32).build(),
                Adam.builder().fused(true).semantics(Semantics.PYTORCH_1_13).build());
        List<List<Dtype>> mixes = List.of(List.of(Dtype.BFLOAT16), List.of(Dtype.FLOAT16),
                List.of(Dtype.BFLOAT16, Dtype.FLOAT32), List.of(Dtype.FLOAT16, Dtype.BFLOAT16, Dtype.FLOAT32));
        qt().withExamples(120).forAll(range(1, 4), lists().of(range(0, 70)).ofSizeBetween(1, 3),
                range(0, algorithms.size() * mixes.size() - 1), range(0, 15))
                .checkAssert((processes, sizes, algorithmAndMix, options) -> {
                    Algorithm algorithm = algorithms.get(algorithmAndMix / mixes.size());
                    List<Dtype> dtypes = mixes.get(algorithmAndMix % mixes.size());
                    boolean clipping = options / 2 % 2 == 1 && !(dtypes.contains(Dtype.FLOAT16)
                            && algorithm.semantics() == Semantics.PYTORCH_1_13);
                    ShardedOptions built = new ShardedOptions(1 + options % 2, clipping ? ShardedScenarios.CLIPPING
                            : 0, options / 4 % 2 == 0, options / 8 * 16);
                    List<String> verdicts = ThreadedJob.run(processes, world -> String.valueOf(
                            ShardedSixteenBitScenarios.stepBeside(world, algorithm, dtypes, built, sizes(sizes))));
                    assertEquals(Collections.nCopies(processes, "null"), verdicts, algorithm + " on " + dtypes + " "
                            + sizes + " in " + processes + " processes, " + built);
                });
    }

    /** The cases the MPI job checks: clipped mixes of dtypes under both PyTorch versions, MPI's order. */
    @ParameterizedTest(name = "{0} processes")
    @ValueSource(ints = {2, 3})
    void sixteenBitCasesOfTheMpiJobEqualOneProcess(int processes) {
        assertEquals(Collections.nCopies(processes, "OK"), ThreadedJob.run(processes,
                ShardedSixteenBitScenarios::equalToOneProcess));
    }

    private static long[] sizes(List<Integer> sizes) {
        return sizes.stream().mapToLong(Integer::longValue).toArray();
    }

    @ParameterizedTest(name = "{0} processes")
    @ValueSource(ints = {1, 2, 3})
    void failuresAreDecidedByEveryProcessTogether(int processes) {
        assertEquals(Collections.nCopies(processes, "OK OK"), ThreadedJob.run(processes, world ->
                ShardedScenarios.nonFiniteDecidedTogether(world) + " "
                        + ShardedScenarios.refusedOnEveryProcess(world)));
    }

    /**
     * A job of 3 threads saves; jobs of 1, 2 and 5 resume from its files, as one process does; a file that one process
     * cannot load is refused on all.
     */
    @Test
    void aJobResumesFromTheFilesOfAJobOfAnotherSize(@TempDir Path dir) {
        assertEquals(Collections.nCopies(3, "OK"), ThreadedJob.run(3, world -> ShardedFileScenarios.save(world, dir)));
        for (int processes : new int[] {1, 2, 5}) {
            assertEquals(Collections.nCopies(processes, "OK"), ThreadedJob.run(processes,
                    world -> ShardedFileScenarios.resume(world, dir)), processes + " processes");
        }
        assertEquals(Collections.nCopies(2, "OK"), ThreadedJob.run(2,
                world -> ShardedFileScenarios.refusedOnEveryProcess(world, dir)));
        assertEquals(Collections.nCopies(3, "OK"), ThreadedJob.run(3,
                world -> ShardedFileScenarios.shardFilesRefusedOnEveryProcess(world, dir)));
        assertEquals(Collections.nCopies(3, "OK"), ThreadedJob.run(3,
                world -> ShardedFileScenarios.sixteenBitFiles(world, dir, true)));
        for (int processes : new int[] {1, 2, 4}) {
            assertEquals(Collections.nCopies(processes, "OK"), ThreadedJob.run(processes,
                    world -> ShardedFileScenarios.sixteenBitFiles(world, dir, false)), processes + " processes");
        }
    }

    @ParameterizedTest(name = "{0} processes")
    @ValueSource(ints = {1, 3})
    void stepsOfSomeGroupsEqualOneProcessStepsOfSomeParameters(int processes, @TempDir Path dir) {
        assertEquals(Collections.nCopies(processes, "OK"), ThreadedJob.run(processes,
                world -> ShardedScenarios.partialStepsEqualOneProcess(world, dir)));
    }

    @Test
    void theDefaultPartKeepsTheScratchMemoryNearItsBudget() {
        assertEquals(1 << 22, GradientAverage.defaultPart(1, 16));
        assertEquals(1_398_096, GradientAverage.defaultPart(3, 16));
        assertEquals(1 << 16, GradientAverage.defaultPart(64, 16));
        assertEquals(1 << 16, GradientAverage.defaultPart(1000, 16));
    }

    @Test
    void badOptionsAndGroupsAreRefused() {
        ThreadedJob.run(1, world -> {
            assertEquals("ZeRO's stages here are 1 (state sharded) and 2 (state and gradients sharded), not 3",
                    assertThrows(IllegalArgumentException.class, () -> ShardedOptimizer.builder(world).zeroStage(3))
                            .getMessage());
            assertEquals("a part is a positive multiple of 16 elements, not 24", assertThrows(
                    IllegalArgumentException.class, () -> ShardedOptimizer.builder(world).part(24)).getMessage());
            assertEquals("threads must be >= 1 (the calling thread counts), was 0", assertThrows(
                    IllegalArgumentException.class, () -> ShardedOptimizer.builder(world).threads(0)).getMessage());
            ShardedOptimizer optimizer = ShardedOptimizer.builder(world).build();
            Algorithm adam = Adam.builder().build();
            assertEquals("a parameter's size must be >= 0, was -1", assertThrows(IllegalArgumentException.class,
                    () -> optimizer.addGroup(adam, 3, -1)).getMessage());
            assertEquals("a sharded group holds at most 2147483647 floats (MPI counts them in ints)",
                    assertThrows(IllegalArgumentException.class,
                            () -> optimizer.addGroup(adam, Integer.MAX_VALUE, 1)).getMessage());
            Algorithm rounded = Adam.builder().stateDtype(Dtype.BFLOAT16).stochasticRounding(7).build();
            assertEquals("Adam with BFLOAT16 state and stochastic rounding updates an element by its position in"
                    + " its tensor, which a shard changes: it cannot be sharded", assertThrows(
                            IllegalArgumentException.class, () -> optimizer.addGroup(rounded, 8)).getMessage());
            List<Algorithm> layerwise = Optimizers.pyTorchNames().stream().map(Optimizers::defaults)
                    .filter(Algorithm::layerwise).toList();
            assertFalse(layerwise.isEmpty(), "no layer-wise optimizer in the registry");
            for (Algorithm algorithm : layerwise) {
                assertEquals(algorithm.name() + " steps each parameter by norms of the whole of it, which no shard"
                        + " holds: it cannot be sharded", assertThrows(IllegalArgumentException.class,
                                () -> optimizer.addGroup(algorithm, 8)).getMessage());
            }
            optimizer.addGroup(adam, 8);
            assertEquals("this optimizer runs Adam; SGD needs an optimizer of its own", assertThrows(
                    IllegalArgumentException.class, () -> optimizer.addGroup(Sgd.builder().build(), 8))
                    .getMessage());
            assertEquals("AdamW's single-tensor step on BFLOAT16 rounds the last n % 32 elements of each tensor its own"
                    + " way, which a shard changes: shard it fused (fused(true)) or with"
                    + " masterWeights(MasterWeights.FLOAT32)", assertThrows(IllegalArgumentException.class,
                            () -> optimizer.addGroup(Adam.adamWBuilder().build(), Dtype.BFLOAT16, 8)).getMessage());
            assertEquals(1, optimizer.groups().size());
            try (ShardedOptimizer clipping = ShardedOptimizer.builder(world).maxGradNorm(1).build()) {
                Algorithm adam113 = Adam.builder().masterWeights(MasterWeights.FLOAT32)
                        .semantics(Semantics.PYTORCH_1_13).build();
                assertEquals("PyTorch 1.13 clips no float16 gradients as vecoptim can reproduce (alone it refuses:"
                        + " \"clamp_max_scalar_cpu\" not implemented for 'Half'; among others it sums their squares in"
                        + " float16), and this optimizer clips (maxGradNorm)", assertThrows(
                                IllegalArgumentException.class, () -> clipping.addGroup(adam113, Dtype.FLOAT16, 8))
                        .getMessage());
                assertEquals(List.of(), clipping.groups());
                clipping.addGroup(adam113, Dtype.BFLOAT16, 8);
            }
            try (ShardedOptimizer other = ShardedOptimizer.builder(world).build()) {
                ShardedGroup foreign = other.addGroup(adam, 3, 4);
                assertEquals("process 0 of 1: group 0 of FLOAT32 parameters [3, 4] is not a group of this optimizer",
                        assertThrows(IllegalArgumentException.class, () -> optimizer.stepGroups(List.of(foreign)))
                                .getMessage());
            }
            optimizer.close();
            assertEquals("the sharded optimizer is closed", assertThrows(IllegalStateException.class,
                    () -> optimizer.addGroup(adam, 8)).getMessage());
            assertEquals("the sharded optimizer is closed", assertThrows(IllegalStateException.class,
                    optimizer::zeroGrad).getMessage());
            return null;
        });
    }
}
