package dev.vecoptim.bench;

import dev.vecoptim.Adadelta;
import dev.vecoptim.Adagrad;
import dev.vecoptim.Adam;
import dev.vecoptim.Adamax;
import dev.vecoptim.Asgd;
import dev.vecoptim.NAdam;
import dev.vecoptim.RAdam;
import dev.vecoptim.RmsProp;
import dev.vecoptim.Rprop;
import dev.vecoptim.Semantics;
import dev.vecoptim.Sgd;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
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

    /** Adadelta without weight decay: state is square_avg, then acc_delta. */
    static Workload.Stepper adadelta(Adadelta adadelta) {
        FloatVector rho = broadcast(adadelta.rho());
        FloatVector rhoComplement = broadcast(1 - adadelta.rho());
        FloatVector eps = broadcast(adadelta.eps());
        FloatVector negativeLr = broadcast(-adadelta.lr());
        return (param, grad, state, step) -> adadelta(rho, rhoComplement, eps, negativeLr, param, grad, state[0],
                state[1]);
    }

    private static void adadelta(FloatVector rho, FloatVector rhoComplement, FloatVector eps, FloatVector negativeLr,
                                 MemorySegment param, MemorySegment grad, MemorySegment squareAvg,
                                 MemorySegment accDelta) {
        long n = wholeVectors(param);
        for (long i = 0; i < n; i += SPECIES.length()) {
            FloatVector g = load(grad, i);
            FloatVector sq = rhoComplement.mul(g).fma(g, load(squareAvg, i).mul(rho));
            store(sq, squareAvg, i);
            FloatVector acc = load(accDelta, i);
            FloatVector delta = acc.add(eps).sqrt().div(sq.add(eps).sqrt()).mul(g);
            store(rhoComplement.mul(delta).fma(delta, acc.mul(rho)), accDelta, i);
            store(delta.fma(negativeLr, load(param, i)), param, i);
        }
    }

    /** Adamax without weight decay, PyTorch 2.x's lerp: state is exp_avg, then exp_inf. */
    static Workload.Stepper adamax(Adamax adamax) {
        Lerp lerp = new Lerp((float) (1 - adamax.beta1()));
        FloatVector beta2 = broadcast(adamax.beta2());
        FloatVector eps = broadcast(adamax.eps());
        return (param, grad, state, step) -> adamax(lerp, beta2, eps,
                broadcast(-(adamax.lr() / (1 - StrictMath.pow(adamax.beta1(), step)))), param, grad, state[0],
                state[1]);
    }

    private static void adamax(Lerp lerp, FloatVector beta2, FloatVector eps, FloatVector negativeClr,
                               MemorySegment param, MemorySegment grad, MemorySegment expAvg, MemorySegment expInf) {
        long n = wholeVectors(param);
        for (long i = 0; i < n; i += SPECIES.length()) {
            FloatVector g = load(grad, i);
            FloatVector m = lerp.of(load(expAvg, i), g);
            store(m, expAvg, i);
            FloatVector u = load(expInf, i).mul(beta2).max(g.abs().add(eps));
            store(u, expInf, i);
            store(load(param, i).add(negativeClr.mul(m).div(u)), param, i);
        }
    }

    /** Rprop past its first step: state is prev, then step_size. */
    static Workload.Stepper rprop(Rprop rprop) {
        FloatVector etaMinus = broadcast(rprop.etaMinus());
        FloatVector etaPlus = broadcast(rprop.etaPlus());
        FloatVector stepSizeMin = broadcast(rprop.stepSizeMin());
        FloatVector stepSizeMax = broadcast(rprop.stepSizeMax());
        return (param, grad, state, step) -> rprop(etaMinus, etaPlus, stepSizeMin, stepSizeMax, param, grad,
                state[0], state[1]);
    }

    private static void rprop(FloatVector etaMinus, FloatVector etaPlus, FloatVector stepSizeMin,
                              FloatVector stepSizeMax, MemorySegment param, MemorySegment grad, MemorySegment prev,
                              MemorySegment stepSize) {
        FloatVector zero = broadcast(0);
        FloatVector one = broadcast(1);
        long n = wholeVectors(param);
        for (long i = 0; i < n; i += SPECIES.length()) {
            FloatVector g = load(grad, i);
            FloatVector product = g.mul(load(prev, i));
            var flipped = product.compare(VectorOperators.LT, 0);
            FloatVector factor = one.blend(etaMinus, flipped).blend(etaPlus, product.compare(VectorOperators.GT, 0));
            FloatVector size = load(stepSize, i).mul(factor);
            size = size.blend(stepSizeMin, size.compare(VectorOperators.LT, stepSizeMin));
            size = size.blend(stepSizeMax, size.compare(VectorOperators.GT, stepSizeMax));
            store(size, stepSize, i);
            FloatVector kept = g.blend(zero, flipped);
            store(kept, prev, i);
            FloatVector sign = zero.blend(one, kept.compare(VectorOperators.GT, 0))
                    .sub(zero.blend(one, kept.compare(VectorOperators.LT, 0)));
            store(sign.neg().fma(size, load(param, i)), param, i);
        }
    }

    /** RAdam without weight decay, PyTorch 2.x's lerp, rectified (as from step 6 with default betas). */
    static Workload.Stepper radam(RAdam radam) {
        Lerp lerp = new Lerp((float) (1 - radam.beta1()));
        FloatVector beta2 = broadcast(radam.beta2());
        FloatVector beta2Complement = broadcast(1 - radam.beta2());
        FloatVector lr = broadcast(radam.lr());
        FloatVector eps = broadcast(radam.eps());
        return (param, grad, state, step) -> {
            double beta2PowT = StrictMath.pow(radam.beta2(), step);
            double rhoInf = 2 / (1 - radam.beta2()) - 1;
            double rhoT = rhoInf - 2 * step * beta2PowT / (1 - beta2PowT);
            double rect = Math.sqrt((rhoT - 4) * (rhoT - 2) * rhoInf / ((rhoInf - 4) * (rhoInf - 2) * rhoT));
            radam(lerp, beta2, beta2Complement, broadcast(1 - StrictMath.pow(radam.beta1(), step)), lr,
                    broadcast(Math.sqrt(1 - beta2PowT)), eps, broadcast(rect), param, grad, state[0], state[1]);
        };
    }

    private static void radam(Lerp lerp, FloatVector beta2, FloatVector beta2Complement, FloatVector biasCorrection1,
                              FloatVector lr, FloatVector biasCorrection2Sqrt, FloatVector eps, FloatVector rect,
                              MemorySegment param, MemorySegment grad, MemorySegment expAvg, MemorySegment expAvgSq) {
        FloatVector one = broadcast(1);
        long n = wholeVectors(param);
        for (long i = 0; i < n; i += SPECIES.length()) {
            FloatVector g = load(grad, i);
            FloatVector m = lerp.of(load(expAvg, i), g);
            store(m, expAvg, i);
            FloatVector v = beta2Complement.mul(g).fma(g, load(expAvgSq, i).mul(beta2));
            store(v, expAvgSq, i);
            FloatVector adaptiveLr = one.div(v.sqrt().add(eps)).mul(biasCorrection2Sqrt);
            store(load(param, i).sub(m.div(biasCorrection1).mul(lr).mul(adaptiveLr).mul(rect)), param, i);
        }
    }

    /**
     * NAdam without weight decay, PyTorch 2.x's lerp: state is the two moments, then {@code mu_product}, read
     * before the loop and advanced after it.
     */
    static Workload.Stepper nadam(NAdam nadam) {
        Lerp lerp = new Lerp((float) (1 - nadam.beta1()));
        FloatVector beta2 = broadcast(nadam.beta2());
        FloatVector beta2Complement = broadcast(1 - nadam.beta2());
        FloatVector eps = broadcast(nadam.eps());
        return (param, grad, state, step) -> {
            double mu = nadam.beta1() * (1 - 0.5 * StrictMath.pow(0.96, step * nadam.momentumDecay()));
            double muNext = nadam.beta1() * (1 - 0.5 * StrictMath.pow(0.96, (step + 1) * nadam.momentumDecay()));
            float muProduct = state[2].get(ValueLayout.JAVA_FLOAT_UNALIGNED, 0) * (float) mu;
            double muProductNext = muProduct * muNext;
            nadam(lerp, beta2, beta2Complement, broadcast(1 - StrictMath.pow(nadam.beta2(), step)), eps,
                    broadcast(-nadam.lr() * (1 - mu) / (1 - (double) muProduct)),
                    broadcast(-nadam.lr() * muNext / (1 - muProductNext)), param, grad, state[0], state[1]);
            state[2].set(ValueLayout.JAVA_FLOAT_UNALIGNED, 0, muProduct);
        };
    }

    private static void nadam(Lerp lerp, FloatVector beta2, FloatVector beta2Complement, FloatVector biasCorrection2,
                              FloatVector eps, FloatVector gradCoefficient, FloatVector expAvgCoefficient,
                              MemorySegment param, MemorySegment grad, MemorySegment expAvg, MemorySegment expAvgSq) {
        long n = wholeVectors(param);
        for (long i = 0; i < n; i += SPECIES.length()) {
            FloatVector g = load(grad, i);
            FloatVector m = lerp.of(load(expAvg, i), g);
            store(m, expAvg, i);
            FloatVector v = beta2Complement.mul(g).fma(g, load(expAvgSq, i).mul(beta2));
            store(v, expAvgSq, i);
            FloatVector denom = v.div(biasCorrection2).sqrt().add(eps);
            FloatVector p = load(param, i).add(gradCoefficient.mul(g).div(denom));
            store(p.add(expAvgCoefficient.mul(m).div(denom)), param, i);
        }
    }

    /** ASGD without weight decay: state is {@code ax}, then {@code eta} and {@code mu}, read and then set anew. */
    static Workload.Stepper asgd(Asgd asgd) {
        return (param, grad, state, step) -> {
            float eta = state[1].get(ValueLayout.JAVA_FLOAT_UNALIGNED, 0);
            float mu = state[2].get(ValueLayout.JAVA_FLOAT_UNALIGNED, 0);
            asgd(broadcast(1 - asgd.lambd() * eta), broadcast(-eta), mu != 1 ? broadcast(mu) : null, param, grad,
                    state[0]);
            state[1].set(ValueLayout.JAVA_FLOAT_UNALIGNED, 0,
                    (float) (asgd.lr() / StrictMath.pow(1 + asgd.lambd() * asgd.lr() * step, asgd.alpha())));
            state[2].set(ValueLayout.JAVA_FLOAT_UNALIGNED, 0, (float) (1 / Math.max(1, step - asgd.t0())));
        };
    }

    /** {@code mu} null: no averaging, ax is a copy of the parameter. */
    private static void asgd(FloatVector decayFactor, FloatVector negativeEta, FloatVector mu, MemorySegment param,
                             MemorySegment grad, MemorySegment ax) {
        long n = wholeVectors(param);
        for (long i = 0; i < n; i += SPECIES.length()) {
            FloatVector p = load(grad, i).fma(negativeEta, load(param, i).mul(decayFactor));
            store(p, param, i);
            if (mu != null) {
                FloatVector average = load(ax, i);
                store(average.add(p.sub(average).mul(mu)), ax, i);
            } else {
                store(p, ax, i);
            }
        }
    }
}
