package dev.vecoptim.kernel;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/** Loads and stores of float lanes at element indices, in the platform's byte order. */
final class PanamaLanes {
    // Always the native order: any other makes the Vector API swap bytes on every access.
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();

    private PanamaLanes() {
    }

    static FloatVector load(VectorSpecies<Float> species, MemorySegment segment, long index) {
        return FloatVector.fromMemorySegment(species, segment, index * Float.BYTES, ORDER);
    }

    static void store(FloatVector lanes, MemorySegment segment, long index) {
        lanes.intoMemorySegment(segment, index * Float.BYTES, ORDER);
    }

    /** {@link Gradient#effective} on lanes; the flags are constants where it is inlined. */
    static FloatVector effectiveGradient(FloatVector grad, FloatVector param, boolean maximize, boolean weightDecay,
                                         FloatVector weightDecays) {
        FloatVector g = maximize ? grad.neg() : grad;
        return weightDecay ? param.fma(weightDecays, g) : g;
    }

    /** {@link Lerp#of} on lanes: {@code weights} and {@code weightsMinusOne} hold W and W − 1. */
    static FloatVector lerp(FloatVector start, FloatVector end, FloatVector weights, FloatVector weightsMinusOne,
                            boolean lowWeight) {
        FloatVector difference = end.sub(start);
        return lowWeight ? difference.fma(weights, start) : difference.fma(weightsMinusOne, end);
    }
}
