package dev.vecoptim;

import static dev.vecoptim.ShardedRank.firstGroup;
import static dev.vecoptim.ShardedScenarios.SEED;
import static dev.vecoptim.ShardedScenarios.segments;

import dev.vecoptim.kernel.Format;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongFunction;

/**
 * What each process checks of sharded groups of 16-bit parameters, beside float32 ones or not: their steps, clipped
 * or not, summed in rank order or in MPI's, equal one process stepping the averaged gradients as the sharded optimizer
 * defines them for 16 bits (each process's gradient widened exactly, scaled, summed in float32, rounded once to the
 * dtype). Run in threads by {@link ShardedOptimizerTest} and under {@code mpirun} by {@link ShardedRank}.
 */
final class ShardedSixteenBitScenarios {

    private ShardedSixteenBitScenarios() {
    }

    /**
     * One group per dtype, each of parameters of these sizes, stepped 3 times sharded and by one process: null if the
     * values agree after each step, bit for bit where the sums have one order (rank order, or at most 2 processes),
     * else within rounding; else where they differ.
     */
    static String stepBeside(World world, Algorithm algorithm, List<Dtype> dtypes, ShardedOptions options,
                             long[] sizes) {
        boolean exact = options.exact(world);
        try (ShardedOptimizer sharded = options.sharded(world).build();
             Optimizer reference = options.reference().build()) {
            List<ShardedGroup> groups = new ArrayList<>();
            List<List<Parameter>> parameters = new ArrayList<>();
            for (Dtype dtype : dtypes) {
                ShardedGroup group = sharded.addGroup(algorithm, dtype, sizes);
                List<Parameter> own = reference.addGroup(algorithm).allocate(dtype, sizes);
                storeEach(group.values(), i -> ShardedRank.gradient(SEED, 0, 0, i), dtype.format());
                storeEach(segments(own, Parameter::value), i -> ShardedRank.gradient(SEED, 0, 0, i), dtype.format());
                groups.add(group);
                parameters.add(own);
            }
            String verdict = null;
            for (int step = 1; step <= 3; step++) {
                step(world, sharded, groups, reference, parameters, step);
                for (int g = 0; g < groups.size() && verdict == null; g++) {
                    verdict = differs(groups.get(g), parameters.get(g), step, exact);
                }
            }
            return verdict;
        }
    }

    /**
     * Step {@code step} of the groups with this process's gradients, and of their one-process references with their
     * averages (each process's gradient rounded to the dtype, widened, scaled, summed in float32, rounded once).
     */
    static void step(World world, ShardedOptimizer sharded, List<ShardedGroup> groups, Optimizer reference,
                     List<List<Parameter>> parameters, int step) {
        float factor = 1f / world.size();
        for (int g = 0; g < groups.size(); g++) {
            Format format = groups.get(g).dtype().format();
            long seed = SEED + g;
            storeEach(groups.get(g).grads(), i -> ShardedRank.gradient(seed, step, world.rank(), i), format);
            storeEach(segments(parameters.get(g), Parameter::grad), i -> {
                float sum = 0;
                for (int p = 0; p < world.size(); p++) {
                    float own = format.round(ShardedRank.gradient(seed, step, p, i));
                    sum = p == 0 ? own * factor : sum + own * factor;
                }
                return sum;
            }, format);
        }
        sharded.step();
        reference.step();
    }

    /**
     * Where a group's values differ from its reference's after {@code step}, in any bit if {@code exact}, else by more
     * than rounding; or null.
     */
    static String differs(ShardedGroup group, List<Parameter> parameters, int step, boolean exact) {
        Format format = group.dtype().format();
        List<MemorySegment> expected = segments(parameters, Parameter::value);
        long i = 0;
        for (int p = 0; p < expected.size(); p++) {
            for (long e = 0; e < expected.get(p).byteSize() / format.bytes(); e++, i++) {
                float actual = format.load(group.values().get(p), e);
                float wanted = format.load(expected.get(p), e);
                boolean same = exact ? bits(group.values().get(p), format, e) == bits(expected.get(p), format, e)
                        : Math.abs(actual - wanted) <= 1e-2 * (1 + Math.abs(wanted));
                if (!same) {
                    return group + ": element " + i + " after step " + step + " is " + actual + ", one process gives "
                            + wanted;
                }
            }
        }
        return null;
    }

    private static int bits(MemorySegment segment, Format format, long e) {
        return format == Format.FLOAT32 ? segment.getAtIndex(ValueLayout.JAVA_INT, e)
                : segment.getAtIndex(ValueLayout.JAVA_SHORT, e);
    }

    /** Element {@code i} of the group, over its parameters' segments, set to {@code value(i)} rounded to format. */
    static void storeEach(List<MemorySegment> segments, LongFunction<Float> value, Format format) {
        long i = 0;
        for (MemorySegment segment : segments) {
            for (long e = 0; e < segment.byteSize() / format.bytes(); e++, i++) {
                format.store(segment, e, value.apply(i));
            }
        }
    }

    /**
     * Fused AdamW and AdamW with float32 masters on both 16-bit dtypes at both stages; clipped, beside a float32 group
     * and a group of the other 16-bit dtype, under PyTorch 2.x and 1.13; and summed in MPI's order. {@return OK, or
     * what differed}
     */
    static String equalToOneProcess(World world) {
        List<String> wrong = new ArrayList<>();
        Algorithm masters = Adam.adamWBuilder().masterWeights(MasterWeights.FLOAT32).build();
        for (Algorithm algorithm : List.of(Adam.adamWBuilder().fused(true).build(), masters)) {
            for (Dtype dtype : List.of(Dtype.BFLOAT16, Dtype.FLOAT16)) {
                for (int stage = 1; stage <= 2; stage++) {
                    check(wrong, world, algorithm, List.of(dtype), new ShardedOptions(stage, 0, true, stage == 2 ? 32 : 0));
                }
            }
        }
        Algorithm masters113 = Adam.adamWBuilder().masterWeights(MasterWeights.FLOAT32)
                .semantics(Semantics.PYTORCH_1_13).build();
        for (int stage = 1; stage <= 2; stage++) {
            ShardedOptions clipped = new ShardedOptions(stage, ShardedScenarios.CLIPPING, true, 0);
            check(wrong, world, masters, List.of(Dtype.FLOAT16, Dtype.FLOAT32, Dtype.BFLOAT16), clipped);
            check(wrong, world, masters113, List.of(Dtype.BFLOAT16, Dtype.FLOAT32), clipped);
            check(wrong, world, masters, List.of(Dtype.BFLOAT16, Dtype.FLOAT16), new ShardedOptions(stage, 0, false, stage == 2 ? 32 : 0));
        }
        return wrong.isEmpty() ? "OK" : wrong.toString();
    }

    private static void check(List<String> wrong, World world, Algorithm algorithm, List<Dtype> dtypes,
                              ShardedOptions options) {
        String verdict = stepBeside(world, algorithm, dtypes, options, firstGroup());
        if (verdict != null) {
            wrong.add(algorithm + " on " + dtypes + " " + options + ": " + verdict);
        }
    }
}
