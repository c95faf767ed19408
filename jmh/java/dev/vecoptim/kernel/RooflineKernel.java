package dev.vecoptim.kernel;

import java.lang.foreign.MemorySegment;

/** Moves an optimizer's bytes over {@code [from, to)} with one addition per buffer: {@code x = x + g}. */
public interface RooflineKernel {

    /** {@code a}, {@code b}, {@code c}, {@code d}: the written buffers, the unused ones null. */
    void touch(MemorySegment grad, MemorySegment a, MemorySegment b, MemorySegment c, MemorySegment d,
               long from, long to);
}
