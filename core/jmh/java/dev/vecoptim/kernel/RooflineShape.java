package dev.vecoptim.kernel;

/**
 * The memory traffic of one optimizer step: the gradient is read, {@code writtenBuffers} buffers (the parameter and
 * the state) are each read and written, and before that {@code preparedReads} of them (a layer-wise optimizer's:
 * the parameter and gradient for their norms, and the state from which it computes its update again) are read once
 * more: 4 · (1 + 2 · writtenBuffers + preparedReads) bytes per element.
 *
 * @param writtenBuffers 1 to 5
 * @param preparedReads 0 to 1 + writtenBuffers: the gradient, then the written buffers in order
 */
public record RooflineShape(int writtenBuffers, int preparedReads) {
    public RooflineShape {
        if (writtenBuffers < 1 || writtenBuffers > 5) {
            throw new IllegalArgumentException("1 to 5 written buffers, not " + writtenBuffers);
        }
        if (preparedReads < 0 || preparedReads > 1 + writtenBuffers) {
            throw new IllegalArgumentException("0 to " + (1 + writtenBuffers) + " buffers read before, not "
                    + preparedReads);
        }
    }

    /** A step that reads nothing before: an element-wise optimizer's. */
    public RooflineShape(int writtenBuffers) {
        this(writtenBuffers, 0);
    }

    public long bytesPerElement() {
        return Float.BYTES * (1L + 2L * writtenBuffers + preparedReads);
    }
}
