package dev.vecoptim;

import static dev.vecoptim.ShardedRank.fill;
import static dev.vecoptim.ShardedRank.fillAverage;
import static dev.vecoptim.ShardedRank.firstGroup;
import static dev.vecoptim.ShardedRank.secondGroup;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * What each process of {@link ShardedRank}'s job checks: every scenario returns {@code OK} or what went wrong, on
 * this process. Each process builds the same optimizers and steps them as often, as the API asks.
 */
final class ShardedScenarios {
    static final long SEED = 20261207;
    /** A norm that the test's gradients (about 20) exceed, so that clipping scales them. */
    static final double CLIPPING = 0.5;

    private ShardedScenarios() {
    }

    /**
     * Every optimizer, at ZeRO stages 1 and 2, summing in rank order or MPI's, clipping or not (in rank order): the
     * values after each step equal an {@link Optimizer} of one process stepping the averaged gradients, bit for bit
     * in rank order (and in MPI's with two processes, whose sum has one order), within rounding otherwise; and the
     * same on every process.
     */
    static String equalToOneProcess(World world) {
        List<Algorithm> algorithms = new ArrayList<>();
        for (String name : Optimizers.pyTorchNames()) {
            if (ShardedStepper.shardable(Optimizers.defaults(name))) {
                algorithms.add(Optimizers.defaults(name));
            }
        }
        algorithms.add(Sgd.builder(0.1).momentum(0.9).nesterov(true).weightDecay(0.01).build());
        List<String> wrong = new ArrayList<>();
        for (Algorithm algorithm : algorithms) {
            for (int stage = 1; stage <= 2; stage++) {
                for (int variant = 0; variant < 3; variant++) {
                    // At stage 2 the shards are averaged 48 elements at a time.
                    ShardedOptions options = new ShardedOptions(stage, variant == 2 ? CLIPPING : 0, variant != 1,
                            stage == 2 ? 48 : 0);
                    String verdict = stepBeside(world, algorithm, options, firstGroup(), secondGroup());
                    if (verdict != null) {
                        wrong.add(algorithm.name() + " " + options + ": " + verdict);
                    }
                }
            }
        }
        return wrong.isEmpty() ? "OK" : wrong.toString();
    }

    /**
     * Steps a sharded optimizer and its one-process reference, two groups of parameters of these sizes (the second at
     * half the learning rate, on a schedule), clipping at {@code maxGradNorm} if positive; null if they agree, else
     * where they differ.
     */
    static String stepBeside(World world, Algorithm algorithm, ShardedOptions options, long[] firstSizes,
                             long[] secondSizes) {
        boolean exact = options.exact(world);
        int stage = options.stage();
        try (ShardedOptimizer sharded = options.sharded(world).build();
             Optimizer reference = options.reference().build()) {
            Algorithm halfLr = algorithm.withLr(algorithm.lr() / 2);
            ShardedGroup[] groups = {sharded.addGroup(algorithm, firstSizes), sharded.addGroup(halfLr, secondSizes)};
            List<Parameter> first = reference.addGroup(algorithm).allocate(firstSizes);
            ParameterGroup second = reference.addGroup(halfLr);
            List<List<Parameter>> references = List.of(first, second.allocate(secondSizes));
            groups[1].schedule(LearningRateSchedule.stepDecay(halfLr.lr(), 2, 0.5));
            second.schedule(LearningRateSchedule.stepDecay(halfLr.lr(), 2, 0.5));
            for (int g = 0; g < 2; g++) {
                fill(groups[g].values(), SEED - g, 0, 0);
                fill(segments(references.get(g), Parameter::value), SEED - g, 0, 0);
            }
            String verdict = null;
            for (int step = 1; step <= ShardedRank.steps(); step++) {
                for (int g = 0; g < 2; g++) {
                    fill(groups[g].grads(), SEED + g, step, world.rank());
                    fillAverage(segments(references.get(g), Parameter::grad), SEED + g, step, world.size());
                }
                StepReport report = sharded.step();
                StepReport expectedReport = reference.step();
                if (exact && !report.equals(expectedReport) || report.step() != step || report.skipped()) {
                    verdict = verdict != null ? verdict : "step " + step + " reported " + report + ", one process "
                            + expectedReport;
                }
                for (int g = 0; g < 2; g++) {
                    // Every process makes the same collectives whatever it finds, so that none waits for another.
                    String among = differsAmongProcesses(world, groups[g].values());
                    List<MemorySegment> expected = segments(references.get(g), Parameter::value);
                    String differs = differs(groups[g].values(), expected, exact);
                    if (differs == null && stage == 1) {
                        differs = differs(groups[g].grads(), segments(references.get(g), Parameter::grad), exact);
                    }
                    if (differs == null && exact) {
                        differs = stateDiffers(groups[g], references.get(g));
                    }
                    differs = differs != null ? differs : among;
                    if (verdict == null && differs != null) {
                        verdict = "group " + g + " after step " + step + ": " + differs;
                    }
                }
            }
            return verdict;
        }
    }

    interface Buffer extends java.util.function.Function<Parameter, MemorySegment> {
    }

    static List<MemorySegment> segments(List<Parameter> parameters, Buffer buffer) {
        return parameters.stream().map(buffer).toList();
    }

    /** Where {@code actual} differs from {@code expected}: any bit if {@code exact}, else beyond rounding. */
    static String differs(List<MemorySegment> actual, List<MemorySegment> expected, boolean exact) {
        long i = 0;
        for (int p = 0; p < actual.size(); p++) {
            for (long e = 0; e < actual.get(p).byteSize() / Float.BYTES; e++, i++) {
                float a = actual.get(p).getAtIndex(ValueLayout.JAVA_FLOAT, e);
                float b = expected.get(p).getAtIndex(ValueLayout.JAVA_FLOAT, e);
                boolean same = exact ? Float.floatToRawIntBits(a) == Float.floatToRawIntBits(b)
                        : Math.abs(a - b) <= 1e-3 * (1 + Math.abs(b));
                if (!same) {
                    return "element " + i + " is " + a + ", one process gives " + b;
                }
            }
        }
        return null;
    }

    /** Where this process's shard of each state buffer differs from the reference's state of those elements. */
    static String stateDiffers(ShardedGroup group, List<Parameter> reference) {
        for (String name : group.hyperParameters().stateNames()) {
            MemorySegment shard = group.state(name);
            long start = group.shardStart();
            long i = 0;
            for (Parameter parameter : reference) {
                MemorySegment state = parameter.state(name);
                for (long e = 0; e < parameter.elementCount(); e++, i++) {
                    if (i >= start && i < start + group.shardElements() && Float.floatToRawIntBits(
                            shard.getAtIndex(ValueLayout.JAVA_FLOAT, i - start)) != Float.floatToRawIntBits(
                            state.getAtIndex(ValueLayout.JAVA_FLOAT, e))) {
                        return name + " of element " + i + " differs";
                    }
                }
            }
        }
        return null;
    }

    /** Whether process 0's values, broadcast to every process, differ from this one's. */
    private static String differsAmongProcesses(World world, List<MemorySegment> values) {
        // Shared: in a ThreadedJob the other processes are threads, which read it.
        try (Arena arena = Arena.ofShared()) {
            long floats = values.stream().mapToLong(v -> v.byteSize() / Float.BYTES).sum();
            MemorySegment mine = arena.allocate(Math.max(1, floats) * Float.BYTES);
            long at = 0;
            for (MemorySegment value : values) {
                MemorySegment.copy(value, 0, mine, at, value.byteSize());
                at += value.byteSize();
            }
            MemorySegment first = arena.allocate(mine.byteSize());
            first.copyFrom(mine);
            world.communicator().broadcast(first, 0);
            return mine.mismatch(first) < 0 ? null : "process " + world.rank() + "'s values differ from process 0's";
        }
    }

    /**
     * A NaN in the last process's gradients, which one process's shard of the average holds: with SKIP every
     * process skips the step, with THROW every process throws the same exception; the step after a skip equals the
     * reference's, which made one step fewer.
     */
    static String nonFiniteDecidedTogether(World world) {
        int last = world.size() - 1;
        long poisoned = 500;
        Shards shards = Shards.balanced(java.util.Arrays.stream(firstGroup()).sum(), world.size(),
                ShardedOptimizer.ALIGNMENT);
        int owner = 0;
        while (shards.start(owner) + shards.count(owner) <= poisoned) {
            owner++;
        }
        List<String> wrong = new ArrayList<>();
        for (NonFiniteGradients policy : List.of(NonFiniteGradients.SKIP, NonFiniteGradients.THROW)) {
            try (ShardedOptimizer sharded = ShardedOptimizer.builder(world).nonFiniteGradients(policy)
                    .inRankOrder(true).threads(1).build(); Optimizer reference = Optimizer.builder().threads(1)
                    .build()) {
                Algorithm adamW = Adam.adamWBuilder().build();
                ShardedGroup group = sharded.addGroup(adamW, firstGroup());
                List<Parameter> parameters = reference.addGroup(adamW).allocate(firstGroup());
                for (int step = 1; step <= 3; step++) {
                    fill(group.grads(), SEED, step, world.rank());
                    fillAverage(segments(parameters, Parameter::grad), SEED, step, world.size());
                    if (step == 2 && world.rank() == last) {
                        group.grads().getFirst().setAtIndex(ValueLayout.JAVA_FLOAT, poisoned, Float.NaN);
                    }
                    if (step == 2 && policy == NonFiniteGradients.THROW) {
                        String expected = "the averaged gradient of group 0 holds a NaN or an infinity in process "
                                + owner + "'s shard at step 2; the parameters and state were not changed (the"
                                + " gradients hold their averages)";
                        wrong.add(thrown(ArithmeticException.class, expected, sharded::step));
                        break;
                    }
                    StepReport report = sharded.step();
                    if (step == 2) {
                        if (!report.skipped() || report.step() != 1) {
                            wrong.add("the poisoned step reported " + report);
                        }
                        continue;
                    }
                    reference.step();
                    wrong.add(differs(group.values(), segments(parameters, Parameter::value), true));
                }
            }
        }
        wrong.removeIf(java.util.Objects::isNull);
        return wrong.isEmpty() ? "OK" : wrong.toString();
    }

    /**
     * A failed check on the last process (its optimizer closed, a schedule's NaN, another group) is thrown on every
     * process as the same exception, and changes nothing: a good step afterwards equals the reference's first.
     */
    static String refusedOnEveryProcess(World world) {
        int last = world.size() - 1;
        String prefix = "process " + last + " of " + world.size() + ": ";
        List<String> wrong = new ArrayList<>();
        ShardedOptimizer closedOnOne = ShardedOptimizer.builder(world).build();
        closedOnOne.addGroup(Adam.builder().build(), firstGroup());
        if (world.rank() == last) {
            closedOnOne.close();
        }
        wrong.add(thrown(IllegalStateException.class, prefix + "the sharded optimizer is closed", closedOnOne::step));
        closedOnOne.close();
        try (ShardedOptimizer sharded = ShardedOptimizer.builder(world).inRankOrder(true).threads(1).build();
             Optimizer reference = Optimizer.builder().threads(1).build()) {
            Algorithm adam = Adam.builder().build();
            ShardedGroup group = sharded.addGroup(adam, firstGroup());
            List<Parameter> parameters = reference.addGroup(adam).allocate(firstGroup());
            fill(group.grads(), SEED, 1, world.rank());
            fillAverage(segments(parameters, Parameter::grad), SEED, 1, world.size());
            group.schedule(completed -> world.rank() == last ? Double.NaN : 1e-3);
            wrong.add(thrown(IllegalArgumentException.class, prefix + "Invalid learning rate: nan from group 0's"
                    + " schedule at step 1", sharded::step));
            group.schedule(null);
            if (world.size() > 1) {
                try (ShardedOptimizer other = ShardedOptimizer.builder(world).build()) {
                    other.addGroup(adam, world.rank() == last ? new long[] {7} : new long[] {8});
                    wrong.add(thrown(IllegalStateException.class, "the processes' sharded optimizers differ (in their"
                            + " groups, the groups' optimizers or sizes, or their step counts): process [" + last
                            + "] from process 0; every process must build the same one and step it as often; nothing"
                            + " was changed", other::step));
                }
            }
            sharded.step();
            reference.step();
            wrong.add(differs(group.values(), segments(parameters, Parameter::value), true));
        }
        wrong.removeIf(java.util.Objects::isNull);
        return wrong.isEmpty() ? "OK" : wrong.toString();
    }

    /** Null if {@code call} throws {@code type} with {@code message}, else what it did. */
    static String thrown(Class<? extends RuntimeException> type, String message, Supplier<?> call) {
        try {
            return "no exception, but " + call.get();
        } catch (RuntimeException e) {
            return type.isInstance(e) && message.equals(e.getMessage()) ? null : "threw " + e + ", not " + message;
        }
    }

    /**
     * Each step first steps the second group alone, then the rest, on the sharded optimizer and on one process (its
     * parameters through {@link Optimizer#stepParameters}): the same bits after every step. Stepping the group again
     * in the same step, saving while the step is half made, and a step of some groups while clipping are refused on
     * every process.
     */
    static String partialStepsEqualOneProcess(World world, java.nio.file.Path dir) {
        List<String> wrong = new ArrayList<>();
        try (ShardedOptimizer sharded = ShardedOptimizer.builder(world).threads(1).build();
             Optimizer reference = Optimizer.builder().threads(1).build()) {
            Algorithm adam = Adam.adamWBuilder().build();
            List<ShardedGroup> groups = List.of(sharded.addGroup(adam, firstGroup()), sharded.addGroup(adam,
                    secondGroup()));
            List<List<Parameter>> references = List.of(reference.addGroup(adam).allocate(firstGroup()),
                    reference.addGroup(adam).allocate(secondGroup()));
            for (int step = 1; step <= 3; step++) {
                for (int g = 0; g < 2; g++) {
                    fill(groups.get(g).grads(), SEED + g, step, world.rank());
                    fillAverage(segments(references.get(g), Parameter::grad), SEED + g, step, world.size());
                }
                StepReport part = sharded.stepGroups(List.of(groups.get(1)));
                reference.stepParameters(references.get(1));
                if (part.step() != step - 1) {
                    wrong.add("a step of one group reported " + part);
                }
                if (step == 2) {
                    String first = "process 0 of " + world.size() + ": ";
                    wrong.add(thrown(IllegalStateException.class, first + "group 1 was already stepped in step 2,"
                            + " which is complete once every group has been; nothing was changed",
                            () -> sharded.stepGroups(List.of(groups.get(1)))));
                    wrong.add(thrown(IllegalStateException.class, first + "step 2 has stepped 1 of 2 groups; nothing"
                            + " can be saved or loaded until step() or stepGroups() completes it", () -> {
                                try {
                                    sharded.save(dir.resolve("half-made.ckpt"));
                                    return "saved";
                                } catch (java.io.IOException e) {
                                    throw new java.io.UncheckedIOException(e);
                                }
                            }));
                }
                sharded.step();
                reference.step();
                for (int g = 0; g < 2; g++) {
                    wrong.add(differs(groups.get(g).values(), segments(references.get(g), Parameter::value), true));
                }
            }
        }
        try (ShardedOptimizer clipping = ShardedOptimizer.builder(world).maxGradNorm(1).build()) {
            ShardedGroup group = clipping.addGroup(Adam.builder().build(), secondGroup());
            wrong.add(thrown(IllegalStateException.class, "process 0 of " + world.size() + ": a step of some groups"
                    + " cannot see every gradient, so it cannot clip them; step() steps every group",
                    () -> clipping.stepGroups(List.of(group))));
        }
        wrong.removeIf(java.util.Objects::isNull);
        return wrong.isEmpty() ? "OK" : wrong.toString();
    }

    /**
     * The last process exits, without a word to MPI, after the first step; the others go on to the second, where they
     * would wait for it forever if nothing ended the job. Returns only if no process died.
     */
    static String lastProcessDiesInAStep(World world) {
        try (ShardedOptimizer sharded = ShardedOptimizer.builder(world).threads(1).build()) {
            ShardedGroup group = sharded.addGroup(Adam.builder().build(), firstGroup());
            for (int step = 1; step <= 2; step++) {
                fill(group.grads(), SEED, step, world.rank());
                if (step == 2 && world.rank() == world.size() - 1) {
                    Runtime.getRuntime().halt(3);
                }
                sharded.step();
            }
        }
        return "the job went on";
    }
}
