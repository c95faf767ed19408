package dev.vecoptim.kernel;

import java.lang.foreign.MemorySegment;

/**
 * What PyTorch's CPU kernel {@code _amp_foreach_non_finite_check_and_unscale_} does to one gradient: each element
 * {@code g} becomes {@code rn(g · invScale)} (or stays {@code g} when {@code invScale} is 1), computed in float32
 * and rounded to the gradient's format; and whether any element was NaN or infinite before, which its caller
 * records as {@code found_inf}. One element at a time: a pass per step over the gradients, next to the step's own.
 */
public final class Unscale {
    private Unscale() {
    }

    /**
     * Unscales elements [0, count) of {@code grad}, of {@code format}, in place.
     *
     * @return whether an element was NaN or infinite
     */
    public static boolean unscale(MemorySegment grad, Format format, float invScale, long count) {
        boolean nonFinite = false;
        for (long i = 0; i < count; i++) {
            float value = format.load(grad, i);
            nonFinite |= !Float.isFinite(value);
            if (invScale != 1f) {
                format.store(grad, i, value * invScale);
            }
        }
        return nonFinite;
    }
}
