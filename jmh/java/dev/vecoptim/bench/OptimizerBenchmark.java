package dev.vecoptim.bench;

import java.lang.foreign.Arena;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.TearDown;

/**
 * What every benchmark of one parameter shares: one step of an optimizer over buffers of some size. Sizes are
 * powers of two from 4K floats (in L1/L2) to 64M (256 MiB per buffer, far beyond any cache).
 */
public abstract class OptimizerBenchmark extends ForkedBenchmark {
    @Param({"sgd-momentum", "sgd-nesterov", "rmsprop", "rmsprop-centered", "rmsprop-centered-1.13", "adam", "adam-1.13",
        "amsgrad", "adamw", "adagrad", "adadelta", "adamax", "rprop", "radam", "nadam", "asgd"})
    public String optimizer;
    @Param({"4096", "65536", "1048576", "16777216", "67108864"})
    public int elements;

    public BenchmarkBuffers buffers;
    private Arena arena;

    Workload workload() {
        return Workload.of(optimizer);
    }

    /** Allocates and fills this benchmark's buffers: native and 64-byte aligned, or over float[]. */
    void allocate(boolean heap) {
        arena = heap ? null : Arena.ofShared();
        buffers = new BenchmarkBuffers(arena, workload(), elements, heap, false);
    }

    @TearDown
    public void tearDown() {
        if (arena != null) {
            arena.close();
        }
    }
}
