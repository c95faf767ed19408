package dev.vecoptim.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/** Adagrad's fused vector loop: a template, which {@link PanamaKernels} defines per width, dtype and flags. */
final class AdagradVector implements UpdateKernel<AdagradKernel.Coefficients> {
    private static final VectorSpecies<Float> SPECIES = PanamaKernels.species(MethodHandles.lookup());
    private static final AdagradKernel.Flags FLAGS =
            PanamaKernels.flags(MethodHandles.lookup(), AdagradKernel.Flags.class);
    private static final boolean MAXIMIZE = FLAGS.maximize();
    private static final boolean WEIGHT_DECAY = FLAGS.weightDecay();
    private static final AdagradKernel.Scalar TAIL = new AdagradKernel.Scalar(FLAGS, Format.FLOAT32);

    @Override
    public void step(MemorySegment param, MemorySegment grad, MemorySegment[] state, AdagradKernel.Coefficients c,
                     long from, long to) {
        MemorySegment sum = state[0];
        FloatVector weightDecays = FloatVector.broadcast(SPECIES, c.weightDecay);
        FloatVector epss = FloatVector.broadcast(SPECIES, c.eps);
        FloatVector negativeClrs = FloatVector.broadcast(SPECIES, c.negativeClr);
        long vectorEnd = from + SPECIES.loopBound(to - from);
        for (long i = from; i < vectorEnd; i += SPECIES.length()) {
            FloatVector p = PanamaLanes.load(SPECIES, param, i);
            FloatVector g = PanamaLanes.effectiveGradient(PanamaLanes.load(SPECIES, grad, i), p, MAXIMIZE,
                    WEIGHT_DECAY, weightDecays);
            FloatVector s = g.fma(g, PanamaLanes.load(SPECIES, sum, i));
            PanamaLanes.store(s, sum, i);
            FloatVector std = s.sqrt().add(epss);
            PanamaLanes.store(p.add(negativeClrs.mul(g).div(std)), param, i);
        }
        if (vectorEnd < to) {
            TAIL.step(param, grad, state, c, vectorEnd, to);
        }
    }
}
