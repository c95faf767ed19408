package dev.vecoptim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vecoptim.io.CheckpointHeader;
import dev.vecoptim.kernel.TestFloats;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Parameters the optimizer allocates in one block ({@link ParameterGroup#allocate}): where the block stops being
 * stepped as one range (a removal, a checkpoint whose parameters made different steps), each parameter still
 * gets exactly the update it would get in memory of its own. {@code OptimizerStatefulProperties} runs flat
 * groups through random steps, schedules and reloads.
 */
class FlatStorageTest {
    private static final long[] SIZES = {37, 0, 256, 1, 1000};

    @TempDir
    Path directory;

    @Test
    void allocatedParametersStartAtZeroAndTheirMemoryIsHeld() {
        try (Optimizer optimizer = Optimizer.builder().build()) {
            ParameterGroup group = optimizer.addGroup(Adam.builder().build());
            List<Parameter> parameters = group.allocate(SIZES);
            assertEquals(SIZES.length, parameters.size());
            for (int p = 0; p < SIZES.length; p++) {
                Parameter parameter = parameters.get(p);
                assertEquals(SIZES[p], parameter.elementCount());
                assertEquals(p, parameter.index());
                assertEquals(-1, parameter.value().mismatch(MemorySegment.ofArray(new float[(int) SIZES[p]])),
                        "zero values");
            }
            assertEquals(0, parameters.getFirst().value().address() % 64, "the block starts aligned");
            assertEquals(parameters.get(2).value().address(), parameters.getFirst().value().address() + 37 * 4,
                    "one after another");
            IllegalArgumentException overlap = assertThrows(IllegalArgumentException.class,
                    () -> group.add(parameters.get(2).value().asSlice(0, 8), parameters.get(4).grad().asSlice(0, 8)));
            assertTrue(overlap.getMessage().contains("overlaps group 0 parameter 2 value"), overlap.getMessage());
            IllegalArgumentException negative = assertThrows(IllegalArgumentException.class,
                    () -> group.allocate(3, -1));
            assertEquals("parameter 1 of the block would have -1 floats", negative.getMessage());
            assertEquals(SIZES.length, group.parameters().size(), "a refused allocation registers nothing");
        }
        Optimizer closed = Optimizer.builder().build();
        ParameterGroup group = closed.addGroup(Sgd.builder(0.1).build());
        closed.close();
        assertThrows(IllegalStateException.class, () -> group.allocate(4));
    }

    /** The block's first member (where a plan asks the block) or one in its middle. */
    @Test
    void aRemovedParameterLeavesTheOthersSteppedAsIfAlone() {
        for (int index : List.of(0, 2)) {
            assertRemovalLeavesTheOthersAsIfAlone(index);
        }
    }

    private static void assertRemovalLeavesTheOthersAsIfAlone(int index) {
        Algorithm adam = Adam.builder().amsgrad(true).weightDecay(0.01).build();
        try (Arena arena = Arena.ofShared(); Optimizer own = Optimizer.builder().parallelThreshold(64).build();
             Optimizer flat = Optimizer.builder().parallelThreshold(64).build()) {
            List<Parameter> owned = addOwned(arena, own.addGroup(adam));
            List<Parameter> allocated = flat.addGroup(adam).allocate(SIZES);
            SplittableRandom random = new SplittableRandom(3);
            fill(random, owned, allocated, true);
            Parameter removed = allocated.get(index);
            float[] removedValue = null;
            for (int step = 0; step < 5; step++) {
                if (step == 2) {
                    own.groups().getFirst().remove(owned.get(index));
                    flat.groups().getFirst().remove(removed);
                    removedValue = removed.value().toArray(java.lang.foreign.ValueLayout.JAVA_FLOAT);
                }
                fill(random, owned, allocated, false);
                own.step();
                flat.step();
                assertSame(own, flat, "parameter " + index + " removed, step " + (step + 1));
            }
            TestFloats.assertSameBits("the removed parameter, no longer stepped", MemorySegment.ofArray(removedValue),
                    removed.value());
        }
    }

    /** Adam has no scalars, so only the step counts tell; NAdam's mu_product differs with them too. */
    @Test
    void aCheckpointWhoseParametersMadeDifferentStepsLoadsIntoABlock() throws IOException {
        for (Algorithm algorithm : List.of(Adam.builder().lr(0.01).build(), NAdam.builder().lr(0.01).build())) {
            try (Arena arena = Arena.ofShared(); Optimizer own = Optimizer.builder().build()) {
                ParameterGroup ownGroup = own.addGroup(algorithm);
                for (long size : SIZES) {
                    // Each parameter joins one step after the one before: every step count differs.
                    ownGroup.add(arena.allocate(4 * size, 64), arena.allocate(4 * size, 64));
                    SplittableRandom random = new SplittableRandom(ownGroup.parameters().size());
                    for (Parameter parameter : ownGroup.parameters()) {
                        TestFloats.fill(parameter.grad(), random, Integer.MAX_VALUE);
                    }
                    own.step();
                }
                assertResumesAsIfAlone(own, directory.resolve("staggered.ckpt"), file -> { });
                assertEquals(SIZES.length, ownGroup.parameters().getFirst().stepCount() - 3);
            }
        }
    }

    /** ASGD's eta of one parameter set apart in the file, as a file of another writer may hold it. */
    @Test
    void aCheckpointWhoseParametersHoldDifferentScalarsLoadsIntoABlock() throws IOException {
        try (Arena arena = Arena.ofShared(); Optimizer own = Optimizer.builder().build()) {
            List<Parameter> owned = addOwned(arena, own.addGroup(Asgd.builder().lr(0.05).lambd(0.1).build()));
            SplittableRandom random = new SplittableRandom(9);
            fill(random, owned, owned, false);
            own.step();
            assertResumesAsIfAlone(own, directory.resolve("eta.ckpt"), file -> CheckpointFiles.rewriteHeader(file,
                    header -> {
                        CheckpointHeader.Group group = header.groups().getFirst();
                        List<CheckpointHeader.Entry> entries = new java.util.ArrayList<>(group.parameters());
                        CheckpointHeader.Entry entry = entries.get(3);
                        entries.set(3, new CheckpointHeader.Entry(entry.elements(), entry.dtype(), entry.stateDtype(), entry.steps(), entry.stateNames(),
                                java.util.Map.of("eta", 0.5, "mu", 1.0), entry.values(), entry.master()));
                        return new CheckpointHeader(header.steps(), List.of(new CheckpointHeader.Group(
                                group.optimizer(), group.semantics(), group.fused(), group.hyperParameters(), group.schedule(),
                                entries, group.masterWeights(), group.stochasticRounding())));
                    }));
        }
    }

    private interface FileChange {
        void apply(Path file) throws IOException;
    }

    /**
     * Saves {@code own}, changes the file, loads it into {@code own} again and into a flat optimizer of the same
     * structure, and steps both three times from the same values and gradients.
     */
    private static void assertResumesAsIfAlone(Optimizer own, Path file, FileChange change) throws IOException {
        own.save(file);
        change.apply(file);
        own.load(file);
        ParameterGroup ownGroup = own.groups().getFirst();
        try (Optimizer flat = Optimizer.builder().build()) {
            List<Parameter> allocated = flat.addGroup(ownGroup.hyperParameters()).allocate(
                    ownGroup.parameters().stream().mapToLong(Parameter::elementCount).toArray());
            flat.load(file);
            SplittableRandom random = new SplittableRandom(5);
            fill(random, ownGroup.parameters(), allocated, true);
            for (int step = 0; step < 3; step++) {
                fill(random, ownGroup.parameters(), allocated, false);
                own.step();
                flat.step();
                assertSame(own, flat, "step " + (step + 1) + " after the load");
            }
        }
    }

    @Test
    void aCheckpointHoldsTheValuesOfTheParametersTheOptimizerOwns() throws IOException {
        Algorithm adam = Adam.builder().amsgrad(true).build();
        try (Arena arena = Arena.ofShared(); Optimizer trained = Optimizer.builder().build();
             Optimizer resumed = Optimizer.builder().build(); Optimizer uninterrupted = Optimizer.builder().build();
             Optimizer callers = Optimizer.builder().build()) {
            List<Parameter> mine = trained.addGroup(adam).allocate(SIZES);
            List<Parameter> twin = uninterrupted.addGroup(adam).allocate(SIZES);
            List<Parameter> restored = resumed.addGroup(adam).allocate(SIZES);
            addOwned(arena, callers.addGroup(adam));
            SplittableRandom random = new SplittableRandom(21);
            fill(random, mine, twin, true);
            for (int s = 0; s < 2; s++) {
                fill(random, mine, twin, false);
                trained.step();
                uninterrupted.step();
            }
            Path file = directory.resolve("flat.ckpt");
            trained.save(file);
            resumed.load(file);
            for (int p = 0; p < SIZES.length; p++) {
                assertEquals(-1, mine.get(p).value().mismatch(restored.get(p).value()), "values of parameter " + p);
            }
            fill(random, twin, restored, false);
            uninterrupted.step();
            resumed.step();
            assertSame(uninterrupted, resumed, "after the resumed step");
            CheckpointException refused = assertThrows(CheckpointException.class, () -> callers.load(file));
            assertTrue(refused.getMessage().endsWith("group 0 parameter 0's values are in the checkpoint, from memory"
                    + " the optimizer owned (group.allocate), and here it is in the caller's memory"),
                    refused.getMessage());
        }
    }

    private static List<Parameter> addOwned(Arena arena, ParameterGroup group) {
        List<Parameter> parameters = new java.util.ArrayList<>();
        for (long size : SIZES) {
            parameters.add(group.add(arena.allocate(4 * size, 64), arena.allocate(4 * size, 64)));
        }
        return parameters;
    }

    /** The same random gradients, and with {@code values} the same random values, in both lists. */
    private static void fill(SplittableRandom random, List<Parameter> owned, List<Parameter> allocated,
                             boolean values) {
        for (int p = 0; p < owned.size(); p++) {
            MemorySegment target = values ? owned.get(p).value() : owned.get(p).grad();
            TestFloats.fill(target, random, Integer.MAX_VALUE);
            (values ? allocated.get(p).value() : allocated.get(p).grad()).copyFrom(target);
        }
    }

    private static void assertSame(Optimizer expected, Optimizer actual, String when) {
        List<Parameter> want = expected.groups().getFirst().parameters();
        List<Parameter> got = actual.groups().getFirst().parameters();
        assertEquals(want.size(), got.size());
        for (int p = 0; p < want.size(); p++) {
            String at = when + " parameter " + p + " ";
            TestFloats.assertSameBits(at + "value", want.get(p).value(), got.get(p).value());
            assertEquals(want.get(p).stepCount(), got.get(p).stepCount(), at + "steps");
            for (String name : want.get(p).stateNames()) {
                TestFloats.assertSameBits(at + name, want.get(p).state(name), got.get(p).state(name));
            }
            for (String name : want.get(p).scalarNames()) {
                assertEquals(Double.doubleToRawLongBits(want.get(p).scalar(name)),
                        Double.doubleToRawLongBits(got.get(p).scalar(name)), at + name);
            }
        }
    }
}
