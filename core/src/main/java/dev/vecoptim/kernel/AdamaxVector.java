package dev.vecoptim.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/** Adamax's fused vector loop: a template, which {@link PanamaKernels} defines per width, dtype and flags. */
final class AdamaxVector implements UpdateKernel<AdamaxKernel.Coefficients> {
    private static final VectorSpecies<Float> SPECIES = PanamaKernels.species(MethodHandles.lookup());
    private static final AdamaxKernel.Flags FLAGS =
            PanamaKernels.flags(MethodHandles.lookup(), AdamaxKernel.Flags.class);
    private static final boolean MAXIMIZE = FLAGS.maximize();
    private static final boolean WEIGHT_DECAY = FLAGS.weightDecay();
    private static final boolean LERP = FLAGS.lerp();
    private static final AdamaxKernel.Scalar TAIL = new AdamaxKernel.Scalar(FLAGS, Format.FLOAT32);

    @Override
    public void step(MemorySegment param, MemorySegment grad, MemorySegment[] state, AdamaxKernel.Coefficients c,
                     long from, long to) {
        MemorySegment expAvg = state[0];
        MemorySegment expInf = state[1];
        FloatVector weightDecays = FloatVector.broadcast(SPECIES, c.weightDecay);
        FloatVector beta1s = FloatVector.broadcast(SPECIES, c.beta1);
        FloatVector beta1Complements = FloatVector.broadcast(SPECIES, c.beta1Complement);
        FloatVector beta1ComplementsMinusOne = FloatVector.broadcast(SPECIES, c.beta1Complement - 1);
        boolean lowWeight = Lerp.lowWeight(c.beta1Complement);
        FloatVector beta2s = FloatVector.broadcast(SPECIES, c.beta2);
        FloatVector epss = FloatVector.broadcast(SPECIES, c.eps);
        FloatVector negativeClrs = FloatVector.broadcast(SPECIES, c.negativeClr);
        long vectorEnd = from + SPECIES.loopBound(to - from);
        for (long i = from; i < vectorEnd; i += SPECIES.length()) {
            FloatVector p = PanamaLanes.load(SPECIES, param, i);
            FloatVector g = PanamaLanes.effectiveGradient(PanamaLanes.load(SPECIES, grad, i), p, MAXIMIZE,
                    WEIGHT_DECAY, weightDecays);
            FloatVector previous = PanamaLanes.load(SPECIES, expAvg, i);
            FloatVector m = LERP ? PanamaLanes.lerp(previous, g, beta1Complements, beta1ComplementsMinusOne, lowWeight)
                    : g.fma(beta1Complements, previous.mul(beta1s));
            PanamaLanes.store(m, expAvg, i);
            FloatVector u = PanamaLanes.load(SPECIES, expInf, i).mul(beta2s).max(g.abs().add(epss));
            PanamaLanes.store(u, expInf, i);
            PanamaLanes.store(p.add(negativeClrs.mul(m).div(u)), param, i);
        }
        if (vectorEnd < to) {
            TAIL.step(param, grad, state, c, vectorEnd, to);
        }
    }
}
