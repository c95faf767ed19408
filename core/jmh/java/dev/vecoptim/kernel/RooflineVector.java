package dev.vecoptim.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The speed of memory for an optimizer step: the same buffers, read and written in place, at the same
 * vector width, with one addition per buffer instead of the update's arithmetic. A template like the
 * library's kernels (it lives in their package for that reason), defined per (width, shape) through
 * {@link Kernels#vector}, so that it is compiled exactly as they are.
 */
final class RooflineVector implements RooflineKernel {
    private static final VectorSpecies<Float> SPECIES = PanamaKernels.species(MethodHandles.lookup());
    private static final RooflineShape SHAPE = PanamaKernels.flags(MethodHandles.lookup(), RooflineShape.class);
    private static final int WRITTEN = SHAPE.writtenBuffers();
    private static final int PREPARED_READS = SHAPE.preparedReads();
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;
    /** The sum {@link #readBefore} read last, kept where the compiler cannot prove it unread. */
    @SuppressWarnings("unused")
    private static float readSum;

    @Override
    public void touch(MemorySegment grad, MemorySegment a, MemorySegment b, MemorySegment c, MemorySegment d,
                      MemorySegment e, long from, long to) {
        long vectorEnd = from + SPECIES.loopBound(to - from);
        if (PREPARED_READS > 0) {
            readBefore(grad, a, b, c, d, from, vectorEnd, to);
        }
        for (long i = from; i < vectorEnd; i += SPECIES.length()) {
            FloatVector g = PanamaLanes.load(SPECIES, grad, i);
            PanamaLanes.store(PanamaLanes.load(SPECIES, a, i).add(g), a, i);
            if (WRITTEN > 1) {
                PanamaLanes.store(PanamaLanes.load(SPECIES, b, i).add(g), b, i);
            }
            if (WRITTEN > 2) {
                PanamaLanes.store(PanamaLanes.load(SPECIES, c, i).add(g), c, i);
            }
            if (WRITTEN > 3) {
                PanamaLanes.store(PanamaLanes.load(SPECIES, d, i).add(g), d, i);
            }
            if (WRITTEN > 4) {
                PanamaLanes.store(PanamaLanes.load(SPECIES, e, i).add(g), e, i);
            }
        }
        for (long i = vectorEnd; i < to; i++) {
            float g = grad.getAtIndex(FLOAT, i);
            a.setAtIndex(FLOAT, i, a.getAtIndex(FLOAT, i) + g);
            if (WRITTEN > 1) {
                b.setAtIndex(FLOAT, i, b.getAtIndex(FLOAT, i) + g);
            }
            if (WRITTEN > 2) {
                c.setAtIndex(FLOAT, i, c.getAtIndex(FLOAT, i) + g);
            }
            if (WRITTEN > 3) {
                d.setAtIndex(FLOAT, i, d.getAtIndex(FLOAT, i) + g);
            }
            if (WRITTEN > 4) {
                e.setAtIndex(FLOAT, i, e.getAtIndex(FLOAT, i) + g);
            }
        }
    }

    /**
     * Reads the first {@code PREPARED_READS} of the gradient and the written buffers over the range, as a layer-wise
     * optimizer reads them before its step, and keeps their sum, so that the reads are not optimized away.
     */
    private static void readBefore(MemorySegment grad, MemorySegment a, MemorySegment b, MemorySegment c,
                                   MemorySegment d, long from, long vectorEnd, long to) {
        FloatVector sums = FloatVector.zero(SPECIES);
        for (long i = from; i < vectorEnd; i += SPECIES.length()) {
            sums = sums.add(PanamaLanes.load(SPECIES, grad, i));
            if (PREPARED_READS > 1) {
                sums = sums.add(PanamaLanes.load(SPECIES, a, i));
            }
            if (PREPARED_READS > 2) {
                sums = sums.add(PanamaLanes.load(SPECIES, b, i));
            }
            if (PREPARED_READS > 3) {
                sums = sums.add(PanamaLanes.load(SPECIES, c, i));
            }
            if (PREPARED_READS > 4) {
                sums = sums.add(PanamaLanes.load(SPECIES, d, i));
            }
        }
        float sum = sums.reduceLanes(VectorOperators.ADD);
        for (long i = vectorEnd; i < to; i++) {
            sum += grad.getAtIndex(FLOAT, i);
        }
        readSum = sum;
    }
}
