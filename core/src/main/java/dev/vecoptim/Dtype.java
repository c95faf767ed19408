package dev.vecoptim;

import dev.vecoptim.kernel.Format;
import java.lang.foreign.MemorySegment;

/**
 * What a parameter's elements are, as PyTorch's {@code torch.dtype}: its value, its gradient and its state buffers
 * are all of its dtype (PyTorch's optimizers make their state {@code zeros_like} the parameter); the optimizers'
 * scalars and step counts stay float32, as PyTorch's do. Elements are in the platform's byte order. How an update
 * rounds on 16-bit tensors is the group's choice ({@link Algorithm#fused()}).
 */
public enum Dtype {
    /** IEEE 754 single precision, {@code torch.float32}: 4 bytes. */
    FLOAT32("torch.float32"),
    /** bfloat16, {@code torch.bfloat16}: float32's sign, exponent and upper 7 significand bits; 2 bytes. */
    BFLOAT16("torch.bfloat16"),
    /** IEEE 754 half precision, {@code torch.float16}: 2 bytes. */
    FLOAT16("torch.float16");

    private final String pyTorchName;
    private final Format format;

    Dtype(String pyTorchName) {
        this.pyTorchName = pyTorchName;
        this.format = Format.valueOf(name());
    }

    /** {@return the bytes one element takes} */
    public int bytes() {
        return format.bytes();
    }

    /** {@return PyTorch's name of it, e.g. {@code torch.bfloat16}} */
    public String pyTorchName() {
        return pyTorchName;
    }

    /**
     * {@return element {@code index} of {@code segment}, which holds elements of this dtype, widened exactly to
     * float}
     *
     * @param segment memory of elements of this dtype, in the platform's byte order
     * @param index the element's index, counted in elements
     * @throws IndexOutOfBoundsException if the element lies outside the segment
     */
    public float get(MemorySegment segment, long index) {
        return format.load(segment, index);
    }

    /**
     * Stores {@code value} as element {@code index} of {@code segment}, rounded to this dtype to nearest, ties to
     * even, as PyTorch's conversions round (NaN stays NaN; past the largest finite value, infinity).
     *
     * @param segment memory of elements of this dtype, in the platform's byte order
     * @param index the element's index, counted in elements
     * @param value the value to store
     * @throws IndexOutOfBoundsException if the element lies outside the segment
     * @throws UnsupportedOperationException if the segment is read-only
     */
    public void set(MemorySegment segment, long index, float value) {
        format.store(segment, index, value);
    }

    /** {@return how messages count elements of it: {@code floats}, or e.g. {@code torch.bfloat16 elements}} */
    String elements() {
        return this == FLOAT32 ? "floats" : pyTorchName + " elements";
    }

    /** {@return safetensors' name of it: {@code F32}, {@code BF16} or {@code F16}} */
    String safetensorsName() {
        return switch (this) {
            case FLOAT32 -> "F32";
            case BFLOAT16 -> "BF16";
            case FLOAT16 -> "F16";
        };
    }

    /** The kernels' format of the same name. */
    Format format() {
        return format;
    }
}
