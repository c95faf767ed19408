package dev.vecoptim.kernel;

/**
 * The memory traffic of one optimizer step: the gradient is read, and {@code writtenBuffers} buffers
 * (the parameter and the state) are each read and written, 4 + 8 · writtenBuffers bytes per element.
 *
 * @param writtenBuffers 1 to 5
 */
public record RooflineShape(int writtenBuffers) {
    public RooflineShape {
        if (writtenBuffers < 1 || writtenBuffers > 5) {
            throw new IllegalArgumentException("1 to 5 written buffers, not " + writtenBuffers);
        }
    }

    public long bytesPerElement() {
        return Float.BYTES + 2L * Float.BYTES * writtenBuffers;
    }
}
