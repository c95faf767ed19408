package dev.vecoptim.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/** Adadelta's fused vector loop: a template, which {@link PanamaKernels} defines per width, dtype and flags. */
final class AdadeltaVector implements UpdateKernel<AdadeltaKernel.Coefficients> {
    private static final VectorSpecies<Float> SPECIES = PanamaKernels.species(MethodHandles.lookup());
    private static final AdadeltaKernel.Flags FLAGS =
            PanamaKernels.flags(MethodHandles.lookup(), AdadeltaKernel.Flags.class);
    private static final boolean MAXIMIZE = FLAGS.maximize();
    private static final boolean WEIGHT_DECAY = FLAGS.weightDecay();
    private static final AdadeltaKernel.Scalar TAIL = new AdadeltaKernel.Scalar(FLAGS, Format.FLOAT32);

    @Override
    public void step(MemorySegment param, MemorySegment grad, MemorySegment[] state, AdadeltaKernel.Coefficients c,
                     long from, long to) {
        MemorySegment squareAvg = state[0];
        MemorySegment accDelta = state[1];
        FloatVector weightDecays = FloatVector.broadcast(SPECIES, c.weightDecay);
        FloatVector rhos = FloatVector.broadcast(SPECIES, c.rho);
        FloatVector rhoComplements = FloatVector.broadcast(SPECIES, c.rhoComplement);
        FloatVector epss = FloatVector.broadcast(SPECIES, c.eps);
        FloatVector negativeLrs = FloatVector.broadcast(SPECIES, c.negativeLr);
        long vectorEnd = from + SPECIES.loopBound(to - from);
        for (long i = from; i < vectorEnd; i += SPECIES.length()) {
            FloatVector p = PanamaLanes.load(SPECIES, param, i);
            FloatVector g = PanamaLanes.effectiveGradient(PanamaLanes.load(SPECIES, grad, i), p, MAXIMIZE,
                    WEIGHT_DECAY, weightDecays);
            FloatVector sq = rhoComplements.mul(g).fma(g, PanamaLanes.load(SPECIES, squareAvg, i).mul(rhos));
            PanamaLanes.store(sq, squareAvg, i);
            FloatVector std = sq.add(epss).sqrt();
            FloatVector acc = PanamaLanes.load(SPECIES, accDelta, i);
            FloatVector delta = acc.add(epss).sqrt().div(std).mul(g);
            PanamaLanes.store(rhoComplements.mul(delta).fma(delta, acc.mul(rhos)), accDelta, i);
            PanamaLanes.store(delta.fma(negativeLrs, p), param, i);
        }
        if (vectorEnd < to) {
            TAIL.step(param, grad, state, c, vectorEnd, to);
        }
    }
}
