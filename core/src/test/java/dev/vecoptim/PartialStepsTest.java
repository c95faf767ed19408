package dev.vecoptim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.Generate.longRange;

import dev.vecoptim.kernel.TestFloats;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Optimizer#stepParameters}: parameters stepped a few at a time, in any order, as their
 * gradients become ready, end each step with the bits, step counts and schedule of one whole step.
 */
class PartialStepsTest {
    @TempDir
    Path directory;

    @Test
    void stepsMadeOfPartialStepsEqualWholeStepsBitForBit() {
        qt().withExamples(60).forAll(longRange(Long.MIN_VALUE, Long.MAX_VALUE)).checkAssert(seed -> {
            SplittableRandom random = new SplittableRandom(seed);
            OptimizerModel.Structure drawn = OptimizerModel.Structure.random(random);
            OptimizerModel.Structure structure = new OptimizerModel.Structure(drawn.groups(), drawn.sizes(),
                    NonFiniteGradients.PROPAGATE, drawn.helpers(), drawn.threshold(), drawn.flat());
            try (Arena arena = Arena.ofShared(); Optimizer whole = build(structure, arena, seed);
                 Optimizer parts = build(structure, arena, seed)) {
                for (Optimizer optimizer : List.of(whole, parts)) {
                    optimizer.groups().getFirst().schedule(LearningRateSchedule.exponential(0.01, 0.5));
                }
                for (int step = 1; step <= 3; step++) {
                    long gradSeed = random.nextLong();
                    fillGrads(whole, gradSeed);
                    fillGrads(parts, gradSeed);
                    whole.step();
                    if (random.nextInt(3) == 0) {
                        parts.step();
                        assertArrayEquals(ModelMemory.stateBits(whole), ModelMemory.stateBits(parts), "whole step");
                        continue;
                    }
                    List<Parameter> order = new ArrayList<>(all(parts));
                    Collections.shuffle(order, new Random(random.nextLong()));
                    int cut = order.isEmpty() ? 0 : random.nextInt(order.size() + 1);
                    parts.stepParameters(order.subList(0, cut));
                    if (cut < order.size() && random.nextBoolean()) {
                        parts.step();
                    } else if (cut < order.size()) {
                        parts.stepParameters(order.subList(cut, order.size()));
                    }
                    String at = "step " + step + " of " + structure;
                    assertEquals(whole.stepCount(), parts.stepCount(), at);
                    assertArrayEquals(ModelMemory.stateBits(whole), ModelMemory.stateBits(parts), at);
                }
            }
        });
    }

    @Test
    void eachParameterCountsItsOwnStepsAndTheOptimizerCountsCompleteOnes() {
        try (Arena arena = Arena.ofShared(); Optimizer optimizer = Optimizer.builder().build()) {
            ParameterGroup group = optimizer.addGroup(Adam.builder().build());
            Parameter first = group.add(arena.allocate(16, 64), arena.allocate(16, 64));
            Parameter second = group.add(arena.allocate(16, 64), arena.allocate(16, 64));
            StepReport report = optimizer.stepParameters(List.of(first));
            assertEquals(List.of(1L, 0L, 0L), List.of(first.stepCount(), second.stepCount(), optimizer.stepCount()));
            assertEquals(0, report.step());
            IllegalStateException again = assertThrows(IllegalStateException.class,
                    () -> optimizer.stepParameters(List.of(first)));
            assertEquals("group 0 parameter 0 was already stepped in this step, which is complete once every"
                    + " parameter has been; nothing was changed", again.getMessage());
            IllegalStateException save = assertThrows(IllegalStateException.class,
                    () -> optimizer.save(directory.resolve("half.ckpt")));
            assertEquals("step 1 has stepped 1 of 2 parameters; nothing can be saved until step() or"
                    + " stepParameters() completes it", save.getMessage());
            assertThrows(IllegalStateException.class, () -> group.remove(second));
            assertThrows(IllegalStateException.class, () -> optimizer.load(directory.resolve("any.ckpt")));
            Parameter third = group.add(arena.allocate(16, 64), arena.allocate(16, 64));
            assertEquals(1, optimizer.step().step(), "step() completes the step: the second and the third");
            assertEquals(List.of(1L, 1L, 1L), List.of(first.stepCount(), second.stepCount(), third.stepCount()));
            optimizer.stepParameters(List.of(third, second, first));
            assertEquals(2, optimizer.stepCount(), "a partial step of every parameter is a whole step");
        }
    }

    @Test
    void whatAPartialStepCannotDoIsRefusedBeforeAnyWrite() {
        try (Arena arena = Arena.ofShared(); Optimizer clipping = Optimizer.builder().maxGradNorm(1).build();
             Optimizer skipping = Optimizer.builder().nonFiniteGradients(NonFiniteGradients.SKIP).build();
             Optimizer plain = Optimizer.builder().build()) {
            Parameter clipped = clipping.addGroup(Sgd.builder(0.1).build()).add(filled(arena), filled(arena));
            assertEquals("a partial step cannot see every gradient, so it cannot clip them; step() steps every"
                    + " parameter", assertThrows(IllegalStateException.class,
                            () -> clipping.stepParameters(List.of(clipped))).getMessage());
            Parameter skipped = skipping.addGroup(Sgd.builder(0.1).build()).add(filled(arena), filled(arena));
            assertTrue(assertThrows(IllegalStateException.class, () -> skipping.stepParameters(List.of(skipped)))
                    .getMessage().contains("cannot check them (SKIP)"));
            ParameterGroup group = plain.addGroup(Sgd.builder(0.1).build());
            Parameter mine = group.add(filled(arena), filled(arena));
            Parameter removed = group.add(filled(arena), filled(arena));
            group.remove(removed);
            int[][] before = ModelMemory.stateBits(plain);
            assertThrows(IllegalArgumentException.class, () -> plain.stepParameters(List.of(mine, clipped)));
            assertThrows(IllegalArgumentException.class, () -> plain.stepParameters(List.of(mine, removed)));
            assertEquals("group 0 parameter 0 is given twice", assertThrows(IllegalArgumentException.class,
                    () -> plain.stepParameters(List.of(mine, mine))).getMessage());
            assertArrayEquals(before, ModelMemory.stateBits(plain), "nothing written");
            assertEquals(0, mine.stepCount());
            assertEquals(0, clipped.stepCount());

            Arena gone = Arena.ofShared();
            Parameter freed = group.add(filled(gone), filled(gone));
            gone.close();
            IllegalStateException closedArena = assertThrows(IllegalStateException.class,
                    () -> plain.stepParameters(List.of(mine, freed)));
            assertEquals("group 0 parameter 1 value cannot be used: its arena is closed", closedArena.getMessage());
            assertEquals(0, mine.stepCount(), "nothing stepped");
            Optimizer closed = Optimizer.builder().build();
            Parameter lone = closed.addGroup(Sgd.builder(0.1).build()).add(filled(arena), filled(arena));
            closed.close();
            assertEquals("the optimizer is closed", assertThrows(IllegalStateException.class,
                    () -> closed.stepParameters(List.of(lone))).getMessage());
        }
    }

    /** Two optimizers of the same Adam parameters and gradients: one for partial steps, one for whole ones. */
    private static Optimizer[] twins(Arena arena, int parameters, int floats) {
        Optimizer[] twins = {Optimizer.builder().build(), Optimizer.builder().build()};
        for (Optimizer optimizer : twins) {
            ParameterGroup group = optimizer.addGroup(Adam.builder().lr(0.01).build());
            for (int p = 0; p < parameters; p++) {
                group.add(filled(arena, floats, p), filled(arena, floats, p + 1000));
            }
        }
        return twins;
    }

    private static void spin(long nanos) {
        long until = System.nanoTime() + nanos;
        while (System.nanoTime() < until) {
            Thread.onSpinWait();
        }
    }

    @Test
    void aCollectionThatYieldsMoreOnEveryPassIsReadOnce() {
        try (Arena arena = Arena.ofShared()) {
            Optimizer[] twins = twins(arena, 6, 20);
            try (Optimizer parts = twins[0]; Optimizer whole = twins[1]) {
                List<Parameter> all = all(parts);
                int[] passes = {0};
                java.util.Collection<Parameter> growing = new java.util.AbstractCollection<>() {
                    @Override
                    public java.util.Iterator<Parameter> iterator() {
                        passes[0]++;
                        return all.subList(0, Math.min(all.size(), 2 * passes[0])).iterator();
                    }

                    @Override
                    public int size() {
                        return Math.min(all.size(), 2 * passes[0]);
                    }
                };
                parts.stepParameters(growing);
                assertEquals(1, passes[0], "read once");
                assertEquals(List.of(1L, 1L, 0L, 0L, 0L, 0L), all.stream().map(Parameter::stepCount).toList());
                parts.step();
                whole.step();
                assertEquals(List.of(1L, 1L, 1L, 1L, 1L, 1L), all.stream().map(Parameter::stepCount).toList());
                assertArrayEquals(ModelMemory.stateBits(whole), ModelMemory.stateBits(parts));
            }
        }
    }

    @Test
    void aCollectionAppendedToWhileAPartialStepRunsStepsWhatItHeldThenOnce() throws Exception {
        try (Arena arena = Arena.ofShared()) {
            Optimizer[] twins = twins(arena, 48, 1024);
            try (Optimizer parts = twins[0]; Optimizer whole = twins[1]) {
                List<Parameter> all = all(parts);
                SplittableRandom random = new SplittableRandom(5);
                for (int round = 0; round < 300; round++) {
                    java.util.concurrent.ConcurrentLinkedQueue<Parameter> arriving =
                            new java.util.concurrent.ConcurrentLinkedQueue<>();
                    java.util.concurrent.CountDownLatch started = new java.util.concurrent.CountDownLatch(1);
                    Thread appender = Thread.ofPlatform().start(() -> {
                        started.countDown();
                        for (Parameter parameter : all) {
                            arriving.add(parameter);
                            spin(2_000);
                        }
                    });
                    started.await();
                    spin(random.nextLong(50_000));
                    List<Long> before = all.stream().map(Parameter::stepCount).toList();
                    parts.stepParameters(arriving);
                    appender.join();
                    List<Long> after = all.stream().map(Parameter::stepCount).toList();
                    int stepped = 0;
                    for (int p = 0; p < all.size(); p++) {
                        long advance = after.get(p) - before.get(p);
                        assertTrue(advance == 0 || advance == 1, "round " + round + ": parameter " + p + " stepped "
                                + advance + " times");
                        assertTrue(advance == 0 || p == stepped, "round " + round + ": not a prefix of the queue");
                        stepped += (int) advance;
                    }
                    if (stepped < all.size()) {
                        parts.step();
                    }
                    whole.step();
                    assertEquals(whole.stepCount(), parts.stepCount(), "round " + round);
                    assertArrayEquals(ModelMemory.stateBits(whole), ModelMemory.stateBits(parts), "round " + round
                            + ": " + stepped + " parameters stepped by the partial step");
                }
            }
        }
    }

    private static MemorySegment filled(Arena arena) {
        MemorySegment segment = arena.allocate(4 * 20, 64);
        TestFloats.fill(segment, new SplittableRandom(segment.address()), Integer.MAX_VALUE);
        return segment;
    }

    private static MemorySegment filled(Arena arena, int floats, long seed) {
        MemorySegment segment = arena.allocate(4L * floats, 64);
        TestFloats.fill(segment, new SplittableRandom(seed), 50);
        return segment;
    }

    private static Optimizer build(OptimizerModel.Structure structure, Arena arena, long seed) {
        ModelMemory memory = ModelMemory.of(arena, structure, seed);
        return structure.build(memory.values(), memory.grads());
    }

    private static List<Parameter> all(Optimizer optimizer) {
        List<Parameter> parameters = new ArrayList<>();
        optimizer.groups().forEach(group -> parameters.addAll(group.parameters()));
        return parameters;
    }

    private static void fillGrads(Optimizer optimizer, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        for (Parameter parameter : all(optimizer)) {
            TestFloats.fill(parameter.grad(), random, 50);
        }
    }
}
