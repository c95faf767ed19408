package dev.vecoptim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.Generate.longRange;
import static org.quicktheories.generators.Generate.range;

import dev.vecoptim.kernel.TestFloats;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** The optimizer object's behaviour: threads, policies, registration and its errors. */
class OptimizerTest {
    @org.junit.jupiter.api.io.TempDir
    Path directory;

    @Test
    void aMultiThreadedStepEqualsASingleThreadedOneBitForBit() {
        qt().withExamples(60).forAll(longRange(Long.MIN_VALUE, Long.MAX_VALUE), range(1, 4), range(4, 14))
                .checkAssert((seed, steps, thresholdLog) -> {
                    OptimizerModel.Structure structure = OptimizerModel.Structure.random(new SplittableRandom(seed));
                    try (Arena arena = Arena.ofShared()) {
                        ModelMemory single = ModelMemory.of(arena, structure, seed);
                        ModelMemory parallel = ModelMemory.of(arena, structure, seed);
                        try (Optimizer one = withThreads(structure, single, 0, 1L << 30);
                             Optimizer many = withThreads(structure, parallel, 3, 1L << thresholdLog)) {
                            for (int s = 0; s < steps; s++) {
                                one.step();
                                many.step();
                                assertArrayEquals(ModelMemory.stateBits(one), ModelMemory.stateBits(many),
                                        "step " + (s + 1) + " of " + structure);
                            }
                        }
                    }
                });
    }

    /**
     * A step works out once per group what depends on the step number alone (powers of the betas, say): a
     * parameter that joined later, at another step count, must still get its own step number's update, as
     * {@link Algorithm#step} gives it to a copy stepped alone.
     */
    @Test
    void parametersThatJoinedLaterAreSteppedAtTheirOwnStepNumbers() {
        for (TestedOptimizers.Kind kind : TestedOptimizers.ALL) {
            Algorithm algorithm = kind.everyBuffer();
            try (Arena arena = Arena.ofShared(); Optimizer optimizer = Optimizer.builder().build()) {
                ParameterGroup group = optimizer.addGroup(algorithm);
                SplittableRandom random = new SplittableRandom(kind.name().hashCode());
                List<MemorySegment[]> alone = new ArrayList<>();
                for (int step = 1; step <= 6; step++) {
                    if (step % 2 == 1) {
                        MemorySegment value = arena.allocate(4 * 19, 64);
                        TestFloats.fill(value, random, Integer.MAX_VALUE);
                        Parameter joined = group.add(value, arena.allocate(4 * 19, 64));
                        MemorySegment[] copy = new MemorySegment[2 + joined.stateNames().size()
                                + joined.scalarNames().size()];
                        copy[0] = arena.allocate(4 * 19, 64).copyFrom(value);
                        copy[1] = arena.allocate(4 * 19, 64);
                        for (int s = 2; s < copy.length; s++) {
                            copy[s] = arena.allocate(joined.stateBuffers()[s - 2].byteSize(), 64)
                                    .copyFrom(joined.stateBuffers()[s - 2]);
                        }
                        alone.add(copy);
                    }
                    for (int p = 0; p < alone.size(); p++) {
                        Parameter parameter = group.parameters().get(p);
                        TestFloats.fill(parameter.grad(), random, Integer.MAX_VALUE);
                        alone.get(p)[1].copyFrom(parameter.grad());
                        MemorySegment[] copy = alone.get(p);
                        algorithm.step(parameter.stepCount() + 1, copy[0], copy[1],
                                java.util.Arrays.copyOfRange(copy, 2, copy.length));
                    }
                    optimizer.step();
                    for (int p = 0; p < alone.size(); p++) {
                        Parameter parameter = group.parameters().get(p);
                        TestFloats.assertSameBits(kind.name() + " step " + step + " parameter " + p,
                                alone.get(p)[0], parameter.value());
                        for (int s = 2; s < alone.get(p).length; s++) {
                            TestFloats.assertSameBits(kind.name() + " step " + step + " parameter " + p + " state "
                                    + (s - 2), alone.get(p)[s], parameter.stateBuffers()[s - 2]);
                        }
                    }
                }
            }
        }
    }

    private static Optimizer withThreads(OptimizerModel.Structure structure, ModelMemory memory, int helpers,
                                         long threshold) {
        OptimizerModel.Structure threaded = new OptimizerModel.Structure(structure.groups(), structure.sizes(),
                structure.policy(), helpers, threshold, structure.flat());
        return threaded.build(memory.values(), memory.grads());
    }

    @Test
    void segmentsOfAConfinedArenaAreSteppedOnTheirOwnThread() {
        OptimizerModel.Structure structure = new OptimizerModel.Structure(
                List.of(Adam.builder().build()), List.of(List.of(5000, 7000)), NonFiniteGradients.SKIP, 2, 64, false);
        try (Arena confined = Arena.ofConfined(); Arena shared = Arena.ofShared()) {
            ModelMemory mine = ModelMemory.of(confined, structure, 7);
            ModelMemory reference = ModelMemory.of(shared, structure, 7);
            try (Optimizer threaded = structure.build(mine.values(), mine.grads());
                 Optimizer single = withThreads(structure, reference, 0, 1L << 30)) {
                byte[][] before = mine.snapshot(threaded);
                for (int s = 0; s < 3; s++) {
                    assertFalse(threaded.step().skipped());
                    single.step();
                }
                assertArrayEquals(ModelMemory.stateBits(single), ModelMemory.stateBits(threaded));
                assertFalse(java.util.Arrays.deepEquals(before, mine.snapshot(threaded)), "nothing was stepped");
            }
        }
    }

    @Test
    void theStateOfConfinedParametersIsConfinedToTheirThreadWhichAloneSavesLoadsAndClosesIt() throws Exception {
        Path file = Files.createTempFile("confined", ".ckpt");
        try (Arena confined = Arena.ofConfined(); Arena shared = Arena.ofShared();
             ExecutorService other = Executors.newSingleThreadExecutor()) {
            Optimizer optimizer = Optimizer.builder().build();
            ParameterGroup group = optimizer.addGroup(Adam.builder().build());
            Parameter own = group.add(confined.allocate(64, 64), confined.allocate(64, 64));
            Parameter everyones = group.add(shared.allocate(64, 64), shared.allocate(64, 64));
            assertFalse(own.state("exp_avg").isAccessibleBy(new Thread(() -> { })), "confined like its parameter");
            assertTrue(everyones.state("exp_avg").isAccessibleBy(new Thread(() -> { })), "shared like its parameter");
            optimizer.step();
            optimizer.save(file);
            String owner = Thread.currentThread().getName();
            for (String call : List.of("save()", "load()", "saveStateDict()", "loadStateDict()", "close()")) {
                Throwable thrown = other.submit(() -> {
                    try {
                        switch (call) {
                            case "save()" -> optimizer.save(file);
                            case "load()" -> optimizer.load(file);
                            case "saveStateDict()" -> optimizer.saveStateDict(file.resolveSibling("confined.sd"));
                            case "loadStateDict()" -> optimizer.loadStateDict(file.resolveSibling("confined.sd"));
                            default -> optimizer.close();
                        }
                        return null;
                    } catch (WrongThreadException | IOException e) {
                        return e;
                    }
                }).get();
                assertTrue(thrown instanceof WrongThreadException, call + ": " + thrown);
                assertEquals(call + " must run on thread " + owner + ", to which the memory of some parameters, and"
                        + " so their state, is confined; it was called on " + other.submit(() -> Thread.currentThread()
                        .getName()).get() + " and changed nothing", thrown.getMessage());
            }
            assertEquals(2, optimizer.step().step(), "still open and usable on its own thread");
            optimizer.load(file);
            Arena elsewhere = other.submit(Arena::ofConfined).get();
            MemorySegment foreignValue = other.submit(() -> elsewhere.allocate(64, 64)).get();
            MemorySegment foreignGrad = other.submit(() -> elsewhere.allocate(64, 64)).get();
            Future<?> secondOwner = other.submit(() -> group.add(foreignValue, foreignGrad));
            java.util.concurrent.ExecutionException refused = assertThrows(
                    java.util.concurrent.ExecutionException.class, secondOwner::get);
            assertTrue(refused.getCause().getMessage().endsWith("and that of other parameters of this optimizer to "
                    + owner + ": one step cannot reach both"), refused.getCause().getMessage());
            other.submit(elsewhere::close).get();
            MemorySegment ownState = own.state("exp_avg");
            optimizer.close();
            assertFalse(ownState.scope().isAlive(), "freed by close() on its thread");
        } finally {
            Files.deleteIfExists(file);
            Files.deleteIfExists(file.resolveSibling("confined.sd"));
        }
    }

    @Test
    void skippingANonFiniteStepLeavesEveryBitAsItWas() {
        OptimizerModel.Structure structure = new OptimizerModel.Structure(
                List.of(Adam.builder().amsgrad(true).build(), Adam.builder().lr(0.1).build()),
                List.of(List.of(100, 3000), List.of(70_000)), NonFiniteGradients.SKIP, 2, 1024, false);
        try (Arena arena = Arena.ofShared()) {
            ModelMemory memory = ModelMemory.of(arena, structure, 11, Integer.MAX_VALUE);
            try (Optimizer optimizer = structure.build(memory.values(), memory.grads())) {
                optimizer.step();
                optimizer.step();
                memory.grads().get(2).setAtIndex(ValueLayout.JAVA_FLOAT, 69_999, Float.POSITIVE_INFINITY);
                byte[][] before = memory.snapshot(optimizer);
                StepReport report = optimizer.step();
                assertTrue(report.skipped());
                assertEquals(2, report.step());
                assertEquals(Double.POSITIVE_INFINITY, report.gradNorm().orElseThrow());
                assertArrayEquals(before, memory.snapshot(optimizer), "a skipped step changed something");
                assertEquals(2, optimizer.stepCount());
                optimizer.groups().forEach(g -> g.parameters().forEach(p -> assertEquals(2, p.stepCount())));
            }
        }
    }

    @Test
    void theThrowPolicyNamesTheParameterAndChangesNothing() {
        try (Arena arena = Arena.ofShared();
             Optimizer optimizer = Optimizer.builder().nonFiniteGradients(NonFiniteGradients.THROW).build()) {
            ParameterGroup group = optimizer.addGroup(Sgd.builder(0.1).momentum(0.9).build());
            group.add(arena.allocate(40), arena.allocate(40));
            MemorySegment grad = arena.allocate(40);
            group.add(arena.allocate(40), grad);
            grad.setAtIndex(ValueLayout.JAVA_FLOAT, 3, Float.NaN);
            ArithmeticException thrown = assertThrows(ArithmeticException.class, optimizer::step);
            assertEquals("group 0 parameter 1 has a NaN or infinite gradient at step 1; nothing was changed",
                    thrown.getMessage());
            assertEquals(0, optimizer.stepCount());
        }
    }

    @Test
    void theReportCarriesTheNormWhenTheStepComputedIt() {
        try (Arena arena = Arena.ofShared();
             Optimizer plain = Optimizer.builder().build();
             Optimizer clipping = Optimizer.builder().maxGradNorm(100).build()) {
            MemorySegment grad = arena.allocateFrom(ValueLayout.JAVA_FLOAT, 3, 4);
            plain.addGroup(Sgd.builder(0.1).build()).add(arena.allocate(8), grad);
            clipping.addGroup(Sgd.builder(0.1).build()).add(arena.allocate(8), arena.allocate(8).copyFrom(grad));
            StepReport report = plain.step();
            assertFalse(report.gradNorm().isPresent());
            assertEquals(1, report.step());
            assertEquals(5.0, clipping.step().gradNorm().orElseThrow());
        }
    }

    @Test
    void zeroGradSetsEveryGradientToPositiveZero() {
        try (Arena arena = Arena.ofShared(); Optimizer optimizer = Optimizer.builder().build()) {
            ParameterGroup group = optimizer.addGroup(RmsProp.builder().build());
            MemorySegment grad = arena.allocateFrom(ValueLayout.JAVA_FLOAT, -0f, Float.NaN, 3f);
            group.add(arena.allocate(12), grad);
            optimizer.zeroGrad();
            assertArrayEquals(new float[3], grad.toArray(ValueLayout.JAVA_FLOAT));
            assertEquals(0, Float.floatToRawIntBits(grad.getAtIndex(ValueLayout.JAVA_FLOAT, 0)));
        }
    }

    @Test
    void registrationRefusesWhatWouldCorruptTheState() {
        try (Arena arena = Arena.ofShared(); Optimizer optimizer = Optimizer.builder().build()) {
            ParameterGroup group = optimizer.addGroup(Adam.builder().build());
            MemorySegment shared = arena.allocate(400);
            group.add(shared.asSlice(0, 100), arena.allocate(100));
            assertMessage(IllegalArgumentException.class, "group 0 parameter 1 value overlaps group 0 parameter 0 value",
                    () -> group.add(shared.asSlice(96, 100), arena.allocate(100)));
            assertMessage(IllegalArgumentException.class, "group 0 parameter 1 grad has 24 floats (96 bytes) but its "
                    + "value has 25 (100 bytes)", () -> group.add(arena.allocate(100), arena.allocate(96)));
            assertMessage(IllegalArgumentException.class, "group 0 parameter 1 value is read-only",
                    () -> group.add(arena.allocate(100).asReadOnly(), arena.allocate(100)));
            assertMessage(IllegalArgumentException.class, "not a whole number of floats",
                    () -> group.add(arena.allocate(10), arena.allocate(10)));
            assertMessage(IllegalArgumentException.class, "value and grad overlap",
                    () -> group.add(shared.asSlice(200, 100), shared.asSlice(260, 100)));
            Arena closed = Arena.ofConfined();
            MemorySegment dead = closed.allocate(100);
            closed.close();
            assertMessage(IllegalStateException.class, "group 0 parameter 1 value cannot be used: its arena is closed",
                    () -> group.add(dead, arena.allocate(100)));
            assertMessage(IllegalArgumentException.class, "this optimizer runs Adam; SGD needs an optimizer of its own",
                    () -> optimizer.addGroup(Sgd.builder(0.1).build()));
            assertMessage(IllegalArgumentException.class, "group 0's parameters keep [exp_avg, exp_avg_sq]",
                    () -> group.hyperParameters(Adam.builder().amsgrad(true).build()));
            group.hyperParameters(Adam.builder().lr(0.5).betas(0.8, 0.9).build());
            assertEquals(0.5, group.lr());
            assertEquals(1, group.parameters().size(), "a refused parameter was registered");
        }
    }

    @Test
    void memoryIsRefusedOnlyWhereItOverlapsHeldMemory() {
        try (Arena arena = Arena.ofShared(); Optimizer optimizer = Optimizer.builder().build()) {
            ParameterGroup group = optimizer.addGroup(Sgd.builder(0.1).build());
            MemorySegment block = arena.allocate(800, 64);
            Parameter middle = group.add(block.asSlice(200, 100), block.asSlice(400, 100));
            group.add(block.asSlice(100, 100), block.asSlice(300, 100));
            group.add(block.asSlice(500, 100), block.asSlice(700, 100));
            assertMessage(IllegalArgumentException.class, "group 0 parameter 3 value overlaps group 0 parameter 1 value",
                    () -> group.add(block.asSlice(196, 8), arena.allocate(8)));
            assertMessage(IllegalArgumentException.class, "group 0 parameter 3 value overlaps group 0 parameter 0 value",
                    () -> group.add(block.asSlice(296, 8), arena.allocate(8)));
            assertMessage(IllegalArgumentException.class, "group 0 parameter 3 grad overlaps group 0 parameter 0 grad",
                    () -> group.add(arena.allocate(4), block.asSlice(496, 4)));
            Parameter empty = group.add(block.asSlice(0, 0), block.asSlice(100, 0));
            Parameter touching = group.add(block.asSlice(0, 100), block.asSlice(600, 100));
            assertEquals(List.of(3, 4), List.of(empty.index(), touching.index()), "touching memory was refused");

            group.remove(touching);
            assertMessage(IllegalArgumentException.class, "overlaps group 0 parameter 0 value",
                    () -> group.add(block.asSlice(250, 4), arena.allocate(4)));
            assertMessage(IllegalArgumentException.class, "value overlaps group 0 parameter 2 grad",
                    () -> group.add(block.asSlice(620, 100), arena.allocate(100)));
            group.remove(middle);
            group.add(block.asSlice(250, 4), block.asSlice(480, 4));

            float[] heap = new float[100];
            group.add(MemorySegment.ofArray(heap).asSlice(0, 40), MemorySegment.ofArray(heap).asSlice(40, 40));
            assertMessage(IllegalArgumentException.class, "grad overlaps group 0 parameter 4 grad",
                    () -> group.add(MemorySegment.ofArray(heap).asSlice(200, 40), MemorySegment.ofArray(heap).asSlice(76, 40)));
            Parameter heapKept = group.add(MemorySegment.ofArray(heap).asSlice(80, 40),
                    MemorySegment.ofArray(heap).asSlice(120, 40));
            group.remove(group.parameters().getFirst());
            assertMessage(IllegalArgumentException.class, "value overlaps", () -> group.add(
                    MemorySegment.ofArray(heap).asSlice(0, 40), MemorySegment.ofArray(heap).asSlice(200, 40)));
            group.remove(heapKept);
            group.add(MemorySegment.ofArray(heap).asSlice(80, 40), MemorySegment.ofArray(heap).asSlice(120, 40));
        }
    }

    @Test
    void memoryFreedWithItsArenaCanBeRegisteredAgain() {
        try (Arena arena = Arena.ofShared(); Optimizer optimizer = Optimizer.builder().build()) {
            ParameterGroup group = optimizer.addGroup(Sgd.builder(0.1).build());
            Arena temporary = Arena.ofShared();
            MemorySegment deadValue = temporary.allocate(48);
            group.add(deadValue, temporary.allocate(48));
            long deadAddress = deadValue.address();
            temporary.close();
            // The allocator hands freed memory out again; keep allocating until it does so for the dead value's. It
            // usually does at once, but other threads of the JVM may take it first: then there is nothing to check.
            MemorySegment reused = null;
            for (int attempt = 0; attempt < 100_000 && reused == null; attempt++) {
                MemorySegment candidate = arena.allocate(48);
                reused = candidate.address() == deadAddress ? candidate : null;
            }
            org.junit.jupiter.api.Assumptions.assumeTrue(reused != null, "the allocator never reused the freed memory");
            Parameter live = group.add(reused, arena.allocate(48));
            assertEquals(1, live.index(), "memory of a closed arena was taken for a held buffer");
        }
    }

    @Test
    void aReadOnlyGradientIsRefusedOnlyWhenTheStepWouldWriteIt() {
        try (Arena arena = Arena.ofShared(); Optimizer plain = Optimizer.builder().build();
             Optimizer clipping = Optimizer.builder().maxGradNorm(1).build()) {
            MemorySegment grad = arena.allocateFrom(ValueLayout.JAVA_FLOAT, 3, 4).asReadOnly();
            MemorySegment value = arena.allocate(8);
            plain.addGroup(Sgd.builder(0.5).build()).add(value, grad);
            plain.step();
            assertArrayEquals(new float[] {-1.5f, -2}, value.toArray(ValueLayout.JAVA_FLOAT));
            clipping.addGroup(Sgd.builder(0.5).build()).add(arena.allocate(8), grad);
            assertMessage(IllegalArgumentException.class, "group 0 parameter 0 grad is read-only, and would be written",
                    clipping::step);
            assertMessage(IllegalArgumentException.class, "grad is read-only", plain::zeroGrad);
        }
    }

    @Test
    void theBuildersClippingClipsBeforeEveryStep() {
        try (Arena arena = Arena.ofShared(); Optimizer clipping = Optimizer.builder().maxGradNorm(1).build();
             Optimizer byHand = Optimizer.builder().build()) {
            MemorySegment clippedGrad = arena.allocateFrom(ValueLayout.JAVA_FLOAT, 3, 4);
            MemorySegment handGrad = arena.allocateFrom(ValueLayout.JAVA_FLOAT, 3, 4);
            MemorySegment clippedValue = arena.allocate(8);
            MemorySegment handValue = arena.allocate(8);
            clipping.addGroup(Adam.builder().lr(0.1).build()).add(clippedValue, clippedGrad);
            byHand.addGroup(Adam.builder().lr(0.1).build()).add(handValue, handGrad);
            assertEquals(5.0, clipping.step().gradNorm().orElseThrow());
            assertEquals(5.0, byHand.clipGradNorm(1));
            byHand.step();
            float coefficient = (float) (1 / (5 + 1e-6));
            assertArrayEquals(new float[] {3 * coefficient, 4 * coefficient}, clippedGrad.toArray(ValueLayout.JAVA_FLOAT));
            assertArrayEquals(handGrad.toArray(ValueLayout.JAVA_FLOAT), clippedGrad.toArray(ValueLayout.JAVA_FLOAT));
            assertArrayEquals(handValue.toArray(ValueLayout.JAVA_FLOAT), clippedValue.toArray(ValueLayout.JAVA_FLOAT));
        }
    }

    @Test
    void anInterruptedCallerFinishesItsStepAndKeepsItsInterrupt() {
        OptimizerModel.Structure structure = new OptimizerModel.Structure(List.of(Sgd.builder(0.1).build()),
                List.of(List.of(5000, 5000)), NonFiniteGradients.PROPAGATE, 0, 1L << 30, false);
        try (Arena arena = Arena.ofShared(); ExecutorService pool = Executors.newFixedThreadPool(2)) {
            ModelMemory threaded = ModelMemory.of(arena, structure, 5);
            ModelMemory reference = ModelMemory.of(arena, structure, 5);
            Optimizer parallel = Optimizer.builder().helpers(pool, 2).parallelThreshold(100).build();
            ParameterGroup group = parallel.addGroup(structure.groups().getFirst());
            for (int p = 0; p < 2; p++) {
                group.add(threaded.values().get(p), threaded.grads().get(p));
            }
            try (parallel; Optimizer single = withThreads(structure, reference, 0, 1L << 30)) {
                Thread.currentThread().interrupt();
                try {
                    parallel.step();
                } finally {
                    assertTrue(Thread.interrupted(), "the interrupt was lost");
                }
                single.step();
                assertArrayEquals(ModelMemory.stateBits(single), ModelMemory.stateBits(parallel));
            }
        }
    }

    @Test
    void aRemovedParametersGradientLeavesTheNorm() {
        try (Arena arena = Arena.ofShared(); Optimizer optimizer = Optimizer.builder().build()) {
            ParameterGroup group = optimizer.addGroup(Sgd.builder(0.1).build());
            group.add(arena.allocate(8), arena.allocateFrom(ValueLayout.JAVA_FLOAT, 3, 4));
            Parameter large = group.add(arena.allocate(4), arena.allocateFrom(ValueLayout.JAVA_FLOAT, 100));
            group.remove(large);
            assertEquals(5.0, optimizer.clipGradNorm(10));
        }
    }

    @Test
    void stateBuffersStartWhereTheOptimizerSays() {
        try (Arena arena = Arena.ofShared(); Optimizer optimizer = Optimizer.builder().build()) {
            ParameterGroup group = optimizer.addGroup(Adagrad.builder().initialAccumulatorValue(0.1).build());
            Parameter parameter = group.add(arena.allocate(12), arena.allocate(12));
            assertArrayEquals(new float[] {0.1f, 0.1f, 0.1f}, parameter.state("sum").toArray(ValueLayout.JAVA_FLOAT));
            assertEquals(0, group.add(arena.allocate(0), arena.allocate(0)).state("sum").byteSize());
            Parameter zero = optimizer.addGroup(Adagrad.builder().build()).add(arena.allocate(8), arena.allocate(8));
            assertArrayEquals(new float[2], zero.state("sum").toArray(ValueLayout.JAVA_FLOAT));
        }
    }

    @Test
    void aGroupKeepsItsOptimizerAndSaysWhatItHolds() {
        try (Arena arena = Arena.ofShared(); Optimizer optimizer = Optimizer.builder().build()) {
            ParameterGroup group = optimizer.addGroup(Sgd.builder(0.1).momentum(0.9).build());
            assertMessage(IllegalArgumentException.class, "this optimizer runs SGD; Adam needs an optimizer of its own",
                    () -> group.hyperParameters(Adam.builder().build()));
            Parameter parameter = group.add(arena.allocate(12), arena.allocate(12));
            optimizer.step();
            assertEquals("group 0 parameter 0 (3 floats, 1 steps, state [momentum_buffer])", parameter.toString());
            assertEquals("group 0: SGD(lr=0.1, momentum=0.9, dampening=0.0, weight_decay=0.0, nesterov=False, "
                    + "maximize=False, vector_width=PREFERRED, semantics=PYTORCH_2), 1 parameters", group.toString());
        }
    }

    @Test
    void aStepNamesAParameterWhoseMemoryWentAway() throws Exception {
        try (Arena arena = Arena.ofShared(); Optimizer optimizer = Optimizer.builder().build()) {
            ParameterGroup group = optimizer.addGroup(Sgd.builder(0.1).build());
            MemorySegment value = arena.allocate(40);
            group.add(value, arena.allocate(40));
            Arena temporary = Arena.ofShared();
            group.add(temporary.allocate(40), temporary.allocate(40));
            temporary.close();
            assertMessage(IllegalStateException.class, "group 0 parameter 1 value cannot be used", optimizer::step);
            Arena gradOnly = Arena.ofShared();
            MemorySegment deadGrad = gradOnly.allocate(40);
            gradOnly.close();
            assertMessage(IllegalStateException.class, "group 0 parameter 2 grad cannot be used: its arena is closed",
                    () -> group.add(arena.allocate(40), deadGrad));
            Arena gradLater = Arena.ofShared();
            group.add(arena.allocate(40), gradLater.allocate(40));
            group.remove(group.parameters().get(1));
            gradLater.close();
            assertMessage(IllegalStateException.class, "group 0 parameter 1 grad cannot be used: its arena is closed",
                    optimizer::step);
            try (ExecutorService other = Executors.newSingleThreadExecutor()) {
                Arena confined = other.submit(Arena::ofConfined).get();
                try (Optimizer another = Optimizer.builder().build()) {
                    MemorySegment foreign = other.submit(() -> confined.allocate(40)).get();
                    ParameterGroup g = another.addGroup(Sgd.builder(0.1).build());
                    assertMessage(WrongThreadException.class, "group 0 parameter 0 value is confined to another thread",
                            () -> g.add(foreign, arena.allocate(40)));
                }
                other.submit(confined::close).get();
            }
        }
    }

    @Test
    void aClosedOptimizerRefusesEverything() {
        Optimizer optimizer = Optimizer.builder().build();
        ParameterGroup group = optimizer.addGroup(Sgd.builder(0.1).build());
        Parameter kept = group.add(MemorySegment.ofArray(new float[1]), MemorySegment.ofArray(new float[1]));
        ParameterGroup withState = optimizer.addGroup(Sgd.builder(0.1).momentum(0.9).build());
        Parameter stateful = withState.add(MemorySegment.ofArray(new float[1]), MemorySegment.ofArray(new float[1]));
        MemorySegment buffer = stateful.state("momentum_buffer");
        optimizer.close();
        assertMessage(IllegalStateException.class, "closed", () -> buffer.get(ValueLayout.JAVA_FLOAT, 0));
        assertMessage(IllegalStateException.class, "group 1 parameter 0's state was freed when its optimizer was"
                + " closed", () -> stateful.state("momentum_buffer"));
        Parameter nadam;
        try (Optimizer other = Optimizer.builder().build()) {
            nadam = other.addGroup(NAdam.builder().build()).add(MemorySegment.ofArray(new float[1]),
                    MemorySegment.ofArray(new float[1]));
        }
        assertMessage(IllegalStateException.class, "group 0 parameter 0's state was freed when its optimizer was"
                + " closed", () -> nadam.scalar("mu_product"));
        optimizer.close();
        assertMessage(IllegalStateException.class, "the optimizer is closed", optimizer::step);
        assertMessage(IllegalStateException.class, "the optimizer is closed", optimizer::zeroGrad);
        assertMessage(IllegalStateException.class, "the optimizer is closed",
                () -> group.add(MemorySegment.ofArray(new float[2]), MemorySegment.ofArray(new float[2])));
        assertMessage(IllegalStateException.class, "the optimizer is closed", () -> optimizer.clipGradNorm(1));
        assertMessage(IllegalStateException.class, "the optimizer is closed",
                () -> optimizer.addGroup(Sgd.builder(0.1).build()));
        assertMessage(IllegalStateException.class, "the optimizer is closed",
                () -> group.hyperParameters(Sgd.builder(0.2).build()));
        assertMessage(IllegalStateException.class, "the optimizer is closed", () -> group.remove(kept));
        assertThrows(IllegalStateException.class, () -> optimizer.save(directory.resolve("never.ckpt")));
        assertThrows(IllegalStateException.class, () -> optimizer.load(directory.resolve("never.ckpt")));
        assertFalse(Files.exists(directory.resolve("never.ckpt")));
    }

    @Test
    void optionsAreValidated() {
        assertMessage(IllegalArgumentException.class, "maxGradNorm must be positive and finite, was -1.0",
                () -> Optimizer.builder().maxGradNorm(-1));
        assertMessage(IllegalArgumentException.class, "maxGradNorm must be positive and finite, was 0.0",
                () -> Optimizer.builder().maxGradNorm(0));
        assertMessage(IllegalArgumentException.class, "maxGradNorm must be positive and finite, was Infinity",
                () -> Optimizer.builder().maxGradNorm(Double.POSITIVE_INFINITY));
        assertMessage(IllegalArgumentException.class, "parallelThreshold must be >= 1, was 0",
                () -> Optimizer.builder().parallelThreshold(0));
        Optimizer.builder().parallelThreshold(1).maxGradNorm(Double.MIN_VALUE).helpers(Runnable::run, 0).build().close();
        assertMessage(IllegalArgumentException.class, "helpers must be >= 0, was -2",
                () -> Optimizer.builder().helpers(Runnable::run, -2));
        assertMessage(IllegalArgumentException.class, "threads must be >= 1 (the calling thread counts), was 0",
                () -> Optimizer.builder().threads(0));
        try (Arena arena = Arena.ofShared(); Optimizer one = Optimizer.builder().threads(1).parallelThreshold(64)
                .build(); Optimizer two = Optimizer.builder().threads(2).parallelThreshold(64).build()) {
            for (Optimizer optimizer : List.of(one, two)) {
                MemorySegment value = arena.allocate(4 * 4096, 64);
                MemorySegment grad = arena.allocate(4 * 4096, 64);
                TestFloats.fill(value, new SplittableRandom(3), 50);
                TestFloats.fill(grad, new SplittableRandom(4), 50);
                optimizer.addGroup(Adam.builder().build()).add(value, grad);
                optimizer.step();
            }
            assertArrayEquals(ModelMemory.stateBits(one), ModelMemory.stateBits(two), "threads(2) as threads(1)");
        }
        try (Optimizer optimizer = Optimizer.builder().build()) {
            assertMessage(IllegalArgumentException.class, "maxNorm must be positive, was NaN",
                    () -> optimizer.clipGradNorm(Double.NaN));
            assertMessage(IllegalArgumentException.class, "maxNorm must be positive, was 0.0",
                    () -> optimizer.clipGradNorm(0));
            ParameterGroup group = optimizer.addGroup(Sgd.builder(0.1).build());
            assertMessage(IllegalArgumentException.class, "Invalid learning rate: -0.1", () -> group.lr(-0.1));
            group.schedule(completed -> -1);
            assertMessage(IllegalArgumentException.class,
                    "Invalid learning rate: -1.0 from group 0's schedule at step 1", optimizer::step);
        }
    }

    @Test
    void anExecutorThatThrowsOnlyCostsSpeedAndLeavesNothingRunning() throws Exception {
        OptimizerModel.Structure structure = new OptimizerModel.Structure(
                List.of(Adam.builder().amsgrad(true).build()), List.of(List.of(9000, 7000)), NonFiniteGradients.PROPAGATE,
                0, 1L << 30, false);
        try (Arena arena = Arena.ofShared(); ExecutorService pool = Executors.newFixedThreadPool(2)) {
            ModelMemory flakyMemory = ModelMemory.of(arena, structure, 3);
            ModelMemory reference = ModelMemory.of(arena, structure, 3);
            java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();
            // Every other call refuses as a broken executor does; the others start their task late, so that it
            // would still be running if the step gave up early.
            java.util.concurrent.Executor flaky = task -> {
                if (calls.incrementAndGet() % 2 == 0) {
                    throw new IllegalStateException("this executor is shutting down");
                }
                pool.execute(() -> {
                    java.util.concurrent.locks.LockSupport.parkNanos(50_000_000);
                    task.run();
                });
            };
            Optimizer threaded = Optimizer.builder().helpers(flaky, 3).parallelThreshold(1000).build();
            ParameterGroup group = threaded.addGroup(structure.groups().getFirst());
            for (int p = 0; p < flakyMemory.values().size(); p++) {
                group.add(flakyMemory.values().get(p), flakyMemory.grads().get(p));
            }
            try (threaded; Optimizer single = withThreads(structure, reference, 0, 1L << 30)) {
                for (int s = 0; s < 3; s++) {
                    threaded.step();
                    byte[][] whenItReturned = flakyMemory.snapshot(threaded);
                    pool.submit(() -> { }).get();
                    java.util.concurrent.locks.LockSupport.parkNanos(120_000_000);
                    assertArrayEquals(whenItReturned, flakyMemory.snapshot(threaded), "a helper wrote after step() returned");
                    single.step();
                    assertArrayEquals(ModelMemory.stateBits(single), ModelMemory.stateBits(threaded), "step " + (s + 1));
                }
                assertTrue(calls.get() >= 2, "the executor was never asked twice in one step");
            }
        }
    }

    @Test
    void aParameterCanBeRemovedEvenWhenItsMemoryIsGone() throws IOException {
        try (Arena arena = Arena.ofShared(); Optimizer optimizer = Optimizer.builder().build()) {
            ParameterGroup group = optimizer.addGroup(Sgd.builder(0.5).momentum(0.9).build());
            ParameterGroup other = optimizer.addGroup(Sgd.builder(0.5).momentum(0.9).build());
            MemorySegment keptValue = arena.allocateFrom(ValueLayout.JAVA_FLOAT, 1, 2);
            MemorySegment removedValue = arena.allocateFrom(ValueLayout.JAVA_FLOAT, 5, 5);
            MemorySegment removedGrad = arena.allocateFrom(ValueLayout.JAVA_FLOAT, 1, 1);
            Parameter removed = group.add(removedValue, removedGrad);
            Arena temporary = Arena.ofShared();
            Parameter dead = group.add(temporary.allocate(8), temporary.allocate(8));
            Parameter kept = group.add(keptValue, arena.allocateFrom(ValueLayout.JAVA_FLOAT, 1, 1));
            temporary.close();
            assertMessage(IllegalStateException.class, "group 0 parameter 1 value cannot be used", optimizer::step);
            group.remove(dead);
            group.remove(removed);
            assertEquals(List.of(kept), group.parameters());
            assertEquals(0, kept.index());
            assertMessage(IllegalArgumentException.class, "is not a parameter of group 0", () -> group.remove(removed));
            assertMessage(IllegalArgumentException.class, "is not a parameter of group 1", () -> other.remove(kept));

            optimizer.step();
            assertArrayEquals(new float[] {0.5f, 1.5f}, keptValue.toArray(ValueLayout.JAVA_FLOAT));
            assertArrayEquals(new float[] {5, 5}, removedValue.toArray(ValueLayout.JAVA_FLOAT), "a removed parameter moved");
            assertEquals(0, removed.stepCount());
            assertEquals(1, kept.stepCount());

            Parameter again = other.add(removedValue, removedGrad);
            assertEquals("group 1 parameter 0", again.label(), "its memory was free to register again");
            optimizer.step();
            assertArrayEquals(new float[] {4.5f, 4.5f}, removedValue.toArray(ValueLayout.JAVA_FLOAT));
        }
    }

    @Test
    @org.junit.jupiter.api.Timeout(60)
    void aSecondThreadIsRefusedWhileAStepRuns() throws Exception {
        try (Arena arena = Arena.ofShared(); Optimizer optimizer = Optimizer.builder().build();
             ExecutorService other = Executors.newSingleThreadExecutor()) {
            ParameterGroup group = optimizer.addGroup(Sgd.builder(0.5).build());
            MemorySegment value = arena.allocateFrom(ValueLayout.JAVA_FLOAT, 1, 2);
            group.add(value, arena.allocateFrom(ValueLayout.JAVA_FLOAT, 1, 1));
            java.util.concurrent.CountDownLatch inside = new java.util.concurrent.CountDownLatch(1);
            java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
            group.schedule(completed -> {
                inside.countDown();
                try {
                    assertTrue(release.await(30, java.util.concurrent.TimeUnit.SECONDS), "never released");
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return 0.5;
            });
            java.util.concurrent.Future<StepReport> stepping = other.submit(optimizer::step);
            assertTrue(inside.await(30, java.util.concurrent.TimeUnit.SECONDS));
            List<org.junit.jupiter.api.function.Executable> calls = List.of(optimizer::step, optimizer::zeroGrad,
                    () -> optimizer.clipGradNorm(1), () -> optimizer.save(directory.resolve("never.ckpt")),
                    () -> optimizer.load(directory.resolve("never.ckpt")), optimizer::close,
                    () -> optimizer.addGroup(Sgd.builder(0.1).build()), () -> group.lr(0.1), () -> group.schedule(null),
                    () -> group.hyperParameters(Sgd.builder(0.1).build()),
                    () -> group.add(arena.allocate(8), arena.allocate(8)),
                    () -> group.remove(group.parameters().getFirst()));
            for (org.junit.jupiter.api.function.Executable call : calls) {
                java.util.ConcurrentModificationException refused =
                        assertThrows(java.util.ConcurrentModificationException.class, call);
                assertTrue(refused.getMessage().contains("while step() runs on thread"), refused.getMessage());
            }
            release.countDown();
            assertEquals(1, stepping.get().step());
            assertArrayEquals(new float[] {0.5f, 1.5f}, value.toArray(ValueLayout.JAVA_FLOAT), "a refused call changed the step");
            group.schedule(null);
            optimizer.step();
            assertEquals(2, optimizer.stepCount());
        }
    }

    @Test
    void aScheduleThatCallsBackIntoTheOptimizerIsRefusedBeforeAnyChange() {
        try (Arena arena = Arena.ofShared(); Optimizer optimizer = Optimizer.builder().build()) {
            ParameterGroup group = optimizer.addGroup(Sgd.builder(0.5).build());
            MemorySegment value = arena.allocateFrom(ValueLayout.JAVA_FLOAT, 1, 2);
            group.add(value, arena.allocateFrom(ValueLayout.JAVA_FLOAT, 1, 1));
            group.schedule(completed -> {
                group.lr(0.25);
                return 0.25;
            });
            assertMessage(IllegalStateException.class, "lr() was called from inside step()", optimizer::step);
            assertArrayEquals(new float[] {1, 2}, value.toArray(ValueLayout.JAVA_FLOAT));
            assertEquals(0, optimizer.stepCount());
            group.schedule(null);
            assertEquals(1, optimizer.step().step(), "the optimizer stayed usable");
        }
    }

    static void assertMessage(Class<? extends RuntimeException> type, String part,
                              org.junit.jupiter.api.function.Executable call) {
        RuntimeException thrown = assertThrows(type, call);
        assertTrue(thrown.getMessage().contains(part), () -> "'" + thrown.getMessage() + "' lacks '" + part + "'");
    }
}
