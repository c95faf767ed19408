package dev.vecoptim.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/** The vector {@link ShardSumKernel}, defined per width by {@link PanamaKernels}: the copies' lanes scaled and added in
 * order. */
final class ShardSumVector implements ShardSumKernel {
    private static final VectorSpecies<Float> FLOATS = PanamaKernels.species(MethodHandles.lookup());
    private static final ShardSumKernel TAIL = new Scalar(Format.FLOAT32);

    @Override
    public void addInOrder(MemorySegment copies, long stride, int count, float factor, MemorySegment sums, long from,
                           long to) {
        FloatVector factors = FloatVector.broadcast(FLOATS, factor);
        long vectorEnd = from + FLOATS.loopBound(to - from);
        for (long i = from; i < vectorEnd; i += FLOATS.length()) {
            FloatVector sum = PanamaLanes.load(FLOATS, copies, i).mul(factors);
            for (int copy = 1; copy < count; copy++) {
                sum = sum.add(PanamaLanes.load(FLOATS, copies, copy * stride + i).mul(factors));
            }
            PanamaLanes.store(sum, sums, i);
        }
        TAIL.addInOrder(copies, stride, count, factor, sums, vectorEnd, to);
    }
}
