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

    /** The trial's setup: {@link #prepare()}, then the body run on small buffers until C2 has compiled it. */
    @Setup
    public void setUp() {
        prepare();
        BenchmarkBuffers small = new BenchmarkBuffers(arena, Workload.of(optimizer), OptimizerBenchmark.WARMUP_ELEMENTS,
                false, false);
        CompiledWarmup.untilCompiled(() -> touch(small));
    }

    /** Allocates the measured buffers and starts the helpers: all the self-check sets up. */
    void prepare() {
        Workload workload = Workload.of(optimizer);
        roofline = Kernels.vector(RooflineKernel.FAMILY, VectorWidth.PREFERRED.resolveBits(), workload.rooflineShape());
        arena = Arena.ofShared();
        buffers = new BenchmarkBuffers(arena, workload, totalFloats, false, false);
        helpers = threads > 1 ? new ForkJoinPool(threads - 1) : null;
    }

    @Benchmark
    public void touch() {
        touch(buffers);
    }

    private void touch(BenchmarkBuffers over) {
        long total = over.grad.byteSize() / Float.BYTES;
        long part = total / threads / 64 * 64;
        ForkJoinTask<?>[] others = new ForkJoinTask<?>[threads - 1];
        for (int t = 1; t < threads; t++) {
            long from = t * part;
            long to = t == threads - 1 ? total : from + part;
            others[t - 1] = helpers.submit(() -> touch(over, from, to));
        }
        touch(over, 0, threads == 1 ? total : part);
        for (ForkJoinTask<?> other : others) {
            other.join();
        }
    }

    BenchmarkBuffers buffers() {
        return buffers;
    }

    private void touch(BenchmarkBuffers over, long from, long to) {
        roofline.touch(over.grad, over.param, over.writtenOrNull(1), over.writtenOrNull(2), over.writtenOrNull(3),
                over.writtenOrNull(4), from, to);
    }

    @TearDown
    public void tearDown() {
        arena.close();
        if (helpers != null) {
            helpers.shutdown();
        }
    }
}
