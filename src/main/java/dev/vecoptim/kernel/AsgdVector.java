package dev.vecoptim.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * ASGD's fused vector loop, defined by {@link PanamaKernels} once per (width, flags) as a hidden class whose
 * class data makes the species and the {@link Flags} constants to C2.
 */
final class AsgdVector implements AsgdKernel {
    private static final VectorSpecies<Float> SPECIES = PanamaKernels.species(MethodHandles.lookup());
    private static final Flags FLAGS = PanamaKernels.flags(MethodHandles.lookup(), Flags.class);
    private static final boolean MAXIMIZE = FLAGS.maximize();
    private static final boolean WEIGHT_DECAY = FLAGS.weightDecay();
    private static final boolean AVERAGING = FLAGS.averaging();
    private static final AsgdKernel TAIL = new Scalar(FLAGS);

    @Override
    public void step(MemorySegment param, MemorySegment grad, MemorySegment ax, float weightDecay,
                     float decayFactor, float negativeEta, float mu, long from, long to) {
        FloatVector weightDecays = FloatVector.broadcast(SPECIES, weightDecay);
        FloatVector decayFactors = FloatVector.broadcast(SPECIES, decayFactor);
        FloatVector negativeEtas = FloatVector.broadcast(SPECIES, negativeEta);
        FloatVector mus = FloatVector.broadcast(SPECIES, mu);
        long vectorEnd = from + SPECIES.loopBound(to - from);
        for (long i = from; i < vectorEnd; i += SPECIES.length()) {
            FloatVector p = PanamaLanes.load(SPECIES, param, i);
            FloatVector g = PanamaLanes.effectiveGradient(PanamaLanes.load(SPECIES, grad, i), p, MAXIMIZE,
                    WEIGHT_DECAY, weightDecays);
            p = g.fma(negativeEtas, p.mul(decayFactors));
            PanamaLanes.store(p, param, i);
            if (AVERAGING) {
                FloatVector average = PanamaLanes.load(SPECIES, ax, i);
                PanamaLanes.store(average.add(p.sub(average).mul(mus)), ax, i);
            } else {
                PanamaLanes.store(p, ax, i);
            }
        }
        if (vectorEnd < to) {
            TAIL.step(param, grad, ax, weightDecay, decayFactor, negativeEta, mu, vectorEnd, to);
        }
    }
}
