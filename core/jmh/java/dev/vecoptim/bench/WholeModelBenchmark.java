package dev.vecoptim.bench;

import dev.vecoptim.Dtype;
import dev.vecoptim.Optimizer;
import dev.vecoptim.Parameter;
import dev.vecoptim.ParameterGroup;
import dev.vecoptim.StepReport;
import dev.vecoptim.VectorWidth;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ForkJoinPool;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * A whole model: {@code totalFloats} floats cut into {@code parameters} equal parameters of one group,
 * stepped by {@link Optimizer#step()} on {@code threads} threads (the calling one and {@code threads − 1}
 * helpers), in memory of the caller's ({@code user}: a segment per value and per gradient, allocated by turns,
 * value, gradient, value...; {@code user-grouped}: every value, then every gradient, as PyTorch and DJL lay them
 * out) or the optimizer's ({@code flat}: {@code ParameterGroup.allocate}). Against {@link VecoptimBenchmark} on one
 * buffer of the same size, it shows what each parameter costs beyond its arithmetic, and what the layout of the
 * caller's memory costs: the same kernel over 65,536 parameters of 256 floats ran 2.4 times longer over buffers
 * allocated by turns than over buffers allocated stream by stream (measured here, 28 ms against 12 per step).
 * {@code layout} chooses the dtypes and master weights ({@link Layout}); the report runs float32 alone, and
 * {@code -p layout=...} the others.
 */
public class WholeModelBenchmark extends ForkedBenchmark {
    /** The warm-up model: as many floats as fit the caches, cut as finely as the measured one, up to 256 parts. */
    private static final int WARMUP_FLOATS = 1 << 16;

    @Param({"adam"})
    public String optimizer;
    @Param({"1048576", "16777216"})
    public int totalFloats;
    @Param({"1", "16", "256", "4096", "65536"})
    public int parameters;
    @Param({"1", "2"})
    public int threads;
    @Param({"user", "user-grouped", "flat"})
    public String storage;
    @Param({"float32"})
    public String layout = "float32";

    Optimizer model;
    private Arena arena;
    private ForkJoinPool helpers;

    /**
     * The trial's setup: {@link #prepare()}, then steps of a small model of the same kind, parallel when this one
     * is, until C2 has compiled them.
     */
    @Setup
    public void setUp() {
        prepare();
        try (Optimizer small = build(WARMUP_FLOATS, Math.min(parameters, 256), WARMUP_FLOATS / 4)) {
            CompiledWarmup.untilCompiled(small::step);
        }
    }

    /** Builds the measured model: all the self-check sets up. */
    void prepare() {
        if (totalFloats % parameters != 0) {
            throw new IllegalArgumentException(totalFloats + " floats do not cut into " + parameters + " parameters");
        }
        arena = Arena.ofShared();
        helpers = threads > 1 ? new ForkJoinPool(threads - 1) : null;
        model = build(totalFloats, parameters, 0);
    }

    /** {@code floats} floats in {@code parts} parameters; at the optimizer's default parallel threshold if 0. */
    private Optimizer build(int floats, int parts, long parallelThreshold) {
        Optimizer.Builder builder = Optimizer.builder().helpers(helpers != null ? helpers : ForkJoinPool.commonPool(),
                threads - 1);
        Optimizer built = (parallelThreshold > 0 ? builder.parallelThreshold(parallelThreshold) : builder).build();
        Layout kind = Layout.named(layout);
        Dtype dtype = kind.dtype();
        ParameterGroup group = built.addGroup(kind.of(Workload.of(optimizer).algorithm(VectorWidth.PREFERRED)));
        long each = floats / parts;
        long bytes = each * dtype.bytes();
        long[] sizes = new long[parts];
        Arrays.fill(sizes, each);
        List<Parameter> allocated = storage.equals("flat") ? group.allocate(dtype, sizes) : null;
        MemorySegment[] values = new MemorySegment[parts];
        MemorySegment[] grads = new MemorySegment[parts];
        for (int p = 0; p < parts; p++) {
            values[p] = allocated != null ? allocated.get(p).value() : arena.allocate(bytes, 64);
            grads[p] = allocated != null ? allocated.get(p).grad() : storage.equals("user") ? arena.allocate(
                    bytes, 64) : null;
        }
        for (int p = 0; p < parts; p++) {
            if (grads[p] == null) {
                grads[p] = arena.allocate(bytes, 64);
            }
        }
        for (int p = 0; p < parts; p++) {
            MemorySegment value = values[p];
            MemorySegment grad = grads[p];
            for (long i = 0; i < each; i++) {
                dtype.set(value, i, 0.1f * (float) Math.sin(p + i));
                dtype.set(grad, i, 0.01f * (float) Math.cos(p + 3 * i));
            }
            if (allocated == null) {
                group.add(dtype, value, grad);
            }
        }
        return built;
    }

    @Benchmark
    public StepReport step() {
        return model.step();
    }

    @TearDown
    public void tearDown() {
        model.close();
        arena.close();
        if (helpers != null) {
            helpers.shutdown();
        }
    }
}
