package dev.vecoptim.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/** The vector {@link AverageKernel}, defined per width by {@link PanamaKernels}; the tails are the reference's. */
final class AverageVector implements AverageKernel {
    private static final VectorSpecies<Float> FLOATS = PanamaKernels.species(MethodHandles.lookup());
    private static final AverageKernel TAIL = new Scalar();

    @Override
    public void swa(MemorySegment averaged, MemorySegment current, float count, long from, long to) {
        FloatVector counts = FloatVector.broadcast(FLOATS, count);
        long vectorEnd = from + FLOATS.loopBound(to - from);
        for (long i = from; i < vectorEnd; i += FLOATS.length()) {
            FloatVector a = PanamaLanes.load(FLOATS, averaged, i);
            PanamaLanes.store(a.add(PanamaLanes.load(FLOATS, current, i).sub(a).div(counts)), averaged, i);
        }
        TAIL.swa(averaged, current, count, vectorEnd, to);
    }

    @Override
    public void ema(MemorySegment averaged, MemorySegment current, float weight, boolean pyTorch113, long from,
                    long to) {
        FloatVector weights = FloatVector.broadcast(FLOATS, weight);
        FloatVector weightsMinusOne = FloatVector.broadcast(FLOATS, weight - 1);
        boolean lowWeight = Lerp.lowWeight(weight, pyTorch113);
        long vectorEnd = from + FLOATS.loopBound(to - from);
        for (long i = from; i < vectorEnd; i += FLOATS.length()) {
            PanamaLanes.store(PanamaLanes.lerp(PanamaLanes.load(FLOATS, averaged, i),
                    PanamaLanes.load(FLOATS, current, i), weights, weightsMinusOne, lowWeight), averaged, i);
        }
        TAIL.ema(averaged, current, weight, pyTorch113, vectorEnd, to);
    }
}
