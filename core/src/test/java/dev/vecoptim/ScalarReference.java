package dev.vecoptim;

import java.lang.foreign.MemorySegment;

/** One step of any algorithm through the low-level public API at {@link VectorWidth#SCALAR}. */
final class ScalarReference {
    private ScalarReference() {
    }

    /** {@code state} holds the buffers in {@link Algorithm#stateNames()} order. */
    static void step(Algorithm algorithm, double lr, MemorySegment param, MemorySegment grad, MemorySegment[] state,
                     long step) {
        algorithm.withLr(lr).withVectorWidth(VectorWidth.SCALAR).step(step, param, grad, state);
    }
}
