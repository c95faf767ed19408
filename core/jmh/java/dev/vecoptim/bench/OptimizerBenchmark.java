package dev.vecoptim.bench;

import java.lang.foreign.Arena;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * What every benchmark of one parameter shares: one step of an optimizer over buffers of some size. Sizes are
 * powers of two from 4K floats (in L1/L2) to 64M (256 MiB per buffer, far beyond any cache).
 */
public abstract class OptimizerBenchmark extends ForkedBenchmark {
    /** The floats of the buffers the body is compiled on before the trial measures it. */
    static final int WARMUP_ELEMENTS = 4096;

    /** Which {@link Workload}: {@code adam} unless JMH's {@code -p optimizer=...} says; the report runs every one. */
    @Param({"adam"})
    public String optimizer;
    @Param({"4096", "65536", "1048576", "16777216", "67108864"})
    public int elements;

    public BenchmarkBuffers buffers;
    private Arena arena;
    private boolean heap;

    Workload workload() {
        return Workload.of(optimizer);
    }

    /** The trial's setup: {@link #prepare()}, then the body run on small buffers until C2 has compiled it. */
    @Setup
    public final void setUp() {
        prepare();
        BenchmarkBuffers small = new BenchmarkBuffers(arena, workload(), WARMUP_ELEMENTS, heap, false);
        CompiledWarmup.untilCompiled(() -> stepOver(small));
    }

    /** Builds what the body runs and {@link #allocate}s the measured buffers; all the self-check sets up. */
    abstract void prepare();

    /** The measured body, over any buffers of this workload and memory. */
    abstract void stepOver(BenchmarkBuffers buffers);

    /** Allocates and fills this benchmark's buffers: native and 64-byte aligned, or over float[]. */
    void allocate(boolean heap) {
        this.heap = heap;
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
