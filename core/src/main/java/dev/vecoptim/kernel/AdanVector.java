package dev.vecoptim.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/** Adan's fused vector loop: a template, which {@link PanamaKernels} defines per width, dtype and flags. */
final class AdanVector implements UpdateKernel<AdanKernel.Coefficients> {
    private static final VectorSpecies<Float> SPECIES = PanamaKernels.species(MethodHandles.lookup());
    private static final AdanKernel.Flags FLAGS = PanamaKernels.flags(MethodHandles.lookup(), AdanKernel.Flags.class);
    private static final boolean FIRST_STEP = FLAGS.firstStep();
    private static final boolean DECAY_BEFORE = FLAGS.weightDecay() && FLAGS.noProx();
    private static final boolean DECAY_AFTER = FLAGS.weightDecay() && !FLAGS.noProx();
    private static final AdanKernel.Scalar TAIL = new AdanKernel.Scalar(FLAGS, Format.FLOAT32);

    @Override
    public void step(MemorySegment param, MemorySegment grad, MemorySegment[] state, AdanKernel.Coefficients c,
                     long from, long to) {
        MemorySegment expAvg = state[0];
        MemorySegment expAvgSq = state[1];
        MemorySegment expAvgDiff = state[2];
        MemorySegment negPreGrad = state[3];
        FloatVector beta1s = FloatVector.broadcast(SPECIES, c.beta1);
        FloatVector beta1Complements = FloatVector.broadcast(SPECIES, c.beta1Complement);
        FloatVector beta2s = FloatVector.broadcast(SPECIES, c.beta2);
        FloatVector beta2Complements = FloatVector.broadcast(SPECIES, c.beta2Complement);
        FloatVector beta3s = FloatVector.broadcast(SPECIES, c.beta3);
        FloatVector beta3Complements = FloatVector.broadcast(SPECIES, c.beta3Complement);
        FloatVector biasCorrection3Sqrts = FloatVector.broadcast(SPECIES, c.biasCorrection3Sqrt);
        FloatVector epss = FloatVector.broadcast(SPECIES, c.eps);
        FloatVector negativeStepSizes = FloatVector.broadcast(SPECIES, c.negativeStepSize);
        FloatVector negativeDiffStepSizes = FloatVector.broadcast(SPECIES, c.negativeDiffStepSize);
        FloatVector decayFactors = FloatVector.broadcast(SPECIES, c.decayFactor);
        FloatVector decayDivisors = FloatVector.broadcast(SPECIES, c.decayDivisor);
        FloatVector zeros = FloatVector.zero(SPECIES);
        long vectorEnd = from + SPECIES.loopBound(to - from);
        for (long i = from; i < vectorEnd; i += SPECIES.length()) {
            FloatVector g = PanamaLanes.load(SPECIES, grad, i);
            FloatVector previous = FIRST_STEP ? g.neg() : PanamaLanes.load(SPECIES, negPreGrad, i);
            FloatVector difference = previous.add(g);
            FloatVector m = g.fma(beta1Complements, PanamaLanes.load(SPECIES, expAvg, i).mul(beta1s));
            FloatVector d = difference.fma(beta2Complements, PanamaLanes.load(SPECIES, expAvgDiff, i).mul(beta2s));
            FloatVector nesterov = difference.mul(beta2s).add(g);
            FloatVector v = beta3Complements.mul(nesterov).fma(nesterov, PanamaLanes.load(SPECIES, expAvgSq, i)
                    .mul(beta3s));
            PanamaLanes.store(m, expAvg, i);
            PanamaLanes.store(d, expAvgDiff, i);
            PanamaLanes.store(v, expAvgSq, i);
            FloatVector denom = v.sqrt().div(biasCorrection3Sqrts).add(epss);
            FloatVector p = PanamaLanes.load(SPECIES, param, i);
            if (DECAY_BEFORE) {
                p = p.mul(decayFactors);
            }
            p = p.add(negativeStepSizes.mul(m).div(denom)).add(negativeDiffStepSizes.mul(d).div(denom));
            if (DECAY_AFTER) {
                p = p.div(decayDivisors);
            }
            PanamaLanes.store(p, param, i);
            PanamaLanes.store(zeros.sub(g), negPreGrad, i);
        }
        if (vectorEnd < to) {
            TAIL.step(param, grad, state, c, vectorEnd, to);
        }
    }
}
