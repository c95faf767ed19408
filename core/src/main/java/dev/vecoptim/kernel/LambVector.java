package dev.vecoptim.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * LAMB's fused vector loop: a template, which {@link PanamaKernels} defines per width, dtype and flags. Its
 * preparation computes each block's decayed parameter and update on lanes too, into scratch, whose squares the
 * coefficients' vector {@link NormKernel} adds up.
 */
final class LambVector implements UpdateKernel<LambKernel.Coefficients>, PreparedValues<LambKernel.Coefficients> {
    private static final VectorSpecies<Float> SPECIES = PanamaKernels.species(MethodHandles.lookup());
    private static final LambKernel.Flags FLAGS = PanamaKernels.flags(MethodHandles.lookup(), LambKernel.Flags.class);
    private static final boolean WEIGHT_DECAY = FLAGS.weightDecay();
    private static final boolean DECOUPLED = FLAGS.decoupled();
    private static final boolean ADAPT = FLAGS.adapt();
    private static final LambKernel.Scalar TAIL = new LambKernel.Scalar(FLAGS, Format.FLOAT32);

    @Override
    public void step(MemorySegment param, MemorySegment grad, MemorySegment[] state, LambKernel.Coefficients c,
                     long from, long to) {
        MemorySegment expAvg = state[0];
        MemorySegment expAvgSq = state[1];
        FloatVector beta1s = FloatVector.broadcast(SPECIES, c.beta1);
        FloatVector beta3s = FloatVector.broadcast(SPECIES, c.beta1Complement);
        FloatVector beta2s = FloatVector.broadcast(SPECIES, c.beta2);
        FloatVector beta2Complements = FloatVector.broadcast(SPECIES, c.beta2Complement);
        FloatVector biasCorrection1s = FloatVector.broadcast(SPECIES, c.biasCorrection1);
        FloatVector biasCorrection2Sqrts = FloatVector.broadcast(SPECIES, c.biasCorrection2Sqrt);
        FloatVector epss = FloatVector.broadcast(SPECIES, c.eps);
        FloatVector weightDecays = FloatVector.broadcast(SPECIES, c.weightDecay);
        FloatVector decoupledDecays = FloatVector.broadcast(SPECIES, c.decoupledDecay);
        FloatVector trustRatios = FloatVector.broadcast(SPECIES, c.trustRatio);
        FloatVector negativeLrs = FloatVector.broadcast(SPECIES, c.negativeLr);
        long vectorEnd = from + SPECIES.loopBound(to - from);
        for (long i = from; i < vectorEnd; i += SPECIES.length()) {
            FloatVector p = PanamaLanes.load(SPECIES, param, i);
            FloatVector g = PanamaLanes.load(SPECIES, grad, i);
            FloatVector m = g.fma(beta3s, PanamaLanes.load(SPECIES, expAvg, i).mul(beta1s));
            FloatVector v = g.mul(beta2Complements).fma(g, PanamaLanes.load(SPECIES, expAvgSq, i).mul(beta2s));
            PanamaLanes.store(m, expAvg, i);
            PanamaLanes.store(v, expAvgSq, i);
            FloatVector u = m.div(biasCorrection1s).div(v.sqrt().div(biasCorrection2Sqrts).add(epss));
            if (WEIGHT_DECAY && !DECOUPLED) {
                u = p.fma(weightDecays, u);
            }
            if (ADAPT) {
                u = u.mul(trustRatios);
            }
            PanamaLanes.store(u.fma(negativeLrs, DECOUPLED ? p.fma(decoupledDecays, p) : p), param, i);
        }
        if (vectorEnd < to) {
            TAIL.step(param, grad, state, c, vectorEnd, to);
        }
    }

    @Override
    public void prepareParameter(MemorySegment param, MemorySegment grad, MemorySegment[] state,
                                 LambKernel.Coefficients c, long from, long to, boolean first, boolean last) {
        LambKernel.prepareInBlocks(this, FLAGS, Format.FLOAT32, param, grad, state, c, from, to, first, last);
    }

    /**
     * The step's lanes again, written to {@code params} and {@code updates} instead of the buffers. Its own loop, not
     * one shared with {@link #step} under a flag: that loop deoptimized over and over (36 ns an element, measured),
     * and a helper returning the update's lanes was too big to inline, its vectors boxed (96 KB a step of 4K).
     */
    @Override
    public void compute(MemorySegment param, MemorySegment grad, MemorySegment[] state, LambKernel.Coefficients c,
                        long from, int count, MemorySegment params, MemorySegment updates, int at) {
        int vectorEnd = SPECIES.loopBound(count);
        for (int k = 0; k < vectorEnd; k += SPECIES.length()) {
            long i = from + k;
            FloatVector p = PanamaLanes.load(SPECIES, param, i);
            FloatVector g = PanamaLanes.load(SPECIES, grad, i);
            FloatVector m = g.fma(FloatVector.broadcast(SPECIES, c.beta1Complement),
                    PanamaLanes.load(SPECIES, state[0], i).mul(c.beta1));
            FloatVector v = g.mul(c.beta2Complement).fma(g, PanamaLanes.load(SPECIES, state[1], i).mul(c.beta2));
            FloatVector u = m.div(c.biasCorrection1).div(v.sqrt().div(c.biasCorrection2Sqrt).add(c.eps));
            PanamaLanes.store(WEIGHT_DECAY && !DECOUPLED ? p.fma(FloatVector.broadcast(SPECIES, c.weightDecay), u) : u,
                    updates, at + k);
            PanamaLanes.store(DECOUPLED ? p.fma(FloatVector.broadcast(SPECIES, c.decoupledDecay), p) : p, params,
                    at + k);
        }
        if (vectorEnd < count) {
            TAIL.compute(param, grad, state, c, from + vectorEnd, count - vectorEnd, params, updates, at + vectorEnd);
        }
    }
}
