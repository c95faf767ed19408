package dev.vecoptim.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/** Schedule-Free AdamW's fused vector loop: a template, which {@link PanamaKernels} defines per width, dtype and flags. */
final class AdamWScheduleFreeVector implements UpdateKernel<AdamWScheduleFreeKernel.Coefficients> {
    private static final VectorSpecies<Float> SPECIES = PanamaKernels.species(MethodHandles.lookup());
    private static final AdamWScheduleFreeKernel.Flags FLAGS =
            PanamaKernels.flags(MethodHandles.lookup(), AdamWScheduleFreeKernel.Flags.class);
    private static final boolean FIRST_STEP = FLAGS.firstStep();
    private static final boolean WEIGHT_DECAY = FLAGS.weightDecay();
    private static final AdamWScheduleFreeKernel.Scalar TAIL =
            new AdamWScheduleFreeKernel.Scalar(FLAGS, Format.FLOAT32);

    @Override
    public void step(MemorySegment param, MemorySegment grad, MemorySegment[] state,
                     AdamWScheduleFreeKernel.Coefficients c, long from, long to) {
        MemorySegment z = state[0];
        MemorySegment expAvgSq = state[1];
        FloatVector beta2s = FloatVector.broadcast(SPECIES, c.beta2);
        FloatVector beta2Complements = FloatVector.broadcast(SPECIES, c.beta2Complement);
        FloatVector biasCorrection2s = FloatVector.broadcast(SPECIES, c.biasCorrection2);
        FloatVector epss = FloatVector.broadcast(SPECIES, c.eps);
        FloatVector weightDecays = FloatVector.broadcast(SPECIES, c.weightDecay);
        FloatVector negativeLrs = FloatVector.broadcast(SPECIES, c.negativeLr);
        float lerpWeight = c.lerpWeight(state);
        boolean lowWeight = Lerp.lowWeight(lerpWeight);
        FloatVector lerpWeights = FloatVector.broadcast(SPECIES, lerpWeight);
        FloatVector lerpWeightsMinusOne = FloatVector.broadcast(SPECIES, lerpWeight - 1);
        FloatVector ySteps = FloatVector.broadcast(SPECIES, c.yStep(state));
        long vectorEnd = from + SPECIES.loopBound(to - from);
        for (long i = from; i < vectorEnd; i += SPECIES.length()) {
            FloatVector g = PanamaLanes.load(SPECIES, grad, i);
            FloatVector v = beta2Complements.mul(g).fma(g, PanamaLanes.load(SPECIES, expAvgSq, i).mul(beta2s));
            PanamaLanes.store(v, expAvgSq, i);
            FloatVector denom = v.div(biasCorrection2s).sqrt().add(epss);
            FloatVector y = PanamaLanes.load(SPECIES, param, i);
            FloatVector u = g.div(denom);
            if (WEIGHT_DECAY) {
                u = y.fma(weightDecays, u);
            }
            FloatVector zBefore = FIRST_STEP ? y : PanamaLanes.load(SPECIES, z, i);
            y = PanamaLanes.lerp(y, zBefore, lerpWeights, lerpWeightsMinusOne, lowWeight);
            PanamaLanes.store(u.fma(ySteps, y), param, i);
            PanamaLanes.store(u.fma(negativeLrs, zBefore), z, i);
        }
        if (vectorEnd < to) {
            TAIL.step(param, grad, state, c, vectorEnd, to);
        }
    }
}
