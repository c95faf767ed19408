package dev.vecoptim.kernel;

/**
 * Where a 16-bit parameter's float32 value lives, for an update that computes in float32 ({@link WidenedKernel}):
 * the kernel reads the parameter's float32 value from it, steps it, and writes it back, and the parameter as the
 * model reads it after.
 */
public enum Master {
    /** No master: the parameter's own 16-bit value is widened, and the result rounded to it. */
    NONE(0),
    /**
     * A float32 copy, a buffer of its own: stepped in float32, and the parameter set to it rounded to nearest, ties
     * to even, as {@code param.copy_(master)} does.
     */
    FLOAT32(Float.BYTES),
    /**
     * A bfloat16 parameter holding the upper 16 bits of the float32 value, and a 16-bit buffer its lower 16 bits:
     * joined, stepped in float32, and split again, so the parameter is the float32 value truncated to bfloat16.
     */
    SPLIT(Short.BYTES);

    private final int bytes;

    Master(int bytes) {
        this.bytes = bytes;
    }

    /** {@return the bytes its buffer takes per element: 0 for none} */
    public int bytes() {
        return bytes;
    }
}
