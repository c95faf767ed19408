package dev.vecoptim.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * SGD's fused vector loop. Never loaded as itself: {@link PanamaKernels} defines its bytes once per
 * (width, dtype, flags) as a hidden class whose class data holds the species and the flags, so that
 * both are {@code static final} constants to C2 while the loop exists once in the source.
 */
final class SgdVector implements UpdateKernel<SgdKernel.Coefficients> {
    private static final VectorSpecies<Float> SPECIES = PanamaKernels.species(MethodHandles.lookup());
    private static final SgdKernel.Flags FLAGS = PanamaKernels.flags(MethodHandles.lookup(), SgdKernel.Flags.class);
    private static final boolean MAXIMIZE = FLAGS.maximize();
    private static final boolean WEIGHT_DECAY = FLAGS.weightDecay();
    private static final boolean MOMENTUM = FLAGS.momentum();
    private static final boolean NESTEROV = FLAGS.nesterov();
    private static final boolean FIRST_STEP = FLAGS.firstStep();
    private static final SgdKernel.Scalar TAIL = new SgdKernel.Scalar(FLAGS, Format.FLOAT32);

    @Override
    public void step(MemorySegment param, MemorySegment grad, MemorySegment[] state, SgdKernel.Coefficients c,
                     long from, long to) {
        MemorySegment momentumBuffer = MOMENTUM ? state[0] : null;
        FloatVector weightDecays = FloatVector.broadcast(SPECIES, c.weightDecay);
        FloatVector momenta = FloatVector.broadcast(SPECIES, c.momentum);
        FloatVector nesterovMomenta = FloatVector.broadcast(SPECIES, c.nesterovMomentum);
        FloatVector dampeningComplements = FloatVector.broadcast(SPECIES, c.dampeningComplement);
        FloatVector negativeLrs = FloatVector.broadcast(SPECIES, c.negativeLr);
        long vectorEnd = from + SPECIES.loopBound(to - from);
        for (long i = from; i < vectorEnd; i += SPECIES.length()) {
            FloatVector p = PanamaLanes.load(SPECIES, param, i);
            FloatVector g = PanamaLanes.effectiveGradient(PanamaLanes.load(SPECIES, grad, i), p, MAXIMIZE, WEIGHT_DECAY,
                    weightDecays);
            if (MOMENTUM) {
                FloatVector buf = FIRST_STEP
                        ? g
                        : g.fma(dampeningComplements, PanamaLanes.load(SPECIES, momentumBuffer, i).mul(momenta));
                PanamaLanes.store(buf, momentumBuffer, i);
                g = NESTEROV ? buf.fma(nesterovMomenta, g) : buf;
            }
            PanamaLanes.store(g.fma(negativeLrs, p), param, i);
        }
        if (vectorEnd < to) {
            TAIL.step(param, grad, state, c, vectorEnd, to);
        }
    }

}
