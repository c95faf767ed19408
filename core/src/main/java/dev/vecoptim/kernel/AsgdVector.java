package dev.vecoptim.kernel;

import static dev.vecoptim.kernel.Floats.FLOAT;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/** ASGD's fused vector loop: a template, which {@link PanamaKernels} defines per width, dtype and flags. */
final class AsgdVector implements UpdateKernel<AsgdKernel.Coefficients> {
    private static final VectorSpecies<Float> SPECIES = PanamaKernels.species(MethodHandles.lookup());
    private static final AsgdKernel.Flags FLAGS =
            PanamaKernels.flags(MethodHandles.lookup(), AsgdKernel.Flags.class);
    private static final boolean MAXIMIZE = FLAGS.maximize();
    private static final boolean WEIGHT_DECAY = FLAGS.weightDecay();
    private static final boolean AVERAGING = FLAGS.averaging();
    private static final AsgdKernel.Scalar TAIL = new AsgdKernel.Scalar(FLAGS, Format.FLOAT32);

    @Override
    public void step(MemorySegment param, MemorySegment grad, MemorySegment[] state, AsgdKernel.Coefficients c,
                     long from, long to) {
        MemorySegment ax = state[0];
        FloatVector weightDecays = FloatVector.broadcast(SPECIES, c.weightDecay);
        float eta = state[1].get(FLOAT, 0);
        FloatVector decayFactors = FloatVector.broadcast(SPECIES, c.decayFactor(eta));
        FloatVector negativeEtas = FloatVector.broadcast(SPECIES, -eta);
        FloatVector mus = FloatVector.broadcast(SPECIES, state[2].get(FLOAT, 0));
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
            TAIL.step(param, grad, state, c, vectorEnd, to);
        }
    }
}
