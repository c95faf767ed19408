package dev.vecoptim.bench;

import dev.vecoptim.Adam;
import dev.vecoptim.Optimizer;
import dev.vecoptim.Parameter;
import dev.vecoptim.ShardedGroup;
import dev.vecoptim.ShardedOptimizer;
import dev.vecoptim.VectorWidth;
import dev.vecoptim.World;
import dev.vecoptim.kernel.Kernels;
import dev.vecoptim.kernel.NoFlags;
import dev.vecoptim.kernel.NormKernel;
import dev.vecoptim.kernel.ShardSumKernel;
import dev.vecoptim.kernel.Vectorization;
import dev.vecoptim.mpi.Communicator;
import dev.vecoptim.mpi.OpenMpi;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * The time of a sharded AdamW step against a plain all-reduce of the same gradients (what a data-parallel step
 * that does not shard must do anyway), at each size given, in a job started by {@code mpirun}:
 *
 * <pre>{@code mpirun -np 4 java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED
 *     -cp target/benchmarks.jar dev.vecoptim.bench.ShardedStepTiming 1M 16M 64M}</pre>
 *
 * <p>Not JMH: JMH's iterations end by time, which differs from process to process, and a process that stops
 * calling a collective leaves the others waiting in it. Here every process makes the same calls: the kernels are
 * first brought to C2 on small buffers without MPI, then each operation runs {@link #WARM_UP} times and is timed
 * {@link #TIMED} times at full size, each time from a barrier; a time is the slowest process's, and the figure is
 * the median of them. Process 0 prints one Markdown row per size: the sizes, the times in milliseconds, their ratios
 * to the all-reduce, and the optimizer state per process against one process's; then a second table of what overlap
 * could win ({@link #overlapMillis}).
 */
public final class ShardedStepTiming {
    private static final int WARM_UP = 3;
    private static final int TIMED = 9;
    private static final int KERNEL_WARM_UP_STEPS = 20_000;

    private ShardedStepTiming() {
    }

    public static void main(String[] args) {
        bringKernelsToC2();
        try (World world = World.join()) {
            Communicator communicator = OpenMpi.world();
            if (world.rank() == 0) {
                System.out.println("| parameters | processes | all-reduce ms | sharded step ms | × all-reduce"
                        + " | in rank order ms | × all-reduce | state per process MiB | one process's MiB |");
                System.out.println("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
            }
            double[] allReduces = new double[args.length];
            for (int s = 0; s < args.length; s++) {
                long floats = ReportOptions.size(args[s]);
                allReduces[s] = allReduceMillis(world, communicator, floats);
                double[] mpiOrder = shardedMillis(world, communicator, floats, false);
                double[] rankOrder = shardedMillis(world, communicator, floats, true);
                if (world.rank() == 0) {
                    System.out.printf("| %s | %d | %.1f | %.1f | %s | %.1f | %s | %.1f | %.1f |%n", args[s],
                            world.size(), allReduces[s], mpiOrder[0], ratio(mpiOrder[0], allReduces[s]),
                            rankOrder[0], ratio(rankOrder[0], allReduces[s]), mpiOrder[1] / (1 << 20),
                            floats * 2.0 * Float.BYTES / (1 << 20));
                }
            }
            // After the steps: with more processes than cores, this measure slowed whatever ran after it.
            if (world.rank() == 0) {
                System.out.println();
                System.out.println("| parameters | processes | all-reduce ms | shard's step alone ms"
                        + " | all-reduce beside it ms | × all-reduce |");
                System.out.println("| --- | --- | --- | --- | --- | --- |");
            }
            for (int s = 0; s < args.length; s++) {
                double[] overlap = overlapMillis(world, communicator, ReportOptions.size(args[s]));
                if (world.rank() == 0) {
                    System.out.printf("| %s | %d | %.1f | %.1f | %.1f | %s |%n", args[s], world.size(),
                            allReduces[s], overlap[0], overlap[1], ratio(overlap[1], allReduces[s]));
                }
            }
        }
    }

    /** A time over the all-reduce's, or a dash for a job of one process, whose all-reduce does nothing. */
    private static String ratio(double millis, double allReduce) {
        return allReduce < 0.05 ? "—" : String.format(java.util.Locale.ROOT, "%.2f", millis / allReduce);
    }

    /** Steps AdamW, sums shards' copies and scales gradients on small buffers, in this process alone, until C2 has. */
    private static void bringKernelsToC2() {
        try (Optimizer optimizer = Optimizer.builder().threads(1).build()) {
            Parameter parameter = optimizer.addGroup(Adam.adamWBuilder().build()).allocate(4096).getFirst();
            fill(parameter.grad(), 1);
            for (int step = 0; step < KERNEL_WARM_UP_STEPS; step++) {
                optimizer.step();
            }
        }
        // The passes of a sharded step besides the update: the scaling of gradients, the sum of a shard's copies.
        int bits = VectorWidth.PREFERRED.resolveBits();
        NormKernel norm = Kernels.kernel(NormKernel.FAMILY, Vectorization.normBits(bits), new NoFlags());
        ShardSumKernel sum = Kernels.kernel(ShardSumKernel.FAMILY, bits, new NoFlags());
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment copies = arena.allocate(4 * 4096 * Float.BYTES, 64);
            MemorySegment sums = arena.allocate(4096 * Float.BYTES, 64);
            fill(copies, 2);
            for (int call = 0; call < KERNEL_WARM_UP_STEPS; call++) {
                norm.scale(copies, 1f, 0, 4096);
                sum.addInOrder(copies, 4096, 4, 0.25f, sums, 0, 4096);
            }
        }
    }

    private static double allReduceMillis(World world, Communicator communicator, long floats) {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment grads = arena.allocate(floats * Float.BYTES, 64);
            fill(grads, world.rank());
            return medianMillis(communicator, () -> communicator.allReduceSum(grads));
        }
    }

    /**
     * What overlapping communication with the step could win at best: the step of a shard's AdamW alone (one
     * process's optimizer of {@code floats / N} elements on one thread, no communication), then an all-reduce of all
     * the gradients on the calling thread while another thread of each process runs that step. A sharded step moves
     * the same bytes as the all-reduce and steps the shard; if the all-reduce beside the step takes as long as the
     * two one after the other, no overlap of them can make the sharded step cheaper on this machine. {@return the
     * medians in milliseconds: the step alone, the all-reduce beside it}
     */
    private static double[] overlapMillis(World world, Communicator communicator, long floats) {
        try (Arena arena = Arena.ofShared(); Optimizer shard = Optimizer.builder().threads(1).build()) {
            Parameter parameter = shard.addGroup(Adam.adamWBuilder().build()).allocate(floats / world.size())
                    .getFirst();
            fill(parameter.grad(), world.rank());
            MemorySegment grads = arena.allocate(floats * Float.BYTES, 64);
            fill(grads, world.rank());
            double alone = medianMillis(communicator, shard::step);
            double beside = medianMillis(communicator, () -> {
                Thread stepping = Thread.ofPlatform().start(shard::step);
                communicator.allReduceSum(grads);
                try {
                    stepping.join();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(e);
                }
            });
            return new double[] {alone, beside};
        }
    }

    /** {@return the median step in milliseconds, and this process's state in bytes} */
    private static double[] shardedMillis(World world, Communicator communicator, long floats, boolean inRankOrder) {
        try (ShardedOptimizer optimizer = ShardedOptimizer.builder(world).inRankOrder(inRankOrder).build()) {
            ShardedGroup group = optimizer.addGroup(Adam.adamWBuilder().build(), floats);
            fill(group.grads().getFirst(), world.rank());
            double millis = medianMillis(communicator, optimizer::step);
            return new double[] {millis, group.shardElements() * 2.0 * Float.BYTES};
        }
    }

    /** The median over {@link #TIMED} calls of the slowest process's time, each call started from a barrier. */
    private static double medianMillis(Communicator communicator, Runnable operation) {
        for (int i = 0; i < WARM_UP; i++) {
            operation.run();
        }
        double[] slowest = new double[TIMED];
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment times = arena.allocate((long) communicator.size() * Float.BYTES);
            for (int i = 0; i < TIMED; i++) {
                communicator.barrier();
                long start = System.nanoTime();
                operation.run();
                float millis = (System.nanoTime() - start) / 1e6f;
                times.fill((byte) 0);
                times.setAtIndex(ValueLayout.JAVA_FLOAT, communicator.rank(), millis);
                communicator.allReduceSum(times);
                for (int p = 0; p < communicator.size(); p++) {
                    slowest[i] = Math.max(slowest[i], times.getAtIndex(ValueLayout.JAVA_FLOAT, p));
                }
            }
        }
        Arrays.sort(slowest);
        return slowest[TIMED / 2];
    }

    private static void fill(MemorySegment floats, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        for (long i = 0; i < floats.byteSize() / Float.BYTES; i++) {
            floats.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) random.nextDouble(-1, 1));
        }
    }
}
