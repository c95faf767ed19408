package dev.vecoptim.bench;

import dev.vecoptim.Algorithm;
import dev.vecoptim.Dtype;
import dev.vecoptim.MasterWeights;
import dev.vecoptim.VectorWidth;
import dev.vecoptim.kernel.Kernels;
import dev.vecoptim.kernel.RooflineKernel;
import dev.vecoptim.kernel.RooflineShape;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * One parameter of a {@link Layout} (its dtype, its state's, master weights, fused or single-tensor) stepped by an
 * optimizer's public direct step at the preferred width, beside the roofline of the bytes that layout moves: the
 * roofline loop over float32 buffers of as many bytes (the gradient read; the parameter, the state buffers and the
 * master read and written). The report runs it for its optimizers, every layout and its sizes.
 */
public class LayoutBenchmark extends ForkedBenchmark {
    @Param({"adam"})
    public String optimizer;
    @Param({"float32", "bfloat16", "bfloat16-fused", "float16-fused", "bfloat16-state", "bfloat16-master",
        "bfloat16-split"})
    public String layout;
    @Param({"4096", "1048576", "16777216"})
    public int elements;

    /** The width the step runs at: the preferred one, or for the self-check's reference the scalar one. */
    VectorWidth width = VectorWidth.PREFERRED;
    Algorithm algorithm;
    Dtype dtype;
    /** The measured parameter's buffers. */
    Buffers buffers;
    MemorySegment[] rooflineBuffers;
    private RooflineKernel roofline;
    private Arena arena;

    /**
     * A parameter's value, its gradient, and what the direct step takes as its state: the state buffers, the
     * scalars, then the master's buffer if any.
     */
    record Buffers(MemorySegment param, MemorySegment grad, MemorySegment[] state) {
    }

    /**
     * The trial's setup: {@link #prepare()}, then steps of a small parameter and the roofline over the start of its
     * buffers, until C2 has compiled them.
     */
    @Setup
    public void setUp() {
        prepare();
        Buffers small = buffers(OptimizerBenchmark.WARMUP_ELEMENTS);
        CompiledWarmup.untilCompiled(() -> algorithm.step(dtype, Workload.STEP, small.param(), small.grad(),
                small.state()));
        CompiledWarmup.untilCompiled(() -> touch(Math.min(OptimizerBenchmark.WARMUP_ELEMENTS,
                rooflineBuffers[0].byteSize() / Float.BYTES)));
    }

    /** Builds the optimizer of the layout and the measured buffers: all the self-check sets up. */
    void prepare() {
        Layout kind = Layout.named(layout);
        algorithm = kind.of(Workload.of(optimizer).algorithm(width));
        dtype = kind.dtype();
        arena = Arena.ofShared();
        buffers = buffers(elements);
        long bytes = (long) elements * (2L * dtype.bytes() + dtype.bytes() + 2L * stateBuffers() * stateDtype().bytes()
                + (master() == MasterWeights.NONE ? 0 : 2L * masterDtype().bytes()) + preparedBytes());
        // As many streams as the step moves, up to the roofline loop's five written ones.
        RooflineShape shape = new RooflineShape(Math.min(5, 1 + stateBuffers() + (master() == MasterWeights.NONE ? 0
                : 1)), Math.min(2 + stateBuffers(), algorithm.wholeParameterReads()));
        roofline = Kernels.vector(RooflineKernel.FAMILY, VectorWidth.PREFERRED.resolveBits(), shape);
        long rooflineFloats = bytes / shape.bytesPerElement();
        rooflineBuffers = new MemorySegment[1 + shape.writtenBuffers()];
        for (int b = 0; b < rooflineBuffers.length; b++) {
            rooflineBuffers[b] = filled(Dtype.FLOAT32, Math.max(elements, rooflineFloats), 0.25f)
                    .asSlice(0, rooflineFloats * Float.BYTES);
        }
    }

    /** A parameter of {@code count} elements of this layout, past its first step, which sets a master from it. */
    private Buffers buffers(int count) {
        int scalars = algorithm.scalarNames().size();
        MemorySegment[] state = new MemorySegment[stateBuffers() + scalars + (master() == MasterWeights.NONE ? 0
                : 1)];
        for (int s = 0; s < state.length; s++) {
            state[s] = s < stateBuffers() ? filled(stateDtype(), count, 1e-4f)
                    : s < stateBuffers() + scalars ? arena.allocate(algorithm.scalarBytes().get(s - stateBuffers()), 64)
                    : filled(masterDtype(), count, 0);
        }
        Buffers made = new Buffers(filled(dtype, count, 0.1f), filled(dtype, count, 0.01f), state);
        algorithm.step(dtype, 1, made.param(), made.grad(), made.state());
        return made;
    }

    /**
     * The bytes of an element a layer-wise step reads once more before ({@link Algorithm#wholeParameterReads()}): the
     * gradient, the parameter's float32 value (its master, a split one with the parameter's upper halves), then state
     * buffers; none otherwise. Widened, a step reads every state buffer before it, as it widens them all.
     */
    private long preparedBytes() {
        int reads = algorithm.wholeParameterReads();
        if (reads == 0) {
            return 0;
        }
        long value = switch (master()) {
            case NONE -> dtype.bytes();
            case FLOAT32 -> masterDtype().bytes();
            case SPLIT -> dtype.bytes() + masterDtype().bytes();
        };
        boolean widened = stateDtype() != dtype || master() != MasterWeights.NONE
                || algorithm.fused() && dtype != Dtype.FLOAT32;
        int stateReads = widened ? stateBuffers() : reads - 2;
        return dtype.bytes() + value + (long) stateReads * stateDtype().bytes();
    }

    private int stateBuffers() {
        return algorithm.stateNames().size();
    }

    private MasterWeights master() {
        return dtype == Dtype.FLOAT32 ? MasterWeights.NONE : algorithm.masterWeights();
    }

    /** As {@code Algorithm} keeps them: its state dtype if set, else float32 beside a master, else the parameter's. */
    private Dtype stateDtype() {
        return algorithm.stateDtype() != null ? algorithm.stateDtype()
                : master() != MasterWeights.NONE ? Dtype.FLOAT32 : dtype;
    }

    private Dtype masterDtype() {
        return master() == MasterWeights.SPLIT ? Dtype.BFLOAT16 : Dtype.FLOAT32;
    }

    /** Cheap deterministic values near ±scale, 64-byte aligned. */
    private MemorySegment filled(Dtype of, long count, float scale) {
        MemorySegment buffer = arena.allocate(count * of.bytes(), 64);
        for (long i = 0; i < count; i++) {
            of.set(buffer, i, scale * (1 + (i % 17) / 16f) * (i % 3 == 0 ? -1 : 1));
        }
        return buffer;
    }

    @Benchmark
    public void step() {
        algorithm.step(dtype, Workload.STEP, buffers.param(), buffers.grad(), buffers.state());
    }

    @Benchmark
    public void roofline() {
        touch(rooflineBuffers[0].byteSize() / Float.BYTES);
    }

    /** The roofline loop over the first {@code floats} floats of its buffers. */
    private void touch(long floats) {
        roofline.touch(rooflineBuffers[0], rooflineBuffer(1), rooflineBuffer(2), rooflineBuffer(3), rooflineBuffer(4),
                rooflineBuffer(5), 0, floats);
    }

    /** Roofline buffer {@code b}, or null past the last: the roofline takes five written ones, used or not. */
    MemorySegment rooflineBuffer(int b) {
        return b < rooflineBuffers.length ? rooflineBuffers[b] : null;
    }

    @TearDown
    public void tearDown() {
        arena.close();
    }
}
