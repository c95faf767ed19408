package dev.vecoptim;

import dev.vecoptim.kernel.HalfKernel;
import dev.vecoptim.kernel.Kernels;
import dev.vecoptim.kernel.Master;
import java.lang.foreign.MemorySegment;

/**
 * Whether the optimizer keeps a float32 master of each bfloat16 or float16 parameter, and how
 * ({@link AlgorithmBuilder#masterWeights}). With a master, the update of a 16-bit parameter is the float32 update of
 * its master (the gradient widened exactly, the state float32 unless {@link Algorithm#stateDtype()} says otherwise),
 * after which the parameter is set from the master; the model reads the 16-bit parameter as before. The master is
 * taken from the parameter's value at the parameter's first step (widened exactly), and from then on it, not the
 * parameter's value, is what the optimizer steps: a value written into the parameter between steps is overwritten
 * at the next. Float32 parameters need no master and keep none. Checkpoints and state dicts carry the master
 * ({@code master} or {@code master_low_bits} beside PyTorch's state), so a load restores it exactly.
 */
public enum MasterWeights {
    /** No master (the default): 16-bit parameters are updated in their own dtype, as {@link Algorithm#fused()} says. */
    NONE(Master.NONE, null),
    /**
     * A float32 copy, 4 bytes per element: the classic mixed-precision optimizer. Each step is the float32
     * optimizer's step of the master followed by PyTorch's {@code param.copy_(master)}: the parameter is the master
     * rounded to nearest, ties to even. Kept as the state tensor {@code master} (float32) in files.
     */
    FLOAT32(Master.FLOAT32, "master"),
    /**
     * For bfloat16 parameters only: the parameter holds the upper 16 bits of its float32 master and a buffer of 2
     * bytes per element the lower 16, as the split SGD and Adam of Intel's extension for PyTorch keep them. The
     * optimizer is exactly float32 at half the extra memory of {@link #FLOAT32}; the parameter is the master
     * truncated (rounded toward zero) to bfloat16. Kept as the state tensor {@code master_low_bits} in files: of
     * dtype bfloat16 so that PyTorch's {@code load_state_dict} keeps its bits, which are not numbers of their own.
     */
    SPLIT(Master.SPLIT, "master_low_bits");

    private final Master kernel;
    private final String stateName;

    MasterWeights(Master kernel, String stateName) {
        this.kernel = kernel;
        this.stateName = stateName;
    }

    /** {@return the kernels' name for it} */
    Master kernel() {
        return kernel;
    }

    /** {@return its buffer's name in a state dict, null for {@link #NONE}} */
    String stateName() {
        return stateName;
    }

    /**
     * Sets {@code buffer}, this master's buffer for the {@code elements} elements of {@code value} (a parameter of
     * {@code dtype}), from the parameter's value, exactly: a float32 master to the value widened, a split one's lower
     * halves to 0. Nothing for {@link #NONE}.
     *
     * @param bits the width of the conversion, 0 for the scalar loop
     */
    void start(Dtype dtype, MemorySegment value, MemorySegment buffer, long elements, int bits) {
        switch (this) {
            case NONE -> {
            }
            case FLOAT32 -> conversions(dtype, bits).widen(value, 0, buffer, 0, elements);
            case SPLIT -> buffer.fill((byte) 0);
        }
    }

    /**
     * Writes the float32 master of {@code value}, a parameter of {@code dtype} whose master's buffer is {@code buffer},
     * into {@code floats}, as many floats as it holds: the value widened when the master is not {@code started}, else
     * the float32 buffer, or the value's and the buffer's halves joined.
     *
     * @param bits the width of the conversion, 0 for the scalar loop
     */
    void copy(Dtype dtype, MemorySegment value, MemorySegment buffer, boolean started, MemorySegment floats, int bits) {
        long elements = floats.byteSize() / Float.BYTES;
        HalfKernel conversions = conversions(dtype, bits);
        if (!started) {
            conversions.widen(value, 0, floats, 0, elements);
        } else if (this == SPLIT) {
            conversions.join(value, buffer, 0, floats, 0, elements);
        } else {
            floats.copyFrom(buffer);
        }
    }

    private static HalfKernel conversions(Dtype dtype, int bits) {
        return Kernels.kernel(HalfKernel.FAMILY, bits, new HalfKernel.Flags(dtype.format()));
    }

    /** {@return the dtype of its buffer: float32, or for the split's lower halves bfloat16} */
    Dtype bufferDtype() {
        return this == SPLIT ? Dtype.BFLOAT16 : Dtype.FLOAT32;
    }
}
