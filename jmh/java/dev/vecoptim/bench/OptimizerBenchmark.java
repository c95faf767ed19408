package dev.vecoptim.bench;

import java.lang.foreign.Arena;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What every benchmark shares: one step of an optimizer over buffers of some size, measured in steps per
 * second (the report multiplies by the size), in a JVM that has the incubator module. Sizes are powers of
 * two from 4K floats (in L1/L2) to 64M (256 MiB per buffer, far beyond any cache).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--sun-misc-unsafe-memory-access=allow",
        "-Xmx12g"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public abstract class OptimizerBenchmark {
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
