package dev.vecoptim.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/** RMSProp's fused vector loop: a template, which {@link PanamaKernels} defines per width, dtype and flags. */
final class RmsPropVector implements UpdateKernel<RmsPropKernel.Coefficients> {
    private static final VectorSpecies<Float> SPECIES = PanamaKernels.species(MethodHandles.lookup());
    private static final RmsPropKernel.Flags FLAGS =
            PanamaKernels.flags(MethodHandles.lookup(), RmsPropKernel.Flags.class);
    private static final boolean MAXIMIZE = FLAGS.maximize();
    private static final boolean WEIGHT_DECAY = FLAGS.weightDecay();
    private static final boolean CENTERED = FLAGS.centered();
    private static final boolean MOMENTUM = FLAGS.momentum();
    private static final boolean LERP = FLAGS.lerp();
    private static final RmsPropKernel.Scalar TAIL = new RmsPropKernel.Scalar(FLAGS, Format.FLOAT32);

    @Override
    public void step(MemorySegment param, MemorySegment grad, MemorySegment[] state, RmsPropKernel.Coefficients c,
                     long from, long to) {
        MemorySegment squareAvg = state[0];
        MemorySegment gradAvg = CENTERED ? state[1] : null;
        MemorySegment momentumBuffer = MOMENTUM ? state[CENTERED ? 2 : 1] : null;
        FloatVector weightDecays = FloatVector.broadcast(SPECIES, c.weightDecay);
        FloatVector alphas = FloatVector.broadcast(SPECIES, c.alpha);
        FloatVector alphaComplements = FloatVector.broadcast(SPECIES, c.alphaComplement);
        FloatVector gradAvgWeights = FloatVector.broadcast(SPECIES, c.gradAvgWeight);
        FloatVector gradAvgWeightsMinusOne = FloatVector.broadcast(SPECIES, c.gradAvgWeight - 1);
        boolean lowWeight = Lerp.lowWeight(c.gradAvgWeight);
        FloatVector epss = FloatVector.broadcast(SPECIES, c.eps);
        FloatVector momenta = FloatVector.broadcast(SPECIES, c.momentum);
        FloatVector negativeLrs = FloatVector.broadcast(SPECIES, c.negativeLr);
        long vectorEnd = from + SPECIES.loopBound(to - from);
        for (long i = from; i < vectorEnd; i += SPECIES.length()) {
            FloatVector p = PanamaLanes.load(SPECIES, param, i);
            FloatVector g = PanamaLanes.effectiveGradient(PanamaLanes.load(SPECIES, grad, i), p, MAXIMIZE, WEIGHT_DECAY,
                    weightDecays);
            FloatVector sq = alphaComplements.mul(g).fma(g, PanamaLanes.load(SPECIES, squareAvg, i).mul(alphas));
            PanamaLanes.store(sq, squareAvg, i);
            FloatVector avg;
            if (CENTERED) {
                FloatVector previous = PanamaLanes.load(SPECIES, gradAvg, i);
                FloatVector ga = LERP
                        ? PanamaLanes.lerp(previous, g, gradAvgWeights, gradAvgWeightsMinusOne, lowWeight)
                        : g.fma(gradAvgWeights, previous.mul(alphas));
                PanamaLanes.store(ga, gradAvg, i);
                avg = ga.neg().fma(ga, sq).sqrt();
            } else {
                avg = sq.sqrt();
            }
            avg = avg.add(epss);
            if (MOMENTUM) {
                FloatVector buf = PanamaLanes.load(SPECIES, momentumBuffer, i).mul(momenta).add(g.div(avg));
                PanamaLanes.store(buf, momentumBuffer, i);
                p = buf.fma(negativeLrs, p);
            } else {
                p = p.add(negativeLrs.mul(g).div(avg));
            }
            PanamaLanes.store(p, param, i);
        }
        if (vectorEnd < to) {
            TAIL.step(param, grad, state, c, vectorEnd, to);
        }
    }
}
