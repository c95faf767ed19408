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
final class LambVector implements UpdateKernel<LambKernel.Coefficients>, LambKernel.PreparedValues {
    private static final VectorSpecies<Float> SPECIES = PanamaKernels.species(MethodHandles.lookup());
    private static final LambKernel.Flags FLAGS = PanamaKernels.flags(MethodHandles.lookup(), LambKernel.Flags.class);
    private static final boolean WEIGHT_DECAY = FLAGS.weightDecay();
    private static final boolean DECOUPLED = FLAGS.decoupled();
    private static final boolean ADAPT = FLAGS.adapt();
    private static final LambKernel.Scalar TAIL = new LambKernel.Scalar(FLAGS, Format.FLOAT32);

    @Override
    public void step(MemorySegment param, MemorySegment grad, MemorySegment[] state, LambKernel.Coefficients c,
                     long from, long to) {
        FloatVector trustRatios = FloatVector.broadcast(SPECIES, c.trustRatio);
        FloatVector negativeLrs = FloatVector.broadcast(SPECIES, c.negativeLr);
        long vectorEnd = from + SPECIES.loopBound(to - from);
        for (long i = from; i < vectorEnd; i += SPECIES.length()) {
            FloatVector p = PanamaLanes.load(SPECIES, param, i);
            FloatVector u = update(p, grad, state, c, i, true);
            if (ADAPT) {
                u = u.mul(trustRatios);
            }
            PanamaLanes.store(u.fma(negativeLrs, decayed(p, c)), param, i);
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

    @Override
    public void compute(MemorySegment param, MemorySegment grad, MemorySegment[] state, LambKernel.Coefficients c,
                        long from, int count, MemorySegment params, MemorySegment updates, int at) {
        int vectorEnd = SPECIES.loopBound(count);
        for (int k = 0; k < vectorEnd; k += SPECIES.length()) {
            FloatVector p = PanamaLanes.load(SPECIES, param, from + k);
            PanamaLanes.store(decayed(p, c), params, at + k);
            PanamaLanes.store(update(p, grad, state, c, from + k, false), updates, at + k);
        }
        if (vectorEnd < count) {
            TAIL.compute(param, grad, state, c, from + vectorEnd, count - vectorEnd, params, updates, at + vectorEnd);
        }
    }

    /** {@code p.add_(p, alpha=−lr·weight_decay)} with a decoupled decay, else p. */
    private static FloatVector decayed(FloatVector p, LambKernel.Coefficients c) {
        return DECOUPLED ? p.fma(FloatVector.broadcast(SPECIES, c.decoupledDecay), p) : p;
    }

    /** The lanes' moments (stored when {@code store}) and update before the trust ratio, as the scalar reference's. */
    private static FloatVector update(FloatVector p, MemorySegment grad, MemorySegment[] state,
                                      LambKernel.Coefficients c, long i, boolean store) {
        FloatVector g = PanamaLanes.load(SPECIES, grad, i);
        FloatVector m = g.fma(FloatVector.broadcast(SPECIES, c.beta1Complement),
                PanamaLanes.load(SPECIES, state[0], i).mul(c.beta1));
        FloatVector v = g.mul(c.beta2Complement).fma(g, PanamaLanes.load(SPECIES, state[1], i).mul(c.beta2));
        if (store) {
            PanamaLanes.store(m, state[0], i);
            PanamaLanes.store(v, state[1], i);
        }
        FloatVector u = m.div(c.biasCorrection1).div(v.sqrt().div(c.biasCorrection2Sqrt).add(c.eps));
        return WEIGHT_DECAY && !DECOUPLED ? p.fma(FloatVector.broadcast(SPECIES, c.weightDecay), u) : u;
    }
}
