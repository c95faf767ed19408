package dev.vecoptim.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** Lion's fused vector loop: a template, which {@link PanamaKernels} defines per width, dtype and flags. */
final class LionVector implements UpdateKernel<LionKernel.Coefficients> {
    private static final VectorSpecies<Float> SPECIES = PanamaKernels.species(MethodHandles.lookup());
    private static final LionKernel.Flags FLAGS = PanamaKernels.flags(MethodHandles.lookup(), LionKernel.Flags.class);
    private static final boolean WEIGHT_DECAY = FLAGS.weightDecay();
    private static final LionKernel.Scalar TAIL = new LionKernel.Scalar(FLAGS, Format.FLOAT32);

    @Override
    public void step(MemorySegment param, MemorySegment grad, MemorySegment[] state, LionKernel.Coefficients c,
                     long from, long to) {
        MemorySegment expAvg = state[0];
        FloatVector decayFactors = FloatVector.broadcast(SPECIES, c.decayFactor);
        FloatVector beta1s = FloatVector.broadcast(SPECIES, c.beta1);
        FloatVector beta1Complements = FloatVector.broadcast(SPECIES, c.beta1Complement);
        FloatVector beta2s = FloatVector.broadcast(SPECIES, c.beta2);
        FloatVector beta2Complements = FloatVector.broadcast(SPECIES, c.beta2Complement);
        // sign(direction) · f(−lr) takes three values, each exact: f(−lr), −f(−lr), and 0 · f(−lr), a zero whose
        // sign is the opposite of lr's, which decides the sign of a zero parameter it is added to.
        FloatVector descents = FloatVector.broadcast(SPECIES, c.negativeLr);
        FloatVector ascents = FloatVector.broadcast(SPECIES, -c.negativeLr);
        FloatVector stills = FloatVector.broadcast(SPECIES, 0 * c.negativeLr);
        long vectorEnd = from + SPECIES.loopBound(to - from);
        for (long i = from; i < vectorEnd; i += SPECIES.length()) {
            FloatVector p = PanamaLanes.load(SPECIES, param, i);
            if (WEIGHT_DECAY) {
                p = p.mul(decayFactors);
            }
            FloatVector g = PanamaLanes.load(SPECIES, grad, i);
            FloatVector m = PanamaLanes.load(SPECIES, expAvg, i);
            FloatVector direction = m.mul(beta1s).add(g.mul(beta1Complements));
            FloatVector moves = stills.blend(descents, direction.compare(VectorOperators.GT, 0))
                    .blend(ascents, direction.compare(VectorOperators.LT, 0));
            PanamaLanes.store(p.add(moves), param, i);
            PanamaLanes.store(g.fma(beta2Complements, m.mul(beta2s)), expAvg, i);
        }
        if (vectorEnd < to) {
            TAIL.step(param, grad, state, c, vectorEnd, to);
        }
    }
}
