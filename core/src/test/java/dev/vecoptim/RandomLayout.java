package dev.vecoptim;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ForkJoinPool;

/**
 * A random way to hold and step a group's parameters: their sizes (now and then tiny, else up to {@code maxSize}),
 * flat storage or the caller's memory, and 0 to 2 helper threads, which then take chunks of 16 elements and up.
 */
record RandomLayout(long[] sizes, boolean flat, int helpers) {

    static RandomLayout draw(SplittableRandom random, int maxSize) {
        long[] sizes = new long[1 + random.nextInt(4)];
        for (int p = 0; p < sizes.length; p++) {
            sizes[p] = random.nextInt(5) == 0 ? random.nextInt(4) : random.nextInt(maxSize);
        }
        return new RandomLayout(sizes, random.nextBoolean(), random.nextInt(3));
    }

    /** {@return an optimizer with this layout's helpers} */
    Optimizer optimizer() {
        return Optimizer.builder().helpers(ForkJoinPool.commonPool(), helpers)
                .parallelThreshold(helpers > 0 ? 16 : 1 << 30).build();
    }

    /** {@return parameters of these sizes in {@code group}: allocated flat, or in {@code arena}} */
    List<Parameter> parameters(ParameterGroup group, Dtype dtype, Arena arena) {
        if (flat) {
            return group.allocate(dtype, sizes);
        }
        List<Parameter> parameters = new ArrayList<>();
        for (long size : sizes) {
            parameters.add(group.add(dtype, arena.allocate(size * dtype.bytes()), arena.allocate(size * dtype.bytes())));
        }
        return parameters;
    }

    @Override
    public String toString() {
        return "sizes " + Arrays.toString(sizes) + (flat ? " flat" : "") + ", " + helpers + " helpers";
    }
}
