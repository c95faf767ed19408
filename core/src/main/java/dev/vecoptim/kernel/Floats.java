package dev.vecoptim.kernel;

import java.lang.foreign.ValueLayout;

/** How the kernels read and write one element of a segment outside their vector loops. */
final class Floats {
    /** Unaligned, because callers may slice segments at any byte offset; in the native byte order. */
    static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;
    /** A 16-bit element's bits, alike. */
    static final ValueLayout.OfShort HALF = ValueLayout.JAVA_SHORT_UNALIGNED;
    /** A float's bits, where they are moved as they are (NaN payloads included). */
    static final ValueLayout.OfInt BITS = ValueLayout.JAVA_INT_UNALIGNED;

    private Floats() {
    }
}
