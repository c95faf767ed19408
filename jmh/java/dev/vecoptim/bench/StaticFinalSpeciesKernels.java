package dev.vecoptim.bench;

import dev.vecoptim.Adagrad;
import dev.vecoptim.Adam;
import dev.vecoptim.RmsProp;
import dev.vecoptim.Semantics;
import dev.vecoptim.Sgd;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * What "a width chosen at run time costs nothing" is measured against: the library's loops for the
 * benchmarked configurations, hand-written with a hard-coded {@code static final SPECIES_PREFERRED}, the
 * form the Vector API documentation recommends. Same roundings (the self-check demands equal bits). The
 * few flags are plain booleans: JMH forks one JVM per configuration, where C2 unswitches them.
 */
final class StaticFinalSpeciesKernels {
    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();

    private StaticFinalSpeciesKernels() {
    }

    /** The benchmark sizes are powers of two, whole vectors at any width: these loops have no tail. */
    private static long wholeVectors(MemorySegment param) {
        long n = param.byteSize() / Float.BYTES;
        if (n % SPECIES.length() != 0) {
            throw new IllegalArgumentException(n + " floats are not whole " + SPECIES.length() + "-lane vectors");
        }
        return n;
    }

    private static FloatVector load(MemorySegment segment, long i) {
        return FloatVector.fromMemorySegment(SPECIES, segment, i * Float.BYTES, ORDER);
    }

    private static void store(FloatVector lanes, MemorySegment segment, long i) {
        lanes.intoMemorySegment(segment, i * Float.BYTES, ORDER);
    }

    private static FloatVector broadcast(double value) {
        return FloatVector.broadcast(SPECIES, (float) value);
    }

    /** SGD with momentum past the first step, Nesterov or not: state is the momentum buffer. */
    static Workload.Stepper sgd(Sgd sgd) {
        FloatVector momentum = broadcast(sgd.momentum());
        FloatVector dampeningComplement = broadcast(1 - sgd.dampening());
        FloatVector negativeLr = broadcast(-sgd.lr());
        boolean nesterov = sgd.nesterov();
        return (param, grad, state, step) -> sgd(momentum, dampeningComplement, negativeLr, nesterov, param, grad,
                state[0]);
    }

    private static void sgd(FloatVector momentum, FloatVector dampeningComplement, FloatVector negativeLr,
                            boolean nesterov, MemorySegment param, MemorySegment grad, MemorySegment momentumBuffer) {
        long n = wholeVectors(param);
        for (long i = 0; i < n; i += SPECIES.length()) {
            FloatVector g = load(grad, i);
            FloatVector buf = g.fma(dampeningComplement, load(momentumBuffer, i).mul(momentum));
            store(buf, momentumBuffer, i);
            store((nesterov ? buf.fma(momentum, g) : buf).fma(negativeLr, load(param, i)), param, i);
        }
    }

    /** RMSProp, centered or not: state is the square average, then the gradient average. */
    static Workload.Stepper rmsProp(RmsProp rms) {
        FloatVector alpha = broadcast(rms.alpha());
        FloatVector alphaComplement = broadcast(1 - rms.alpha());
        FloatVector eps = broadcast(rms.eps());
        FloatVector negativeLr = broadcast(-rms.lr());
        boolean centered = rms.centered();
        Lerp lerp = rms.semantics() == Semantics.PYTORCH_2 ? new Lerp((float) (1 - rms.alpha())) : null;
        return (param, grad, state, step) -> rmsProp(alpha, alphaComplement, eps, negativeLr, centered, lerp, param,
                grad, state[0], centered ? state[1] : null);
    }

    /** PyTorch 2.x's {@code start.lerp_(end, weight)}: its two roundings, chosen by the weight. */
    private record Lerp(FloatVector weight, FloatVector weightMinusOne, boolean low) {
        Lerp(float weight) {
            this(broadcast(weight), broadcast(weight - 1), Math.abs(weight) < 0.5f);
        }

        FloatVector of(FloatVector start, FloatVector end) {
            FloatVector difference = end.sub(start);
            return low ? difference.fma(weight, start) : difference.fma(weightMinusOne, end);
        }
    }

    private static void rmsProp(FloatVector alpha, FloatVector alphaComplement, FloatVector eps,
                                FloatVector negativeLr, boolean centered, Lerp lerp, MemorySegment param,
                                MemorySegment grad, MemorySegment squareAvg, MemorySegment gradAvg) {
        long n = wholeVectors(param);
        for (long i = 0; i < n; i += SPECIES.length()) {
            FloatVector g = load(grad, i);
            FloatVector sq = alphaComplement.mul(g).fma(g, load(squareAvg, i).mul(alpha));
            store(sq, squareAvg, i);
            FloatVector variance = sq;
            if (centered) {
                FloatVector previous = load(gradAvg, i);
                FloatVector ga = lerp != null ? lerp.of(previous, g) : g.fma(alphaComplement, previous.mul(alpha));
                store(ga, gradAvg, i);
                variance = ga.neg().fma(ga, sq);
            }
            store(load(param, i).add(negativeLr.mul(g).div(variance.sqrt().add(eps))), param, i);
        }
    }

    /** Adam, AMSGrad or AdamW: state is exp_avg, exp_avg_sq, then max_exp_avg_sq with AMSGrad. */
    static Workload.Stepper adam(Adam adam) {
        return (param, grad, state, step) -> adam(adam, step, param, grad, state[0], state[1],
                adam.amsgrad() ? state[2] : null);
    }

    private static void adam(Adam adam, long step, MemorySegment param, MemorySegment grad, MemorySegment expAvg,
                             MemorySegment expAvgSq, MemorySegment maxExpAvgSq) {
        FloatVector negativeStepSize = broadcast(-(adam.lr() / (1 - StrictMath.pow(adam.beta1(), step))));
        FloatVector biasCorrection2Sqrt = broadcast(Math.sqrt(1 - StrictMath.pow(adam.beta2(), step)));
        FloatVector beta1 = broadcast(adam.beta1());
        FloatVector beta1Complement = broadcast(1 - adam.beta1());
        FloatVector beta2 = broadcast(adam.beta2());
        FloatVector beta2Complement = broadcast(1 - adam.beta2());
        FloatVector eps = broadcast(adam.eps());
        FloatVector decayFactor = broadcast(1 - adam.lr() * adam.weightDecay());
        boolean decoupled = adam.decoupledWeightDecay() && adam.weightDecay() != 0;
        boolean amsgrad = adam.amsgrad();
        Lerp lerp = adam.semantics() == Semantics.PYTORCH_2 ? new Lerp((float) (1 - adam.beta1())) : null;
        long n = wholeVectors(param);
        for (long i = 0; i < n; i += SPECIES.length()) {
            FloatVector p = load(param, i);
            if (decoupled) {
                p = p.mul(decayFactor);
            }
            FloatVector g = load(grad, i);
            FloatVector previous = load(expAvg, i);
            FloatVector m = lerp != null ? lerp.of(previous, g) : g.fma(beta1Complement, previous.mul(beta1));
            store(m, expAvg, i);
            FloatVector v = beta2Complement.mul(g).fma(g, load(expAvgSq, i).mul(beta2));
            store(v, expAvgSq, i);
            if (amsgrad) {
                v = load(maxExpAvgSq, i).max(v);
                store(v, maxExpAvgSq, i);
            }
            FloatVector denom = v.sqrt().div(biasCorrection2Sqrt).add(eps);
            store(p.add(negativeStepSize.mul(m).div(denom)), param, i);
        }
    }

    /** Adagrad without weight decay: state is the sum of squared gradients. */
    static Workload.Stepper adagrad(Adagrad adagrad) {
        FloatVector eps = broadcast(adagrad.eps());
        return (param, grad, state, step) -> adagrad(broadcast(-adagrad.lr() / (1 + (step - 1) * adagrad.lrDecay())),
                eps, param, grad, state[0]);
    }

    private static void adagrad(FloatVector negativeClr, FloatVector eps, MemorySegment param, MemorySegment grad,
                                MemorySegment sum) {
        long n = wholeVectors(param);
        for (long i = 0; i < n; i += SPECIES.length()) {
            FloatVector g = load(grad, i);
            FloatVector s = g.fma(g, load(sum, i));
            store(s, sum, i);
            store(load(param, i).add(negativeClr.mul(g).div(s.sqrt().add(eps))), param, i);
        }
    }
}
