package dev.vecoptim.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/** RAdam's fused vector loop: a template, which {@link PanamaKernels} defines per width, dtype and flags. */
final class RAdamVector implements UpdateKernel<RAdamKernel.Coefficients> {
    private static final VectorSpecies<Float> SPECIES = PanamaKernels.species(MethodHandles.lookup());
    private static final RAdamKernel.Flags FLAGS =
            PanamaKernels.flags(MethodHandles.lookup(), RAdamKernel.Flags.class);
    private static final boolean MAXIMIZE = FLAGS.maximize();
    private static final boolean L2_WEIGHT_DECAY = FLAGS.weightDecay() == WeightDecay.L2;
    private static final boolean DECOUPLED_WEIGHT_DECAY = FLAGS.weightDecay() == WeightDecay.DECOUPLED;
    private static final boolean LERP = FLAGS.lerp();
    private static final boolean RECTIFIED = FLAGS.rectified();
    private static final RAdamKernel.Scalar TAIL = new RAdamKernel.Scalar(FLAGS, Format.FLOAT32);

    @Override
    public void step(MemorySegment param, MemorySegment grad, MemorySegment[] state, RAdamKernel.Coefficients c,
                     long from, long to) {
        MemorySegment expAvg = state[0];
        MemorySegment expAvgSq = state[1];
        FloatVector weightDecays = FloatVector.broadcast(SPECIES, c.weightDecay);
        FloatVector decayFactors = FloatVector.broadcast(SPECIES, c.decayFactor);
        FloatVector beta1s = FloatVector.broadcast(SPECIES, c.beta1);
        FloatVector beta1Complements = FloatVector.broadcast(SPECIES, c.beta1Complement);
        FloatVector beta1ComplementsMinusOne = FloatVector.broadcast(SPECIES, c.beta1Complement - 1);
        boolean lowWeight = Lerp.lowWeight(c.beta1Complement);
        FloatVector beta2s = FloatVector.broadcast(SPECIES, c.beta2);
        FloatVector beta2Complements = FloatVector.broadcast(SPECIES, c.beta2Complement);
        FloatVector biasCorrection1s = FloatVector.broadcast(SPECIES, c.biasCorrection1);
        FloatVector lrs = FloatVector.broadcast(SPECIES, c.lr);
        FloatVector ones = FloatVector.broadcast(SPECIES, 1);
        FloatVector biasCorrection2Sqrts = FloatVector.broadcast(SPECIES, c.biasCorrection2Sqrt);
        FloatVector epss = FloatVector.broadcast(SPECIES, c.eps);
        FloatVector rects = FloatVector.broadcast(SPECIES, c.rect);
        long vectorEnd = from + SPECIES.loopBound(to - from);
        for (long i = from; i < vectorEnd; i += SPECIES.length()) {
            FloatVector p = PanamaLanes.load(SPECIES, param, i);
            FloatVector g = PanamaLanes.effectiveGradient(PanamaLanes.load(SPECIES, grad, i), p, MAXIMIZE,
                    L2_WEIGHT_DECAY, weightDecays);
            if (DECOUPLED_WEIGHT_DECAY) {
                p = p.mul(decayFactors);
            }
            FloatVector previous = PanamaLanes.load(SPECIES, expAvg, i);
            FloatVector m = LERP ? PanamaLanes.lerp(previous, g, beta1Complements, beta1ComplementsMinusOne, lowWeight)
                    : g.fma(beta1Complements, previous.mul(beta1s));
            PanamaLanes.store(m, expAvg, i);
            FloatVector v = beta2Complements.mul(g).fma(g, PanamaLanes.load(SPECIES, expAvgSq, i).mul(beta2s));
            PanamaLanes.store(v, expAvgSq, i);
            FloatVector update = m.div(biasCorrection1s).mul(lrs);
            if (RECTIFIED) {
                FloatVector adaptiveLr = ones.div(v.sqrt().add(epss)).mul(biasCorrection2Sqrts);
                update = update.mul(adaptiveLr).mul(rects);
            }
            PanamaLanes.store(p.sub(update), param, i);
        }
        if (vectorEnd < to) {
            TAIL.step(param, grad, state, c, vectorEnd, to);
        }
    }
}
