package dev.vecoptim.bench;

import dev.vecoptim.VectorWidth;
import dev.vecoptim.kernel.Kernels;
import dev.vecoptim.kernel.RooflineKernel;
import java.lang.foreign.Arena;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The speed of memory on {@code threads} threads: the optimizer's buffers of {@code totalFloats} floats read
 * and written in place as {@link RooflineBenchmark} does, cut into one contiguous range per thread (the calling
 * one and {@code threads − 1} of a pool). What {@link WholeModelBenchmark} on as many threads is compared with.
 */
public class ParallelRooflineBenchmark extends ForkedBenchmark {
    @Param({"adam"})
    public String optimizer;
    @Param({"1048576", "16777216"})
    public int totalFloats;
    @Param({"1", "2"})
    public int threads;

    private BenchmarkBuffers buffers;
    private RooflineKernel roofline;
    private Arena arena;
    private ForkJoinPool helpers;

    @Setup
    public void setUp() {
        Workload workload = Workload.of(optimizer);
        roofline = Kernels.vector(RooflineKernel.FAMILY, VectorWidth.PREFERRED.resolveBits(), workload.rooflineShape());
        arena = Arena.ofShared();
        buffers = new BenchmarkBuffers(arena, workload, totalFloats, false, false);
        helpers = threads > 1 ? new ForkJoinPool(threads - 1) : null;
    }

    @Benchmark
    public void touch() {
        long part = totalFloats / threads / 64 * 64;
        ForkJoinTask<?>[] others = new ForkJoinTask<?>[threads - 1];
        for (int t = 1; t < threads; t++) {
            long from = t * part;
            long to = t == threads - 1 ? totalFloats : from + part;
            others[t - 1] = helpers.submit(() -> touch(from, to));
        }
        touch(0, threads == 1 ? totalFloats : part);
        for (ForkJoinTask<?> other : others) {
            other.join();
        }
    }

    BenchmarkBuffers buffers() {
        return buffers;
    }

    private void touch(long from, long to) {
        roofline.touch(buffers.grad, buffers.param, buffers.writtenOrNull(1), buffers.writtenOrNull(2),
                buffers.writtenOrNull(3), from, to);
    }

    @TearDown
    public void tearDown() {
        arena.close();
        if (helpers != null) {
            helpers.shutdown();
        }
    }
}
