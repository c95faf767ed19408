package dev.vecoptim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Expected values worked out independently of vecoptim's float roundings: a few by hand, the rest by the
 * textbook algorithms (PyTorch's documentation) evaluated in double. vecoptim rounds to float after every
 * operation, so the two agree to a relative {@value #TOLERANCE} over three steps, not bit for bit; the bits
 * are proven against PyTorch itself by {@link GoldenVectorsTest}.
 */
class HandComputedExamplesTest {
    static final double TOLERANCE = 1e-5;

    private static final double[] START = {1.0, -2.0, 0.5};
    private static final double[][] GRADS = {{0.5, -0.2, 0.3}, {0.25, 0.1, -0.4}, {-0.5, 0.2, 0.1}};

    // ---- worked by hand --------------------------------------------------------------------------------

    @Test
    void pyTorch2sLerpOverflowsToInfinityThenNaNWhere113StaysFinite() {
        // beta1 = 0.9, so W = f(1 - 0.9) = 0.1f, under 0.5: lerp(m, g, W) = fma(W, rn(g - m), m).
        float weight = (float) (1 - 0.9);
        float[] grads = {-3e38f, 3.3e38f, 1};
        float m1 = weight * grads[0];
        // 2.x: rn(3.3e38 + 3e37) overflows, 0.1·inf + m1 is +inf; then rn(1 − inf) = −inf and 0.1·(−inf) + inf is NaN.
        assertEquals(List.of(m1, Float.POSITIVE_INFINITY, Float.NaN), firstMoments(Semantics.PYTORCH_2, grads));
        // 1.13: m = fma(g, W, rn(m · 0.9)) never leaves float's range here.
        float m2 = Math.fma(grads[1], weight, m1 * 0.9f);
        assertEquals(List.of(m1, m2, Math.fma(grads[2], weight, m2 * 0.9f)), firstMoments(Semantics.PYTORCH_1_13, grads));
    }

    @Test
    void aLerpWeightOfAtLeastOneHalfTakesItsSecondRounding() {
        // beta1 = 0.3: W = f(0.7) = 0.7f, not under 0.5: lerp(m, g, W) = fma(W − 1, rn(g − m), g), W − 1 exact.
        float weight = (float) (1 - 0.3);
        float[] grads = {0.1f, 0.123456789f};
        float m1 = Math.fma(weight - 1, grads[0], grads[0]);
        float m2 = Math.fma(weight - 1, grads[1] - m1, grads[1]);
        assertEquals(List.of(m1, m2), firstMoments(Semantics.PYTORCH_2, 0.3, grads));
        // beta1 = 0 (W = 1): the moment is the gradient, exactly.
        assertEquals(List.of(grads[0], grads[1]), firstMoments(Semantics.PYTORCH_2, 0, grads));
    }

    /** Adam's exp_avg after each of the steps with these gradients, from a parameter of 0; beta1 0.9. */
    private static List<Float> firstMoments(Semantics semantics, float... grads) {
        return firstMoments(semantics, 0.9, grads);
    }

    private static List<Float> firstMoments(Semantics semantics, double beta1, float... grads) {
        Adam adam = Adam.builder().betas(beta1, 0.999).semantics(semantics).build();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment p = arena.allocate(4);
            MemorySegment g = arena.allocate(4);
            MemorySegment m = arena.allocate(4);
            MemorySegment v = arena.allocate(4);
            List<Float> moments = new java.util.ArrayList<>();
            for (int t = 1; t <= grads.length; t++) {
                g.set(ValueLayout.JAVA_FLOAT, 0, grads[t - 1]);
                adam.step(p, g, m, v, null, t);
                moments.add(m.get(ValueLayout.JAVA_FLOAT, 0));
            }
            return moments;
        }
    }

    @Test
    void sgdWithMomentumByHand() {
        // lr 0.1, momentum 0.9, p = 1, g = 0.5, 0.25, -0.5:
        // t1: buf = 0.5                          p = 1    - 0.1·0.5  = 0.95
        // t2: buf = 0.9·0.5  + 0.25 = 0.7        p = 0.95 - 0.1·0.7  = 0.88
        // t3: buf = 0.9·0.7  - 0.5  = 0.13       p = 0.88 - 0.1·0.13 = 0.867
        double[] p = run(Sgd.builder(0.1).momentum(0.9).build());
        assertEquals(0.867, p[0], 0.867 * TOLERANCE);
    }

    @Test
    void sgdWithNesterovMomentumByHand() {
        // t1: buf = 0.5    g = 0.5  + 0.9·0.5  = 0.95     p = 1     - 0.095  = 0.905
        // t2: buf = 0.7    g = 0.25 + 0.9·0.7  = 0.88     p = 0.905 - 0.088  = 0.817
        // t3: buf = 0.13   g = -0.5 + 0.9·0.13 = -0.383   p = 0.817 + 0.0383 = 0.8553
        double[] p = run(Sgd.builder(0.1).momentum(0.9).nesterov(true).build());
        assertEquals(0.8553, p[0], 0.8553 * TOLERANCE);
    }

    @Test
    void adamFirstStepMovesByLrAgainstTheGradientsSign() {
        // t1: m̂ = g and v̂ = g², so p -= lr · g / (|g| + eps):
        // p[0] = 1  - 0.1 · 0.5 / (0.5 + 1e-8) = 1  - 0.0999999980 = 0.9000000020
        // p[1] = -2 + 0.1 · 0.2 / (0.2 + 1e-8) = -2 + 0.0999999950 = -1.9000000050
        double[] p = run(Adam.builder().lr(0.1).build(), 1);
        assertEquals(0.9000000020, p[0], 1e-7);
        assertEquals(-1.9000000050, p[1], 1e-7);
    }

    @Test
    void rmsPropFirstStepMovesByTenLr() {
        // t1: sq = 0.01·g², sqrt(sq) = 0.1·|g|, so p -= lr · g / (0.1·|g| + eps), 10·lr against g's sign:
        // p[0] = 1  - 0.01 · 0.5 / (0.05 + 1e-8) = 1  - 0.0999999800 = 0.9000000200
        // p[1] = -2 + 0.01 · 0.2 / (0.02 + 1e-8) = -2 + 0.0999999500 = -1.9000000500
        double[] p = run(RmsProp.builder().lr(0.01).build(), 1);
        assertEquals(0.9000000200, p[0], 1e-7);
        assertEquals(-1.9000000500, p[1], 1e-7);
    }

    @Test
    void adagradFirstStepMovesByLrAgainstTheGradientsSign() {
        // t1 from sum 0: sum = g², std = |g| + eps, so p -= lr · g / (|g| + 1e-10), lr against g's sign:
        // p[0] = 1  - 0.01 · 0.5 / 0.5000000001 = 0.99
        // p[1] = -2 + 0.01 · 0.2 / 0.2000000001 = -1.99
        double[] p = run(Adagrad.builder().build(), 1);
        assertEquals(0.99, p[0], 1e-7);
        assertEquals(-1.99, p[1], 1e-7);
    }

    @Test
    void adagradsLearningRateStopsDecayingWherePyTorchsFloatStepCounterStops() {
        // PyTorch's step is a float32 tensor: 2^24 + 1 rounds back to 2^24, so every later step runs at
        // clr = lr / (1 + (2^24 − 1) · lr_decay), as step 2^24 does; a step before it runs at a larger clr.
        Adagrad adagrad = Adagrad.builder().lr(1).lrDecay(1e-6).build();
        long last = 1L << 24;
        // From p = 0, g = 1, sum = 0: sum = 1, std = rn(1 + f(1e-10)) = 1, p = −f(clr).
        float atLast = adagradParamAfter(adagrad, last);
        assertEquals((float) (-1 / (1 + (last - 1) * 1e-6)), atLast);
        assertEquals(atLast, adagradParamAfter(adagrad, 1L << 40), "clr at step 2^40, had it kept decaying, is 2^-16 of this");
        assertEquals((float) (-1 / (1 + (last / 2 - 1) * 1e-6)), adagradParamAfter(adagrad, last / 2));
    }

    /** The parameter after one Adagrad step numbered {@code step} from p = 0, g = 1 and sum = 0. */
    private static float adagradParamAfter(Adagrad adagrad, long step) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment p = arena.allocate(4);
            MemorySegment sum = arena.allocate(4);
            adagrad.step(p, arena.allocateFrom(ValueLayout.JAVA_FLOAT, 1f), sum, step);
            return p.get(ValueLayout.JAVA_FLOAT, 0);
        }
    }

    // ---- textbook algorithms in double, for every flag ---------------------------------------------------

    static Stream<Sgd> sgds() {
        return Stream.of(
                Sgd.builder(0.1).build(),
                Sgd.builder(0.1).weightDecay(0.05).build(),
                Sgd.builder(0.1).maximize(true).build(),
                Sgd.builder(0.1).momentum(0.9).build(),
                Sgd.builder(0.1).momentum(0.9).dampening(0.3).build(),
                Sgd.builder(0.1).momentum(0.8).nesterov(true).build(),
                Sgd.builder(0.07).momentum(0.8).nesterov(true).weightDecay(0.02).maximize(true).build());
    }

    @ParameterizedTest
    @MethodSource("sgds")
    void sgdFollowsTheTextbook(Sgd sgd) {
        double[] p = START.clone();
        double[] buf = new double[p.length];
        for (int t = 1; t <= GRADS.length; t++) {
            for (int i = 0; i < p.length; i++) {
                double g = sgd.maximize() ? -GRADS[t - 1][i] : GRADS[t - 1][i];
                g += sgd.weightDecay() * p[i];
                if (sgd.momentum() != 0) {
                    buf[i] = t == 1 ? g : sgd.momentum() * buf[i] + (1 - sgd.dampening()) * g;
                    g = sgd.nesterov() ? g + sgd.momentum() * buf[i] : buf[i];
                }
                p[i] -= sgd.lr() * g;
            }
        }
        assertClose(p, run(sgd));
    }

    static Stream<RmsProp> rmsProps() {
        return Stream.of(
                RmsProp.builder().lr(0.01).alpha(0.9).eps(1e-6).build(),
                RmsProp.builder().lr(0.01).alpha(0.9).eps(1e-6).weightDecay(0.05).build(),
                RmsProp.builder().lr(0.01).alpha(0.9).eps(1e-6).maximize(true).build(),
                RmsProp.builder().lr(0.01).alpha(0.9).eps(1e-6).centered(true).build(),
                RmsProp.builder().lr(0.01).alpha(0.9).eps(1e-6).momentum(0.8).build(),
                RmsProp.builder().lr(0.01).alpha(0.9).eps(1e-6).centered(true).momentum(0.8).weightDecay(0.05)
                        .maximize(true).build());
    }

    @ParameterizedTest
    @MethodSource("rmsProps")
    void rmsPropFollowsTheTextbook(RmsProp rms) {
        double[] p = START.clone();
        double[] v = new double[p.length];
        double[] gAvg = new double[p.length];
        double[] buf = new double[p.length];
        for (int t = 1; t <= GRADS.length; t++) {
            for (int i = 0; i < p.length; i++) {
                double g = rms.maximize() ? -GRADS[t - 1][i] : GRADS[t - 1][i];
                g += rms.weightDecay() * p[i];
                v[i] = rms.alpha() * v[i] + (1 - rms.alpha()) * g * g;
                double variance = v[i];
                if (rms.centered()) {
                    gAvg[i] = rms.alpha() * gAvg[i] + (1 - rms.alpha()) * g;
                    variance -= gAvg[i] * gAvg[i];
                }
                double normalized = g / (Math.sqrt(variance) + rms.eps());
                if (rms.momentum() > 0) {
                    buf[i] = rms.momentum() * buf[i] + normalized;
                    p[i] -= rms.lr() * buf[i];
                } else {
                    p[i] -= rms.lr() * normalized;
                }
            }
        }
        assertClose(p, run(rms));
    }

    static Stream<Adam> adams() {
        return Stream.of(
                Adam.builder().lr(0.01).build(),
                Adam.builder().lr(0.01).weightDecay(0.05).build(),
                Adam.builder().lr(0.01).maximize(true).build(),
                Adam.builder().lr(0.01).amsgrad(true).build(),
                Adam.adamWBuilder().lr(0.01).build(),
                Adam.adamWBuilder().lr(0.01).weightDecay(0.1).amsgrad(true).maximize(true).betas(0.8, 0.99).build());
    }

    @ParameterizedTest
    @MethodSource("adams")
    void adamFollowsTheTextbook(Adam adam) {
        double[] p = START.clone();
        double[] m = new double[p.length];
        double[] v = new double[p.length];
        double[] vMax = new double[p.length];
        for (int t = 1; t <= GRADS.length; t++) {
            for (int i = 0; i < p.length; i++) {
                double g = adam.maximize() ? -GRADS[t - 1][i] : GRADS[t - 1][i];
                if (adam.decoupledWeightDecay()) {
                    p[i] *= 1 - adam.lr() * adam.weightDecay();
                } else {
                    g += adam.weightDecay() * p[i];
                }
                m[i] = adam.beta1() * m[i] + (1 - adam.beta1()) * g;
                v[i] = adam.beta2() * v[i] + (1 - adam.beta2()) * g * g;
                // PyTorch keeps the maximum of the raw second moment, then bias-corrects it.
                vMax[i] = Math.max(vMax[i], v[i]);
                double mHat = m[i] / (1 - Math.pow(adam.beta1(), t));
                double vHat = (adam.amsgrad() ? vMax[i] : v[i]) / (1 - Math.pow(adam.beta2(), t));
                p[i] -= adam.lr() * mHat / (Math.sqrt(vHat) + adam.eps());
            }
        }
        assertClose(p, run(adam));
    }

    static Stream<Adagrad> adagrads() {
        return Stream.of(
                Adagrad.builder().lr(0.05).build(),
                Adagrad.builder().lr(0.05).weightDecay(0.05).build(),
                Adagrad.builder().lr(0.05).maximize(true).build(),
                Adagrad.builder().lr(0.05).lrDecay(0.3).build(),
                Adagrad.builder().lr(0.05).initialAccumulatorValue(0.4).eps(1e-3).build(),
                Adagrad.builder().lr(0.05).lrDecay(0.1).weightDecay(0.02).initialAccumulatorValue(0.1).maximize(true)
                        .build());
    }

    @ParameterizedTest
    @MethodSource("adagrads")
    void adagradFollowsTheTextbook(Adagrad adagrad) {
        double[] p = START.clone();
        double[] sum = new double[p.length];
        java.util.Arrays.fill(sum, adagrad.initialAccumulatorValue());
        for (int t = 1; t <= GRADS.length; t++) {
            double clr = adagrad.lr() / (1 + (t - 1) * adagrad.lrDecay());
            for (int i = 0; i < p.length; i++) {
                double g = adagrad.maximize() ? -GRADS[t - 1][i] : GRADS[t - 1][i];
                g += adagrad.weightDecay() * p[i];
                sum[i] += g * g;
                p[i] -= clr * g / (Math.sqrt(sum[i]) + adagrad.eps());
            }
        }
        assertClose(p, run(adagrad));
    }

    static Stream<Adadelta> adadeltas() {
        return Stream.of(
                Adadelta.builder().build(),
                Adadelta.builder().lr(0.5).rho(0.8).eps(1e-4).build(),
                Adadelta.builder().weightDecay(0.05).build(),
                Adadelta.builder().lr(2).weightDecay(0.02).maximize(true).build());
    }

    @ParameterizedTest
    @MethodSource("adadeltas")
    void adadeltaFollowsTheTextbook(Adadelta adadelta) {
        double rho = adadelta.rho();
        double eps = adadelta.eps();
        double[] p = START.clone();
        double[] sq = new double[p.length];
        double[] acc = new double[p.length];
        for (int t = 1; t <= GRADS.length; t++) {
            for (int i = 0; i < p.length; i++) {
                double g = adadelta.maximize() ? -GRADS[t - 1][i] : GRADS[t - 1][i];
                g += adadelta.weightDecay() * p[i];
                sq[i] = rho * sq[i] + (1 - rho) * g * g;
                double delta = Math.sqrt(acc[i] + eps) / Math.sqrt(sq[i] + eps) * g;
                acc[i] = rho * acc[i] + (1 - rho) * delta * delta;
                p[i] -= adadelta.lr() * delta;
            }
        }
        assertClose(p, run(adadelta));
    }

    static Stream<Adamax> adamaxes() {
        return Stream.of(
                Adamax.builder().lr(0.01).build(),
                Adamax.builder().lr(0.01).betas(0.3, 0.5).build(),
                Adamax.builder().lr(0.01).weightDecay(0.05).build(),
                Adamax.builder().lr(0.01).weightDecay(0.02).maximize(true).eps(1e-3).build());
    }

    @ParameterizedTest
    @MethodSource("adamaxes")
    void adamaxFollowsTheTextbook(Adamax adamax) {
        double[] p = START.clone();
        double[] m = new double[p.length];
        double[] u = new double[p.length];
        for (int t = 1; t <= GRADS.length; t++) {
            for (int i = 0; i < p.length; i++) {
                double g = adamax.maximize() ? -GRADS[t - 1][i] : GRADS[t - 1][i];
                g += adamax.weightDecay() * p[i];
                m[i] = adamax.beta1() * m[i] + (1 - adamax.beta1()) * g;
                u[i] = Math.max(adamax.beta2() * u[i], Math.abs(g) + adamax.eps());
                p[i] -= adamax.lr() / (1 - Math.pow(adamax.beta1(), t)) * m[i] / u[i];
            }
        }
        assertClose(p, run(adamax));
    }

    @Test
    void rpropMovesEachParameterByItsStepSizeAgainstTheGradientsSign() {
        // Step 1: every step size is lr, so p -= 0.01 · sign(g): {0.99, -1.99, 0.49}.
        assertClose(new double[] {0.99, -1.99, 0.49}, run(Rprop.builder().build(), 1));
        // Step 2, grads {0.25, 0.1, -0.4} after {0.5, -0.2, 0.3}: p[0] keeps its sign (0.01 · 1.2 = 0.012), p[1]
        // and p[2] flip theirs (0.01 · 0.5 = 0.005) and do not move, their gradient taken as 0.
        assertClose(new double[] {0.99 - 0.012, -1.99, 0.49}, run(Rprop.builder().build(), 2));
    }

    static Stream<Rprop> rprops() {
        return Stream.of(
                Rprop.builder().build(),
                Rprop.builder().lr(0.05).etas(0.3, 1.7).build(),
                Rprop.builder().lr(0.05).stepSizes(0.02, 0.06).maximize(true).build());
    }

    @ParameterizedTest
    @MethodSource("rprops")
    void rpropFollowsTheTextbook(Rprop rprop) {
        double[] p = START.clone();
        double[] prev = new double[p.length];
        double[] size = new double[p.length];
        java.util.Arrays.fill(size, rprop.lr());
        int steps = 7;
        for (int t = 1; t <= steps; t++) {
            for (int i = 0; i < p.length; i++) {
                double g = GRADS[(t - 1) % GRADS.length][i] * (rprop.maximize() ? -1 : 1);
                double product = g * prev[i];
                double factor = product > 0 ? rprop.etaPlus() : product < 0 ? rprop.etaMinus() : 1;
                size[i] = Math.min(Math.max(size[i] * factor, rprop.stepSizeMin()), rprop.stepSizeMax());
                if (product < 0) {
                    g = 0;
                }
                p[i] -= Math.signum(g) * size[i];
                prev[i] = g;
            }
        }
        assertClose(p, run(rprop, steps));
    }

    static Stream<RAdam> radams() {
        return Stream.of(
                RAdam.builder().lr(0.01).build(),
                RAdam.builder().lr(0.01).betas(0.8, 0.99).eps(1e-6).build(),
                RAdam.builder().lr(0.01).weightDecay(0.05).build(),
                RAdam.builder().lr(0.01).weightDecay(0.05).decoupledWeightDecay(true).maximize(true).build());
    }

    /** Eight steps: the rectified update starts at step 6 with the default betas. */
    @ParameterizedTest
    @MethodSource("radams")
    void radamFollowsTheTextbook(RAdam radam) {
        double beta1 = radam.beta1();
        double beta2 = radam.beta2();
        double[] p = START.clone();
        double[] m = new double[p.length];
        double[] v = new double[p.length];
        int steps = 8;
        int rectifiedSteps = 0;
        double rhoInf = 2 / (1 - beta2) - 1;
        for (int t = 1; t <= steps; t++) {
            double rhoT = rhoInf - 2 * t * Math.pow(beta2, t) / (1 - Math.pow(beta2, t));
            rectifiedSteps += rhoT > 5 ? 1 : 0;
            for (int i = 0; i < p.length; i++) {
                double g = GRADS[(t - 1) % GRADS.length][i] * (radam.maximize() ? -1 : 1);
                if (radam.decoupledWeightDecay()) {
                    p[i] *= 1 - radam.lr() * radam.weightDecay();
                } else {
                    g += radam.weightDecay() * p[i];
                }
                m[i] = beta1 * m[i] + (1 - beta1) * g;
                v[i] = beta2 * v[i] + (1 - beta2) * g * g;
                double mHat = m[i] / (1 - Math.pow(beta1, t));
                if (rhoT > 5) {
                    double rect = Math.sqrt((rhoT - 4) * (rhoT - 2) * rhoInf / ((rhoInf - 4) * (rhoInf - 2) * rhoT));
                    double adaptiveLr = Math.sqrt(1 - Math.pow(beta2, t)) / (Math.sqrt(v[i]) + radam.eps());
                    p[i] -= radam.lr() * mHat * adaptiveLr * rect;
                } else {
                    p[i] -= radam.lr() * mHat;
                }
            }
        }
        assertTrue(rectifiedSteps > 0 && rectifiedSteps < steps, rectifiedSteps + " of 8 steps rectified");
        assertClose(p, run(radam, steps));
    }

    static Stream<NAdam> nadams() {
        return Stream.of(
                NAdam.builder().lr(0.01).build(),
                NAdam.builder().lr(0.01).betas(0.8, 0.99).eps(1e-6).momentumDecay(0.3).build(),
                NAdam.builder().lr(0.01).momentumDecay(0.3).semantics(Semantics.PYTORCH_1_13).build(),
                NAdam.builder().lr(0.01).weightDecay(0.05).build(),
                NAdam.builder().lr(0.01).weightDecay(0.05).decoupledWeightDecay(true).maximize(true).build());
    }

    /**
     * Dozat's NAdam with PyTorch's momentum schedule μ_t and the product of the μ so far; PyTorch 1.13 multiplies
     * μ_t into the next step's product twice.
     */
    @ParameterizedTest
    @MethodSource("nadams")
    void nadamFollowsTheTextbook(NAdam nadam) {
        double beta1 = nadam.beta1();
        double beta2 = nadam.beta2();
        double[] p = START.clone();
        double[] m = new double[p.length];
        double[] v = new double[p.length];
        double muProduct = 1;
        int steps = 5;
        for (int t = 1; t <= steps; t++) {
            double mu = beta1 * (1 - 0.5 * Math.pow(0.96, t * nadam.momentumDecay()));
            double muNext = beta1 * (1 - 0.5 * Math.pow(0.96, (t + 1) * nadam.momentumDecay()));
            muProduct *= mu;
            double muProductNext = muProduct * (nadam.semantics() == Semantics.PYTORCH_1_13 ? mu : 1) * muNext;
            for (int i = 0; i < p.length; i++) {
                double g = GRADS[(t - 1) % GRADS.length][i] * (nadam.maximize() ? -1 : 1);
                if (nadam.decoupledWeightDecay()) {
                    p[i] *= 1 - nadam.lr() * nadam.weightDecay();
                } else {
                    g += nadam.weightDecay() * p[i];
                }
                m[i] = beta1 * m[i] + (1 - beta1) * g;
                v[i] = beta2 * v[i] + (1 - beta2) * g * g;
                double denom = Math.sqrt(v[i] / (1 - Math.pow(beta2, t))) + nadam.eps();
                p[i] -= nadam.lr() * (1 - mu) / (1 - muProduct) * g / denom
                        + nadam.lr() * muNext / (1 - muProductNext) * m[i] / denom;
            }
        }
        Map<String, double[]> result = runAll(nadam, steps);
        assertClose(p, result.get("param"));
        assertClose(new double[] {muProduct}, result.get("mu_product"));
    }

    static Stream<Asgd> asgds() {
        return Stream.of(
                Asgd.builder().lr(0.05).build(),
                Asgd.builder().lr(0.05).lambd(0.2).alpha(1.3).t0(2).build(),
                Asgd.builder().lr(0.05).lambd(0.1).t0(0.5).weightDecay(0.05).maximize(true).build(),
                Asgd.builder().lr(0.05).t0(Double.POSITIVE_INFINITY).build());
    }

    /** Polyak–Ruppert averaging of SGD with a decaying step size, as PyTorch's documentation gives it. */
    @ParameterizedTest
    @MethodSource("asgds")
    void asgdFollowsTheTextbook(Asgd asgd) {
        double[] p = START.clone();
        double[] ax = new double[p.length];
        double eta = asgd.lr();
        double mu = 1;
        int steps = 6;
        boolean averaged = false;
        for (int t = 1; t <= steps; t++) {
            for (int i = 0; i < p.length; i++) {
                double g = GRADS[(t - 1) % GRADS.length][i] * (asgd.maximize() ? -1 : 1) + asgd.weightDecay() * p[i];
                p[i] = p[i] * (1 - asgd.lambd() * eta) - eta * g;
                ax[i] = mu == 1 ? p[i] : ax[i] + mu * (p[i] - ax[i]);
            }
            averaged |= mu != 1;
            eta = asgd.lr() / Math.pow(1 + asgd.lambd() * asgd.lr() * t, asgd.alpha());
            mu = 1 / Math.max(1, t - asgd.t0());
        }
        assertEquals(asgd.t0() < steps - 1, averaged, "averaging within the steps exactly when t0 says");
        Map<String, double[]> result = runAll(asgd, steps);
        assertClose(p, result.get("param"));
        assertClose(ax, result.get("ax"));
        assertClose(new double[] {eta, mu}, new double[] {result.get("eta")[0], result.get("mu")[0]});
    }

    @Test
    void asgdsStepSizeFollowsTheLearningRateOfTheStepBefore() {
        try (Arena arena = Arena.ofConfined(); Optimizer optimizer = Optimizer.builder().build()) {
            MemorySegment p = arena.allocateFrom(ValueLayout.JAVA_FLOAT, 1f);
            MemorySegment g = arena.allocateFrom(ValueLayout.JAVA_FLOAT, 1f);
            ParameterGroup group = optimizer.addGroup(Asgd.builder().lr(0.5).lambd(0).build());
            Parameter parameter = group.add(p, g);
            group.lr(0.25);
            optimizer.step();
            assertEquals(0.75f, p.get(ValueLayout.JAVA_FLOAT, 0), "step 1 at eta = lr of step 1, 0.25");
            assertEquals(0.25f, parameter.scalar("eta"));
            group.lr(0.125);
            optimizer.step();
            assertEquals(0.5f, p.get(ValueLayout.JAVA_FLOAT, 0), "step 2 at the eta step 1 set, 0.25");
            assertEquals(0.125f, parameter.scalar("eta"));
            assertEquals(1f, parameter.scalar("mu"));
        }
    }

    // ---- running vecoptim ------------------------------------------------------------------------------

    private static double[] run(Algorithm optimizer) {
        return run(optimizer, GRADS.length);
    }

    private static double[] run(Algorithm optimizer, int steps) {
        return runAll(optimizer, steps).get("param");
    }

    /**
     * Steps {@code optimizer} {@code steps} times through GRADS, round and round, from START and state as it
     * starts; gives the parameter ({@code "param"}), then each state buffer and scalar by its name.
     */
    private static Map<String, double[]> runAll(Algorithm optimizer, int steps) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment p = arena.allocate(4L * START.length, 64);
            MemorySegment g = arena.allocate(4L * START.length, 64);
            List<String> names = new ArrayList<>(List.of("param"));
            names.addAll(optimizer.stateNames());
            names.addAll(optimizer.scalarNames());
            MemorySegment[] buffers = new MemorySegment[names.size()];
            buffers[0] = p;
            for (int s = 1; s < buffers.length; s++) {
                boolean scalar = s > optimizer.stateNames().size();
                buffers[s] = arena.allocate(scalar ? 4 : 4L * START.length, 64);
                if (!scalar) {
                    double initial = optimizer.initialState(names.get(s));
                    set(buffers[s], new double[] {initial, initial, initial});
                }
            }
            set(p, START);
            for (int t = 1; t <= steps; t++) {
                set(g, GRADS[(t - 1) % GRADS.length]);
                optimizer.step(t, p, g, Arrays.copyOfRange(buffers, 1, buffers.length));
            }
            Map<String, double[]> result = new LinkedHashMap<>();
            for (int s = 0; s < buffers.length; s++) {
                result.put(names.get(s), buffers[s].elements(ValueLayout.JAVA_FLOAT)
                        .mapToDouble(element -> element.get(ValueLayout.JAVA_FLOAT, 0)).toArray());
            }
            return result;
        }
    }

    private static void set(MemorySegment segment, double[] values) {
        for (int i = 0; i < values.length; i++) {
            segment.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) values[i]);
        }
    }

    private static void assertClose(double[] expected, double[] actual) {
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], Math.abs(expected[i]) * TOLERANCE, "param[" + i + "]");
        }
    }
}
