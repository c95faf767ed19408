package dev.vecoptim.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * LARS's fused vector loop: a template, which {@link PanamaKernels} defines per width, dtype and flags. Its trust
 * ratio is worked out by the scalar reference's {@code prepareParameter}, whose norms run on the coefficients'
 * vector {@link NormKernel}.
 */
final class LarsVector implements UpdateKernel<LarsKernel.Coefficients> {
    private static final VectorSpecies<Float> SPECIES = PanamaKernels.species(MethodHandles.lookup());
    private static final LarsKernel.Flags FLAGS = PanamaKernels.flags(MethodHandles.lookup(), LarsKernel.Flags.class);
    private static final boolean ADAPT = FLAGS.adapt();
    private static final boolean MOMENTUM = FLAGS.momentum();
    private static final boolean NESTEROV = FLAGS.nesterov();
    private static final boolean FIRST_STEP = FLAGS.firstStep();
    private static final LarsKernel.Scalar TAIL = new LarsKernel.Scalar(FLAGS, Format.FLOAT32);

    @Override
    public void step(MemorySegment param, MemorySegment grad, MemorySegment[] state, LarsKernel.Coefficients c,
                     long from, long to) {
        MemorySegment momentumBuffer = MOMENTUM ? state[0] : null;
        FloatVector weightDecays = FloatVector.broadcast(SPECIES, c.weightDecay);
        FloatVector trustRatios = FloatVector.broadcast(SPECIES, c.trustRatio);
        FloatVector momenta = FloatVector.broadcast(SPECIES, c.momentum);
        FloatVector nesterovMomenta = FloatVector.broadcast(SPECIES, c.nesterovMomentum);
        FloatVector dampeningComplements = FloatVector.broadcast(SPECIES, c.dampeningComplement);
        FloatVector negativeLrs = FloatVector.broadcast(SPECIES, c.negativeLr);
        long vectorEnd = from + SPECIES.loopBound(to - from);
        for (long i = from; i < vectorEnd; i += SPECIES.length()) {
            FloatVector p = PanamaLanes.load(SPECIES, param, i);
            FloatVector g = PanamaLanes.load(SPECIES, grad, i);
            if (ADAPT) {
                g = p.fma(weightDecays, g).mul(trustRatios);
            }
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

    @Override
    public void prepareParameter(MemorySegment param, MemorySegment grad, MemorySegment[] state,
                                 LarsKernel.Coefficients c, long from, long to, boolean first, boolean last) {
        TAIL.prepareParameter(param, grad, state, c, from, to, first, last);
    }
}
