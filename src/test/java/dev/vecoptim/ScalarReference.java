package dev.vecoptim;

import java.lang.foreign.MemorySegment;

/** One step of any algorithm through the low-level public API at {@link VectorWidth#SCALAR}. */
final class ScalarReference {
    private ScalarReference() {
    }

    /** {@code state} holds the buffers in {@link Algorithm#stateNames()} order. */
    static void step(Algorithm algorithm, double lr, MemorySegment param, MemorySegment grad, MemorySegment[] state,
                     long step) {
        switch (algorithm) {
            case Sgd sgd -> sgd.toBuilder().lr(lr).vectorWidth(VectorWidth.SCALAR).build()
                    .step(param, grad, sgd.momentum() != 0 ? state[0] : null, step);
            case RmsProp rms -> rms.toBuilder().lr(lr).vectorWidth(VectorWidth.SCALAR).build()
                    .step(param, grad, state[0], rms.centered() ? state[1] : null,
                            rms.momentum() > 0 ? state[rms.centered() ? 2 : 1] : null, step);
            case Adam adam -> adam.toBuilder().lr(lr).vectorWidth(VectorWidth.SCALAR).build()
                    .step(param, grad, state[0], state[1], adam.amsgrad() ? state[2] : null, step);
        }
    }
}
