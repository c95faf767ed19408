package dev.vecoptim.kernel;

import java.lang.foreign.MemorySegment;

/** Moves an optimizer's bytes over {@code [from, to)} with one addition per buffer: {@code x = x + g}. */
public interface RooflineKernel {

    /** Vector loops only ({@code RooflineVector}): the roofline is a speed, and has no scalar reference. */
    KernelFamily<RooflineKernel, RooflineShape> FAMILY = new KernelFamily<>(RooflineKernel.class,
            RooflineKernel.class, null);

    /** {@code a} to {@code e}: the written buffers, the unused ones null. */
    void touch(MemorySegment grad, MemorySegment a, MemorySegment b, MemorySegment c, MemorySegment d, MemorySegment e,
               long from, long to);
}
