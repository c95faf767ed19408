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

/**
 * The baseline a user would write without vecoptim: plain loops over {@code float[]}, same formulas and
 * roundings as the library (the self-check demands equal bits), which C2 auto-vectorizes. Each loop is
 * deliberately self-contained, a user's copy, not a call into the library. The flags are plain booleans:
 * JMH forks one JVM per configuration, where C2 unswitches them.
 */
final class PlainArrayLoops {
    private PlainArrayLoops() {
    }

    /** One step over heap arrays: param, grad, then state in the library's order. */
    interface ArrayStepper {
        void step(float[][] arrays, long step);
    }

    /** SGD with momentum (not the first step), Nesterov or not; no weight decay. */
    static ArrayStepper sgd(Sgd sgd) {
        return (a, t) -> sgd(sgd, a[0], a[1], a[2]);
    }

    private static void sgd(Sgd sgd, float[] p, float[] g, float[] buf) {
        float momentum = (float) sgd.momentum();
        float dampeningComplement = (float) (1 - sgd.dampening());
        float negativeLr = (float) -sgd.lr();
        boolean nesterov = sgd.nesterov();
        for (int i = 0; i < p.length; i++) {
            float b = Math.fma(g[i], dampeningComplement, buf[i] * momentum);
            buf[i] = b;
            p[i] = Math.fma(nesterov ? Math.fma(b, momentum, g[i]) : b, negativeLr, p[i]);
        }
    }

    /** RMSProp, centered or not; no momentum, no weight decay. */
    static ArrayStepper rmsProp(RmsProp rms) {
        return (a, t) -> rmsProp(rms, a[0], a[1], a[2], rms.centered() ? a[3] : null);
    }

    private static void rmsProp(RmsProp rms, float[] p, float[] g, float[] squareAvg, float[] gradAvg) {
        float alpha = (float) rms.alpha();
        float alphaComplement = (float) (1 - rms.alpha());
        float eps = (float) rms.eps();
        float negativeLr = (float) -rms.lr();
        boolean centered = rms.centered();
        boolean lerp = rms.semantics() == Semantics.PYTORCH_2;
        for (int i = 0; i < p.length; i++) {
            float gi = g[i];
            float sq = Math.fma(alphaComplement * gi, gi, squareAvg[i] * alpha);
            squareAvg[i] = sq;
            float variance = sq;
            if (centered) {
                float ga = lerp ? lerp(gradAvg[i], gi, alphaComplement) : Math.fma(gi, alphaComplement, gradAvg[i] * alpha);
                gradAvg[i] = ga;
                variance = Math.fma(-ga, ga, sq);
            }
            p[i] += negativeLr * gi / ((float) Math.sqrt(variance) + eps);
        }
    }

    /** Adam, AMSGrad or AdamW; no maximize. */
    static ArrayStepper adam(Adam adam) {
        return (a, t) -> adam(adam, t, a[0], a[1], a[2], a[3], adam.amsgrad() ? a[4] : null);
    }

    private static void adam(Adam adam, long step, float[] p, float[] g, float[] expAvg, float[] expAvgSq,
                             float[] maxExpAvgSq) {
        double biasCorrection1 = 1 - StrictMath.pow(adam.beta1(), step);
        float biasCorrection2Sqrt = (float) Math.sqrt(1 - StrictMath.pow(adam.beta2(), step));
        float negativeStepSize = (float) -(adam.lr() / biasCorrection1);
        float beta1 = (float) adam.beta1();
        float beta1Complement = (float) (1 - adam.beta1());
        float beta2 = (float) adam.beta2();
        float beta2Complement = (float) (1 - adam.beta2());
        float eps = (float) adam.eps();
        boolean decoupled = adam.decoupledWeightDecay() && adam.weightDecay() != 0;
        float decayFactor = (float) (1 - adam.lr() * adam.weightDecay());
        float weightDecay = (float) adam.weightDecay();
        boolean l2 = !adam.decoupledWeightDecay() && adam.weightDecay() != 0;
        boolean amsgrad = maxExpAvgSq != null;
        boolean lerp = adam.semantics() == Semantics.PYTORCH_2;
        for (int i = 0; i < p.length; i++) {
            float pi = p[i];
            float gi = l2 ? Math.fma(pi, weightDecay, g[i]) : g[i];
            if (decoupled) {
                pi *= decayFactor;
            }
            float m = lerp ? lerp(expAvg[i], gi, beta1Complement) : Math.fma(gi, beta1Complement, expAvg[i] * beta1);
            expAvg[i] = m;
            float v = Math.fma(beta2Complement * gi, gi, expAvgSq[i] * beta2);
            expAvgSq[i] = v;
            if (amsgrad) {
                v = Math.max(maxExpAvgSq[i], v);
                maxExpAvgSq[i] = v;
            }
            p[i] = pi + negativeStepSize * m / ((float) Math.sqrt(v) / biasCorrection2Sqrt + eps);
        }
    }

    /** Adagrad without weight decay or maximize. */
    static ArrayStepper adagrad(Adagrad adagrad) {
        return (a, t) -> adagrad(adagrad, t, a[0], a[1], a[2]);
    }

    private static void adagrad(Adagrad adagrad, long step, float[] p, float[] g, float[] sum) {
        float negativeClr = (float) -(adagrad.lr() / (1 + (step - 1) * adagrad.lrDecay()));
        float eps = (float) adagrad.eps();
        for (int i = 0; i < p.length; i++) {
            float gi = g[i];
            float s = Math.fma(gi, gi, sum[i]);
            sum[i] = s;
            p[i] += negativeClr * gi / ((float) Math.sqrt(s) + eps);
        }
    }

    /** Adadelta without weight decay or maximize. */
    static ArrayStepper adadelta(Adadelta adadelta) {
        return (a, t) -> adadelta(adadelta, a[0], a[1], a[2], a[3]);
    }

    private static void adadelta(Adadelta adadelta, float[] p, float[] g, float[] squareAvg, float[] accDelta) {
        float rho = (float) adadelta.rho();
        float rhoComplement = (float) (1 - adadelta.rho());
        float eps = (float) adadelta.eps();
        float negativeLr = (float) -adadelta.lr();
        for (int i = 0; i < p.length; i++) {
            float gi = g[i];
            float sq = Math.fma(rhoComplement * gi, gi, squareAvg[i] * rho);
            squareAvg[i] = sq;
            float acc = accDelta[i];
            float delta = (float) Math.sqrt(acc + eps) / (float) Math.sqrt(sq + eps) * gi;
            accDelta[i] = Math.fma(rhoComplement * delta, delta, acc * rho);
            p[i] = Math.fma(delta, negativeLr, p[i]);
        }
    }

    /** Adamax without weight decay or maximize. */
    static ArrayStepper adamax(Adamax adamax) {
        return (a, t) -> adamax(adamax, t, a[0], a[1], a[2], a[3]);
    }

    private static void adamax(Adamax adamax, long step, float[] p, float[] g, float[] expAvg, float[] expInf) {
        float negativeClr = (float) -(adamax.lr() / (1 - StrictMath.pow(adamax.beta1(), step)));
        float beta1 = (float) adamax.beta1();
        float beta1Complement = (float) (1 - adamax.beta1());
        float beta2 = (float) adamax.beta2();
        float eps = (float) adamax.eps();
        boolean lerp = adamax.semantics() == Semantics.PYTORCH_2;
        for (int i = 0; i < p.length; i++) {
            float gi = g[i];
            float m = lerp ? lerp(expAvg[i], gi, beta1Complement) : Math.fma(gi, beta1Complement, expAvg[i] * beta1);
            expAvg[i] = m;
            float u = Math.max(expInf[i] * beta2, Math.abs(gi) + eps);
            expInf[i] = u;
            p[i] += negativeClr * m / u;
        }
    }

    /** Rprop past its first step, without maximize. */
    static ArrayStepper rprop(Rprop rprop) {
        return (a, t) -> rprop(rprop, a[0], a[1], a[2], a[3]);
    }

    private static void rprop(Rprop rprop, float[] p, float[] g, float[] prev, float[] stepSize) {
        float etaMinus = (float) rprop.etaMinus();
        float etaPlus = (float) rprop.etaPlus();
        float stepSizeMin = (float) rprop.stepSizeMin();
        float stepSizeMax = (float) rprop.stepSizeMax();
        for (int i = 0; i < p.length; i++) {
            float gi = g[i];
            float product = gi * prev[i];
            float factor = product > 0 ? etaPlus : product < 0 ? etaMinus : 1;
            float size = stepSize[i] * factor;
            size = size < stepSizeMin ? stepSizeMin : size;
            size = size > stepSizeMax ? stepSizeMax : size;
            stepSize[i] = size;
            float kept = product < 0 ? 0 : gi;
            prev[i] = kept;
            float sign = (kept > 0 ? 1f : 0f) - (kept < 0 ? 1f : 0f);
            p[i] = Math.fma(-sign, size, p[i]);
        }
    }

    /** RAdam without weight decay or maximize, rectified (as from step 6 with default betas). */
    static ArrayStepper radam(RAdam radam) {
        return (a, t) -> radam(radam, t, a[0], a[1], a[2], a[3]);
    }

    private static void radam(RAdam radam, long step, float[] p, float[] g, float[] expAvg, float[] expAvgSq) {
        double beta2PowT = StrictMath.pow(radam.beta2(), step);
        double rhoInf = 2 / (1 - radam.beta2()) - 1;
        double rhoT = rhoInf - 2 * step * beta2PowT / (1 - beta2PowT);
        float rect = (float) Math.sqrt((rhoT - 4) * (rhoT - 2) * rhoInf / ((rhoInf - 4) * (rhoInf - 2) * rhoT));
        float biasCorrection1 = (float) (1 - StrictMath.pow(radam.beta1(), step));
        float biasCorrection2Sqrt = (float) Math.sqrt(1 - beta2PowT);
        float lr = (float) radam.lr();
        float beta1 = (float) radam.beta1();
        float beta1Complement = (float) (1 - radam.beta1());
        float beta2 = (float) radam.beta2();
        float beta2Complement = (float) (1 - radam.beta2());
        float eps = (float) radam.eps();
        boolean lerp = radam.semantics() == Semantics.PYTORCH_2;
        for (int i = 0; i < p.length; i++) {
            float gi = g[i];
            float m = lerp ? lerp(expAvg[i], gi, beta1Complement) : Math.fma(gi, beta1Complement, expAvg[i] * beta1);
            expAvg[i] = m;
            float v = Math.fma(beta2Complement * gi, gi, expAvgSq[i] * beta2);
            expAvgSq[i] = v;
            float adaptiveLr = 1 / ((float) Math.sqrt(v) + eps) * biasCorrection2Sqrt;
            p[i] -= m / biasCorrection1 * lr * adaptiveLr * rect;
        }
    }

    /** NAdam without weight decay: param, grad, the two moments, then {@code mu_product} in an array of one. */
    static ArrayStepper nadam(NAdam nadam) {
        return (a, t) -> nadam(nadam, t, a[0], a[1], a[2], a[3], a[4]);
    }

    private static void nadam(NAdam nadam, long step, float[] p, float[] g, float[] expAvg, float[] expAvgSq,
                              float[] muProduct) {
        double mu = nadam.beta1() * (1 - 0.5 * StrictMath.pow(0.96, step * nadam.momentumDecay()));
        double muNext = nadam.beta1() * (1 - 0.5 * StrictMath.pow(0.96, (step + 1) * nadam.momentumDecay()));
        float product = muProduct[0] * (float) mu;
        double productNext = nadam.semantics() == Semantics.PYTORCH_2 ? product * muNext
                : product * (float) mu * (float) muNext;
        float gradCoefficient = (float) (-nadam.lr() * (1 - mu) / (1 - (double) product));
        float expAvgCoefficient = (float) (-nadam.lr() * muNext / (1 - productNext));
        float biasCorrection2 = (float) (1 - StrictMath.pow(nadam.beta2(), step));
        float beta1 = (float) nadam.beta1();
        float beta1Complement = (float) (1 - nadam.beta1());
        float beta2 = (float) nadam.beta2();
        float beta2Complement = (float) (1 - nadam.beta2());
        float eps = (float) nadam.eps();
        boolean lerp = nadam.semantics() == Semantics.PYTORCH_2;
        for (int i = 0; i < p.length; i++) {
            float gi = g[i];
            float m = lerp ? lerp(expAvg[i], gi, beta1Complement) : Math.fma(gi, beta1Complement, expAvg[i] * beta1);
            expAvg[i] = m;
            float v = Math.fma(beta2Complement * gi, gi, expAvgSq[i] * beta2);
            expAvgSq[i] = v;
            float denom = (float) Math.sqrt(v / biasCorrection2) + eps;
            float updated = p[i] + gradCoefficient * gi / denom;
            p[i] = updated + expAvgCoefficient * m / denom;
        }
        muProduct[0] = product;
    }

    /** ASGD without weight decay: param, grad, {@code ax}, then {@code eta} and {@code mu} in arrays of one. */
    static ArrayStepper asgd(Asgd asgd) {
        return (a, t) -> asgd(asgd, t, a[0], a[1], a[2], a[3], a[4]);
    }

    private static void asgd(Asgd asgd, long step, float[] p, float[] g, float[] ax, float[] eta, float[] mu) {
        float decayFactor = (float) (1 - asgd.lambd() * eta[0]);
        float negativeEta = -eta[0];
        float weight = mu[0];
        boolean averaging = weight != 1;
        for (int i = 0; i < p.length; i++) {
            float pi = Math.fma(g[i], negativeEta, p[i] * decayFactor);
            p[i] = pi;
            ax[i] = averaging ? ax[i] + (pi - ax[i]) * weight : pi;
        }
        eta[0] = (float) (asgd.lr() / StrictMath.pow(1 + asgd.lambd() * asgd.lr() * step, asgd.alpha()));
        mu[0] = (float) (1 / Math.max(1, step - asgd.t0()));
    }

    /** PyTorch 2.x's {@code start.lerp_(end, weight)}: its two roundings, chosen by the weight. */
    private static float lerp(float start, float end, float weight) {
        float difference = end - start;
        return Math.abs(weight) < 0.5f ? Math.fma(weight, difference, start) : Math.fma(weight - 1, difference, end);
    }
}
