package dev.vecoptim;

import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.Generate.booleans;
import static org.quicktheories.generators.Generate.longRange;
import static org.quicktheories.generators.Generate.pick;
import static org.quicktheories.generators.Generate.range;
import static org.quicktheories.generators.SourceDSL.lists;

import dev.vecoptim.kernel.TestFloats;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.quicktheories.core.Gen;

/**
 * The optimizer object against its model: random structures (families, groups, sizes, widths, threads,
 * thresholds, skip policy) and random sequences of actions (steps with fresh gradients, some non-finite,
 * some clipped; learning-rate changes and schedules; save and load into a fresh optimizer, as a checkpoint or as
 * PyTorch's state dict; removing a parameter). After every
 * action the optimizer's parameters, state, step counts and learning rates equal the model's, bit for bit.
 */
class OptimizerStatefulProperties {
    @TempDir
    Path directory;

    /** One action; {@code group} is taken modulo the number of groups. */
    sealed interface Action {
        void run(UnderTest system);

        void apply(OptimizerModel model);
    }

    record Step(long gradSeed, boolean poisoned, double maxNorm) implements Action {
        @Override
        public void run(UnderTest system) {
            float[][] grads = grads(system.structure);
            for (int p = 0; p < grads.length; p++) {
                MemorySegment.copy(grads[p], 0, system.grads.get(p), ValueLayout.JAVA_FLOAT, 0, grads[p].length);
            }
            if (maxNorm > 0) {
                system.optimizer.clipGradNorm(maxNorm);
            }
            system.optimizer.step();
        }

        @Override
        public void apply(OptimizerModel model) {
            model.step(grads(model.structure), maxNorm);
        }

        float[][] grads(OptimizerModel.Structure structure) {
            SplittableRandom random = new SplittableRandom(gradSeed);
            List<Integer> sizes = structure.sizes().stream().flatMap(List::stream).toList();
            float[][] grads = new float[sizes.size()][];
            for (int p = 0; p < grads.length; p++) {
                grads[p] = new float[sizes.get(p)];
                for (int i = 0; i < grads[p].length; i++) {
                    grads[p][i] = TestFloats.value(random, Integer.MAX_VALUE) * 1e-2f;
                }
            }
            if (poisoned && grads.length > 0 && grads[grads.length - 1].length > 0) {
                float[] last = grads[grads.length - 1];
                last[random.nextInt(last.length)] = random.nextBoolean() ? Float.NaN : Float.NEGATIVE_INFINITY;
            }
            return grads;
        }
    }

    record SetLr(int group, double lr) implements Action {
        @Override
        public void run(UnderTest system) {
            ParameterGroup target = system.group(group);
            target.schedule(null);
            target.lr(lr);
        }

        @Override
        public void apply(OptimizerModel model) {
            int g = group % model.lrs.length;
            model.schedules[g] = null;
            model.lrs[g] = lr;
        }
    }

    record SetSchedule(int group, double lr, double gamma) implements Action {
        @Override
        public void run(UnderTest system) {
            system.group(group).schedule(LearningRateSchedule.exponential(lr, gamma));
        }

        @Override
        public void apply(OptimizerModel model) {
            model.schedules[group % model.lrs.length] = LearningRateSchedule.exponential(lr, gamma);
        }
    }

    record SaveAndLoadIntoAFreshOptimizer(boolean asStateDict) implements Action {
        @Override
        public void run(UnderTest system) {
            system.reopen(asStateDict);
        }

        @Override
        public void apply(OptimizerModel model) {
            if (asStateDict) {
                model.startUnsteppedAfresh();
            }
        }
    }

    /** Removes the {@code which}-th parameter left (modulo their number), if any is. */
    record Remove(int which) implements Action {
        @Override
        public void run(UnderTest system) {
            List<Parameter> live = new ArrayList<>();
            system.optimizer.groups().forEach(group -> live.addAll(group.parameters()));
            if (!live.isEmpty()) {
                Parameter target = live.get(which % live.size());
                target.group().remove(target);
                system.removed[OptimizerModel.liveIndex(system.removed, which % live.size())] = true;
            }
        }

        @Override
        public void apply(OptimizerModel model) {
            int live = 0;
            for (boolean gone : model.removed) {
                live += gone ? 0 : 1;
            }
            if (live > 0) {
                model.remove(which % live);
            }
        }
    }

    /** The system under test: an optimizer over value and gradient segments it does not own, or owns (flat). */
    final class UnderTest implements AutoCloseable {
        final OptimizerModel.Structure structure;
        final Arena arena = Arena.ofShared();
        final List<MemorySegment> values = new ArrayList<>();
        final List<MemorySegment> grads = new ArrayList<>();
        final boolean[] removed;
        Optimizer optimizer;

        UnderTest(OptimizerModel.Structure structure, float[][] initialValues) {
            this.structure = structure;
            this.removed = new boolean[initialValues.length];
            for (float[] initial : initialValues) {
                values.add(arena.allocate(4L * initial.length, 64).copyFrom(MemorySegment.ofArray(initial)));
                grads.add(arena.allocate(4L * initial.length, 64));
            }
            optimizer = structure.build(values, grads);
        }

        ParameterGroup group(int group) {
            return optimizer.groups().get(group % optimizer.groups().size());
        }

        /**
         * Saves, closes, and loads the checkpoint (or the safetensors state dict) into a new optimizer,
         * re-attaching the schedules.
         */
        void reopen(boolean asStateDict) {
            try {
                Path file = directory.resolve(asStateDict ? "state.safetensors" : "checkpoint.bin");
                if (asStateDict) {
                    optimizer.saveStateDict(file);
                } else {
                    optimizer.save(file);
                }
                List<LearningRateSchedule> schedules = optimizer.groups().stream()
                        .map(g -> g.schedule().orElse(null)).toList();
                if (structure.flat()) {
                    // The values live in the optimizer's memory, which closing it frees: keep a copy.
                    values.replaceAll(value -> arena.allocate(Math.max(4, value.byteSize()), 64)
                            .asSlice(0, value.byteSize()).copyFrom(value));
                }
                optimizer.close();
                optimizer = structure.build(values, grads);
                List<Parameter> built = new ArrayList<>();
                optimizer.groups().forEach(group -> built.addAll(group.parameters()));
                for (int p = 0; p < built.size(); p++) {
                    if (removed[p]) {
                        built.get(p).group().remove(built.get(p));
                    }
                }
                if (asStateDict) {
                    optimizer.loadStateDict(file);
                } else {
                    optimizer.load(file);
                }
                for (int g = 0; g < schedules.size(); g++) {
                    optimizer.groups().get(g).schedule(schedules.get(g));
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public void close() {
            optimizer.close();
            arena.close();
        }
    }

    static Gen<Action> actions() {
        Gen<Action> steps = longRange(Long.MIN_VALUE, Long.MAX_VALUE)
                .zip(range(0, 9), pick(List.of(0.0, 0.0, 0.01, 1.0)), (seed, poison, maxNorm) ->
                        new Step(seed, poison == 0, maxNorm));
        Gen<Action> lrs = range(0, 2).zip(pick(List.of(0.0, 1e-4, 3e-3, 0.05)), SetLr::new);
        Gen<Action> schedules = range(0, 2).zip(pick(List.of(1e-3, 0.02)), pick(List.of(0.5, 0.99)), SetSchedule::new);
        Gen<Action> reopen = booleans().map(SaveAndLoadIntoAFreshOptimizer::new);
        Gen<Action> removals = range(0, 11).map(Remove::new);
        return org.quicktheories.generators.Generate.frequency(List.of(
                org.quicktheories.api.Pair.of(6, steps), org.quicktheories.api.Pair.of(1, lrs),
                org.quicktheories.api.Pair.of(1, schedules), org.quicktheories.api.Pair.of(2, reopen),
                org.quicktheories.api.Pair.of(1, removals)));
    }

    @Test
    void theOptimizerAlwaysEqualsTheScalarModelBitForBit() {
        qt().withExamples(500).forAll(longRange(Long.MIN_VALUE, Long.MAX_VALUE), lists().of(actions()).ofSizeBetween(1, 12))
                .checkAssert((structureSeed, actions) -> {
                    SplittableRandom random = new SplittableRandom(structureSeed);
                    OptimizerModel.Structure structure = OptimizerModel.Structure.random(random);
                    float[][] initial = new float[structure.parameterCount()][];
                    List<Integer> sizes = structure.sizes().stream().flatMap(List::stream).toList();
                    for (int p = 0; p < initial.length; p++) {
                        initial[p] = new float[sizes.get(p)];
                        for (int i = 0; i < initial[p].length; i++) {
                            initial[p][i] = TestFloats.value(random, Integer.MAX_VALUE);
                        }
                    }
                    OptimizerModel model = new OptimizerModel(structure, copy(initial));
                    try (UnderTest system = new UnderTest(structure, initial)) {
                        int done = 0;
                        for (Action action : actions) {
                            action.run(system);
                            action.apply(model);
                            OptimizerModel actual = OptimizerModel.of(structure, system.optimizer, system.removed);
                            if (!actual.equals(model)) {
                                throw new AssertionError("after " + action + " (action " + (done + 1) + " of "
                                        + actions.size() + ") in " + structure + "\noptimizer: " + actual
                                        + "\nmodel:     " + model);
                            }
                            done++;
                        }
                    }
                });
    }

    private static float[][] copy(float[][] arrays) {
        float[][] copy = new float[arrays.length][];
        for (int i = 0; i < arrays.length; i++) {
            copy[i] = arrays[i].clone();
        }
        return copy;
    }
}
