package dev.vecoptim.bench;

import dev.vecoptim.VectorWidth;
import dev.vecoptim.kernel.AdamKernel;
import dev.vecoptim.kernel.Format;
import dev.vecoptim.kernel.Kernels;
import dev.vecoptim.kernel.Master;
import dev.vecoptim.kernel.RooflineKernel;
import dev.vecoptim.kernel.RooflineShape;
import dev.vecoptim.kernel.Storage;
import dev.vecoptim.kernel.UpdateKernel;
import dev.vecoptim.kernel.WeightDecay;
import dev.vecoptim.kernel.WidenedKernel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Map;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Adam (PyTorch 2.x, no weight decay) on buffers stored in 16 bits ({@link WidenedKernel}), at the preferred width,
 * beside float32 Adam and the roofline of the bytes each storage moves (the roofline loop over as many float32
 * bytes: the gradient read, three buffers read and written). The master storages step bfloat16 parameters with
 * float32 state and a float32 master, or a split one.
 */
public class StorageBenchmark extends ForkedBenchmark {
    /** The storages measured, by the name JMH's {@code -p storage=...} takes. */
    static final Map<String, Storage> STORAGES = Map.of(
            "float32", Storage.of(Format.FLOAT32),
            "bfloat16", Storage.of(Format.BFLOAT16),
            "float16", Storage.of(Format.FLOAT16),
            "bfloat16-state", new Storage(Format.FLOAT32, Format.FLOAT32, Format.BFLOAT16),
            "bfloat16-grad", new Storage(Format.FLOAT32, Format.BFLOAT16, Format.FLOAT32),
            "bfloat16-master", new Storage(Format.BFLOAT16, Format.BFLOAT16, Format.FLOAT32, Master.FLOAT32),
            "bfloat16-split", new Storage(Format.BFLOAT16, Format.BFLOAT16, Format.FLOAT32, Master.SPLIT));
    private static final AdamKernel.Flags FLAGS = new AdamKernel.Flags(false, WeightDecay.NONE, false, true);
    private static final int STATE_BUFFERS = 2;

    @Param({"float32", "bfloat16", "float16", "bfloat16-state", "bfloat16-grad", "bfloat16-master", "bfloat16-split"})
    public String storage;
    @Param({"4096", "1048576", "16777216"})
    public long elements;

    UpdateKernel<AdamKernel.Coefficients> kernel;
    final AdamKernel.Coefficients coefficients = coefficients();
    MemorySegment param;
    MemorySegment grad;
    MemorySegment[] state;
    private RooflineKernel roofline;
    MemorySegment[] rooflineBuffers;
    private Arena arena;

    @Setup
    public void setUp() {
        prepare(VectorWidth.PREFERRED.resolveBits());
        CompiledWarmup.untilCompiled(this::step);
    }

    /** Allocates and fills the buffers, and makes the kernel of width {@code bits} (0 for the scalar reference). */
    void prepare(int bits) {
        Storage layout = STORAGES.get(storage);
        kernel = WidenedKernel.of(Kernels.kernel(AdamKernel.FAMILY, bits, FLAGS), bits, layout, STATE_BUFFERS);
        arena = Arena.ofShared();
        param = filled(layout.param(), 0.5f);
        grad = filled(layout.grad(), 0.01f);
        MemorySegment first = filled(layout.state(), 0.001f);
        MemorySegment second = filled(layout.state(), 0.0001f);
        state = switch (layout.master()) {
            case NONE -> new MemorySegment[] {first, second};
            case FLOAT32 -> new MemorySegment[] {first, second, filled(Format.FLOAT32, 0.5f)};
            case SPLIT -> new MemorySegment[] {first, second, filled(Format.BFLOAT16, 0.001f)};
        };
        long bytes = elements * (2L * layout.param().bytes() + layout.grad().bytes()
                + 2L * STATE_BUFFERS * layout.state().bytes() + 2L * layout.master().bytes());
        RooflineShape shape = new RooflineShape(1 + STATE_BUFFERS);
        roofline = Kernels.vector(RooflineKernel.FAMILY, VectorWidth.PREFERRED.resolveBits(), shape);
        long rooflineFloats = bytes / shape.bytesPerElement();
        rooflineBuffers = new MemorySegment[1 + shape.writtenBuffers()];
        for (int b = 0; b < rooflineBuffers.length; b++) {
            rooflineBuffers[b] = filled(Format.FLOAT32, 0.25f, Math.max(elements, rooflineFloats))
                    .asSlice(0, rooflineFloats * Float.BYTES);
        }
    }

    private MemorySegment filled(Format dtype, float scale) {
        return filled(dtype, scale, elements);
    }

    private MemorySegment filled(Format dtype, float scale, long count) {
        MemorySegment buffer = arena.allocate(count * dtype.bytes(), 64);
        for (long i = 0; i < count; i++) {
            dtype.store(buffer, i, scale * (1 + (i % 17) / 16f));
        }
        return buffer;
    }

    private static AdamKernel.Coefficients coefficients() {
        AdamKernel.Coefficients c = new AdamKernel.Coefficients();
        c.beta1 = 0.9f;
        c.beta1Complement = 0.1f;
        c.beta2 = 0.999f;
        c.beta2Complement = 0.001f;
        c.biasCorrection2Sqrt = 0.0447f;
        c.eps = 1e-8f;
        c.negativeStepSize = -0.01f;
        c.decayFactor = 1;
        return c;
    }

    @Benchmark
    public void step() {
        kernel.step(param, grad, state, coefficients, 0, elements);
    }

    @Benchmark
    public void roofline() {
        roofline.touch(rooflineBuffers[0], rooflineBuffers[1], rooflineBuffers[2], rooflineBuffers[3], null, 0,
                rooflineBuffers[0].byteSize() / Float.BYTES);
    }

    @TearDown
    public void tearDown() {
        arena.close();
    }
}
