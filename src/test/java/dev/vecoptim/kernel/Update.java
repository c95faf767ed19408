package dev.vecoptim.kernel;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * One optimizer configuration as its kernels see it: flags and float coefficients, any of them, including
 * values no validated optimizer would pass. Vector and scalar kernels must agree on all of them.
 */
public sealed interface Update<K, F extends Record> {

    /** The kernel families the tests know, each with how to make its updates: every kernel test's one list. */
    List<Family> FAMILIES = List.of(
            new Family(SgdKernel.FAMILY, Sgd::random, Sgd::everyFlagCombination),
            new Family(RmsPropKernel.FAMILY, RmsProp::random, RmsProp::everyFlagCombination),
            new Family(AdamKernel.FAMILY, Adam::random, Adam::everyFlagCombination),
            new Family(AdagradKernel.FAMILY, Adagrad::random, Adagrad::everyFlagCombination),
            new Family(AdadeltaKernel.FAMILY, Adadelta::random, Adadelta::everyFlagCombination),
            new Family(AdamaxKernel.FAMILY, Adamax::random, Adamax::everyFlagCombination),
            new Family(RpropKernel.FAMILY, Rprop::random, Rprop::everyFlagCombination),
            new Family(RAdamKernel.FAMILY, RAdam::random, RAdam::everyFlagCombination),
            new Family(NAdamKernel.FAMILY, NAdam::random, NAdam::everyFlagCombination),
            new Family(AsgdKernel.FAMILY, Asgd::random, Asgd::everyFlagCombination));

    /** A kernel family, a random update of it, and one update of each of its flag combinations. */
    record Family(KernelFamily<?, ?> kernels, Function<SplittableRandom, Update<?, ?>> random,
                  Function<SplittableRandom, List<Update<?, ?>>> everyFlagCombination) {
    }

    /** State buffers the kernels read and write (unused ones included). */
    int stateBuffers();

    KernelFamily<K, F> family();

    /** The flags of the kernel that runs step number {@code step} (from 1). */
    F flags(long step);

    /** Runs {@code kernel}, one of this update's family made with its flags, over elements [from, to). */
    void run(K kernel, Buffers buffers, long from, long to);

    /** Applies the step numbered {@code step} (from 1) to elements [from, to) with the kernel of width bits. */
    default void apply(int bits, Buffers buffers, long step, long from, long to) {
        run(Kernels.kernel(family(), bits, flags(step)), buffers, from, to);
    }

    /** A random update of a random family. */
    static Update<?, ?> random(SplittableRandom random) {
        return FAMILIES.get(random.nextInt(FAMILIES.size())).random().apply(random);
    }

    /** A weight for PyTorch 2.x's lerp on the side of 0.5 where it takes its second rounding, or its first. */
    private static float lerpWeight(SplittableRandom random, boolean high) {
        float weight = (float) random.nextDouble(0.5);
        return high ? 0.5f + weight : weight;
    }

    /** The bits of {@code combination} as booleans, lowest first. */
    private static boolean bit(int combination, int index) {
        return (combination & 1 << index) != 0;
    }

    record Sgd(boolean maximize, boolean weightDecay, boolean momentum, boolean nesterov,
               float weightDecayValue, float momentumValue, float dampeningComplement, float negativeLr)
            implements Update<SgdKernel, SgdKernel.Flags> {

        static Sgd random(SplittableRandom r) {
            boolean momentum = r.nextBoolean();
            return new Sgd(r.nextBoolean(), r.nextBoolean(), momentum, momentum && r.nextBoolean(),
                    TestFloats.coefficient(r), TestFloats.coefficient(r), TestFloats.coefficient(r),
                    -TestFloats.coefficient(r));
        }

        static List<Update<?, ?>> everyFlagCombination(SplittableRandom r) {
            List<Update<?, ?>> updates = new ArrayList<>();
            for (int combination = 0; combination < 16; combination++) {
                if (bit(combination, 2) || !bit(combination, 3)) {
                    Sgd random = random(r);
                    updates.add(new Sgd(bit(combination, 0), bit(combination, 1), bit(combination, 2),
                            bit(combination, 3), random.weightDecayValue, random.momentumValue,
                            random.dampeningComplement, random.negativeLr));
                }
            }
            return updates;
        }

        @Override
        public int stateBuffers() {
            return 1;
        }

        @Override
        public KernelFamily<SgdKernel, SgdKernel.Flags> family() {
            return SgdKernel.FAMILY;
        }

        @Override
        public SgdKernel.Flags flags(long step) {
            return new SgdKernel.Flags(maximize, weightDecay, momentum, nesterov, momentum && step == 1);
        }

        @Override
        public void run(SgdKernel kernel, Buffers b, long from, long to) {
            kernel.step(b.param(), b.grad(), b.state(0), weightDecayValue, momentumValue,
                    dampeningComplement, negativeLr, from, to);
        }
    }

    record RmsProp(RmsPropKernel.Flags flags, float weightDecay, float alpha, float alphaComplement, float eps,
                   float momentum, float negativeLr) implements Update<RmsPropKernel, RmsPropKernel.Flags> {

        static RmsProp random(SplittableRandom r) {
            return new RmsProp(new RmsPropKernel.Flags(r.nextBoolean(), r.nextBoolean(), r.nextBoolean(),
                    r.nextBoolean(), r.nextBoolean()),
                    TestFloats.coefficient(r), TestFloats.coefficient(r), TestFloats.coefficient(r),
                    TestFloats.coefficient(r), TestFloats.coefficient(r), -TestFloats.coefficient(r));
        }

        static List<Update<?, ?>> everyFlagCombination(SplittableRandom r) {
            List<Update<?, ?>> updates = new ArrayList<>();
            for (int combination = 0; combination < 64; combination++) {
                RmsProp random = random(r);
                updates.add(new RmsProp(new RmsPropKernel.Flags(bit(combination, 0), bit(combination, 1),
                        bit(combination, 2), bit(combination, 3), bit(combination, 4)), random.weightDecay,
                        random.alpha, lerpWeight(r, bit(combination, 5)), random.eps, random.momentum,
                        random.negativeLr));
            }
            return updates;
        }

        @Override
        public int stateBuffers() {
            return 3;
        }

        @Override
        public KernelFamily<RmsPropKernel, RmsPropKernel.Flags> family() {
            return RmsPropKernel.FAMILY;
        }

        @Override
        public RmsPropKernel.Flags flags(long step) {
            return flags;
        }

        @Override
        public void run(RmsPropKernel kernel, Buffers b, long from, long to) {
            kernel.step(b.param(), b.grad(), b.state(0), b.state(1), b.state(2),
                    weightDecay, alpha, alphaComplement, eps, momentum, negativeLr, from, to);
        }
    }

    record Adam(AdamKernel.Flags flags, float weightDecay, float decayFactor, float beta1, float beta1Complement,
                float beta2, float beta2Complement, float biasCorrection2Sqrt, float eps, float negativeStepSize)
            implements Update<AdamKernel, AdamKernel.Flags> {

        static Adam random(SplittableRandom r) {
            WeightDecay[] decays = WeightDecay.values();
            return new Adam(new AdamKernel.Flags(r.nextBoolean(), decays[r.nextInt(decays.length)], r.nextBoolean(),
                    r.nextBoolean()),
                    TestFloats.coefficient(r), 1 - TestFloats.coefficient(r), TestFloats.coefficient(r),
                    TestFloats.coefficient(r), TestFloats.coefficient(r), TestFloats.coefficient(r),
                    TestFloats.coefficient(r), TestFloats.coefficient(r), -TestFloats.coefficient(r));
        }

        static List<Update<?, ?>> everyFlagCombination(SplittableRandom r) {
            List<Update<?, ?>> updates = new ArrayList<>();
            for (WeightDecay decay : WeightDecay.values()) {
                for (int combination = 0; combination < 16; combination++) {
                    Adam random = random(r);
                    updates.add(new Adam(new AdamKernel.Flags(bit(combination, 0), decay, bit(combination, 1),
                            bit(combination, 2)), random.weightDecay, random.decayFactor, random.beta1,
                            lerpWeight(r, bit(combination, 3)), random.beta2, random.beta2Complement,
                            random.biasCorrection2Sqrt, random.eps, random.negativeStepSize));
                }
            }
            return updates;
        }

        @Override
        public int stateBuffers() {
            return 3;
        }

        @Override
        public KernelFamily<AdamKernel, AdamKernel.Flags> family() {
            return AdamKernel.FAMILY;
        }

        @Override
        public AdamKernel.Flags flags(long step) {
            return flags;
        }

        @Override
        public void run(AdamKernel kernel, Buffers b, long from, long to) {
            kernel.step(b.param(), b.grad(), b.state(0), b.state(1), b.state(2), weightDecay,
                    decayFactor, beta1, beta1Complement, beta2, beta2Complement, biasCorrection2Sqrt, eps,
                    negativeStepSize, from, to);
        }
    }

    record Adagrad(AdagradKernel.Flags flags, float weightDecay, float eps, float negativeClr)
            implements Update<AdagradKernel, AdagradKernel.Flags> {

        static Adagrad random(SplittableRandom r) {
            return new Adagrad(new AdagradKernel.Flags(r.nextBoolean(), r.nextBoolean()), TestFloats.coefficient(r),
                    TestFloats.coefficient(r), -TestFloats.coefficient(r));
        }

        static List<Update<?, ?>> everyFlagCombination(SplittableRandom r) {
            List<Update<?, ?>> updates = new ArrayList<>();
            for (int combination = 0; combination < 4; combination++) {
                Adagrad random = random(r);
                updates.add(new Adagrad(new AdagradKernel.Flags(bit(combination, 0), bit(combination, 1)),
                        random.weightDecay, random.eps, random.negativeClr));
            }
            return updates;
        }

        @Override
        public int stateBuffers() {
            return 1;
        }

        @Override
        public KernelFamily<AdagradKernel, AdagradKernel.Flags> family() {
            return AdagradKernel.FAMILY;
        }

        @Override
        public AdagradKernel.Flags flags(long step) {
            return flags;
        }

        @Override
        public void run(AdagradKernel kernel, Buffers b, long from, long to) {
            kernel.step(b.param(), b.grad(), b.state(0), weightDecay, eps, negativeClr, from, to);
        }
    }

    record Adadelta(AdadeltaKernel.Flags flags, float weightDecay, float rho, float rhoComplement, float eps,
                    float negativeLr) implements Update<AdadeltaKernel, AdadeltaKernel.Flags> {

        static Adadelta random(SplittableRandom r) {
            return new Adadelta(new AdadeltaKernel.Flags(r.nextBoolean(), r.nextBoolean()), TestFloats.coefficient(r),
                    TestFloats.coefficient(r), TestFloats.coefficient(r), TestFloats.coefficient(r),
                    -TestFloats.coefficient(r));
        }

        static List<Update<?, ?>> everyFlagCombination(SplittableRandom r) {
            List<Update<?, ?>> updates = new ArrayList<>();
            for (int combination = 0; combination < 4; combination++) {
                Adadelta random = random(r);
                updates.add(new Adadelta(new AdadeltaKernel.Flags(bit(combination, 0), bit(combination, 1)),
                        random.weightDecay, random.rho, random.rhoComplement, random.eps, random.negativeLr));
            }
            return updates;
        }

        @Override
        public int stateBuffers() {
            return 2;
        }

        @Override
        public KernelFamily<AdadeltaKernel, AdadeltaKernel.Flags> family() {
            return AdadeltaKernel.FAMILY;
        }

        @Override
        public AdadeltaKernel.Flags flags(long step) {
            return flags;
        }

        @Override
        public void run(AdadeltaKernel kernel, Buffers b, long from, long to) {
            kernel.step(b.param(), b.grad(), b.state(0), b.state(1), weightDecay, rho, rhoComplement, eps, negativeLr,
                    from, to);
        }
    }

    record Adamax(AdamaxKernel.Flags flags, float weightDecay, float beta1, float beta1Complement, float beta2,
                  float eps, float negativeClr) implements Update<AdamaxKernel, AdamaxKernel.Flags> {

        static Adamax random(SplittableRandom r) {
            return new Adamax(new AdamaxKernel.Flags(r.nextBoolean(), r.nextBoolean(), r.nextBoolean()),
                    TestFloats.coefficient(r), TestFloats.coefficient(r), TestFloats.coefficient(r),
                    TestFloats.coefficient(r), TestFloats.coefficient(r), -TestFloats.coefficient(r));
        }

        static List<Update<?, ?>> everyFlagCombination(SplittableRandom r) {
            List<Update<?, ?>> updates = new ArrayList<>();
            for (int combination = 0; combination < 16; combination++) {
                Adamax random = random(r);
                updates.add(new Adamax(new AdamaxKernel.Flags(bit(combination, 0), bit(combination, 1),
                        bit(combination, 2)), random.weightDecay, random.beta1, lerpWeight(r, bit(combination, 3)),
                        random.beta2, random.eps, random.negativeClr));
            }
            return updates;
        }

        @Override
        public int stateBuffers() {
            return 2;
        }

        @Override
        public KernelFamily<AdamaxKernel, AdamaxKernel.Flags> family() {
            return AdamaxKernel.FAMILY;
        }

        @Override
        public AdamaxKernel.Flags flags(long step) {
            return flags;
        }

        @Override
        public void run(AdamaxKernel kernel, Buffers b, long from, long to) {
            kernel.step(b.param(), b.grad(), b.state(0), b.state(1), weightDecay, beta1, beta1Complement, beta2, eps,
                    negativeClr, from, to);
        }
    }

    /**
     * Rprop's factors as validated ones are (etaminus below 1, etaplus above), or any coefficient. A case that
     * starts midway runs no first step, so that the filled {@code prev} meets gradients of either sign: stepped
     * from step 1 with one gradient, every later product is a square, never negative.
     */
    record Rprop(boolean maximize, float etaMinus, float etaPlus, float stepSizeMin, float stepSizeMax,
                 float initialStepSize, boolean startsMidway) implements Update<RpropKernel, RpropKernel.Flags> {

        static Rprop random(SplittableRandom r) {
            return random(r, r.nextBoolean());
        }

        /**
         * Factors where the vector kernel's shortcuts stop holding: etaminus 0, 1, NaN or equal to etaplus, and
         * etaplus 0, negative or NaN.
         */
        private static final float[][] EDGE_ETAS = {
            {0f, 1.2f}, {1f, 1.2f}, {Float.NaN, 1.2f}, {0.5f, 0.5f}, {1f, 1f}, {0.5f, 0f}, {0.5f, -1f},
            {0.5f, Float.NaN}, {-0.5f, 1.2f}
        };

        private static Rprop random(SplittableRandom r, boolean valid) {
            float[] edge = !valid && r.nextInt(4) == 0 ? EDGE_ETAS[r.nextInt(EDGE_ETAS.length)] : null;
            float etaMinus = edge != null ? edge[0] : TestFloats.coefficient(r);
            float etaPlus = edge != null ? edge[1] : valid ? 1 + 4 * TestFloats.coefficient(r) : TestFloats.coefficient(r);
            float stepSizeMin = valid ? TestFloats.coefficient(r) * 1e-3f : TestFloats.coefficient(r);
            return new Rprop(r.nextBoolean(), etaMinus, etaPlus, stepSizeMin,
                    valid ? stepSizeMin + 100 * TestFloats.coefficient(r) : TestFloats.coefficient(r),
                    TestFloats.coefficient(r), r.nextBoolean());
        }

        static List<Update<?, ?>> everyFlagCombination(SplittableRandom r) {
            List<Update<?, ?>> updates = new ArrayList<>();
            for (int combination = 0; combination < 8; combination++) {
                Rprop random = random(r, bit(combination, 1));
                updates.add(new Rprop(bit(combination, 0), random.etaMinus, random.etaPlus, random.stepSizeMin,
                        random.stepSizeMax, random.initialStepSize, bit(combination, 2)));
            }
            for (float[] etas : EDGE_ETAS) {
                Rprop random = random(r, true);
                updates.add(new Rprop(r.nextBoolean(), etas[0], etas[1], random.stepSizeMin, random.stepSizeMax,
                        random.initialStepSize, true));
            }
            // lr = -0.0: step sizes of -0 against bounds of 0, which PyTorch's clamp keeps as they are.
            updates.add(new Rprop(false, 0.5f, 1.2f, 0f, 50f, -0.0f, false));
            updates.add(new Rprop(true, 0.5f, 1.2f, 0f, 0f, -0.0f, false));
            return updates;
        }

        @Override
        public int stateBuffers() {
            return 2;
        }

        @Override
        public KernelFamily<RpropKernel, RpropKernel.Flags> family() {
            return RpropKernel.FAMILY;
        }

        @Override
        public RpropKernel.Flags flags(long step) {
            return new RpropKernel.Flags(maximize, step == 1 && !startsMidway);
        }

        @Override
        public void run(RpropKernel kernel, Buffers b, long from, long to) {
            kernel.step(b.param(), b.grad(), b.state(0), b.state(1), etaMinus, etaPlus, stepSizeMin, stepSizeMax,
                    initialStepSize, from, to);
        }
    }

    record RAdam(RAdamKernel.Flags flags, float weightDecay, float decayFactor, float beta1, float beta1Complement,
                 float beta2, float beta2Complement, float biasCorrection1, float lr, float biasCorrection2Sqrt,
                 float eps, float rect) implements Update<RAdamKernel, RAdamKernel.Flags> {

        static RAdam random(SplittableRandom r) {
            WeightDecay[] decays = WeightDecay.values();
            return new RAdam(new RAdamKernel.Flags(r.nextBoolean(), decays[r.nextInt(decays.length)], r.nextBoolean(),
                    r.nextBoolean()),
                    TestFloats.coefficient(r), 1 - TestFloats.coefficient(r), TestFloats.coefficient(r),
                    TestFloats.coefficient(r), TestFloats.coefficient(r), TestFloats.coefficient(r),
                    TestFloats.coefficient(r), TestFloats.coefficient(r), TestFloats.coefficient(r),
                    TestFloats.coefficient(r), TestFloats.coefficient(r));
        }

        static List<Update<?, ?>> everyFlagCombination(SplittableRandom r) {
            List<Update<?, ?>> updates = new ArrayList<>();
            for (WeightDecay decay : WeightDecay.values()) {
                for (int combination = 0; combination < 16; combination++) {
                    RAdam random = random(r);
                    updates.add(new RAdam(new RAdamKernel.Flags(bit(combination, 0), decay, bit(combination, 1),
                            bit(combination, 2)), random.weightDecay, random.decayFactor, random.beta1,
                            lerpWeight(r, bit(combination, 3)), random.beta2, random.beta2Complement,
                            random.biasCorrection1, random.lr, random.biasCorrection2Sqrt, random.eps, random.rect));
                }
            }
            return updates;
        }

        @Override
        public int stateBuffers() {
            return 2;
        }

        @Override
        public KernelFamily<RAdamKernel, RAdamKernel.Flags> family() {
            return RAdamKernel.FAMILY;
        }

        @Override
        public RAdamKernel.Flags flags(long step) {
            return flags;
        }

        @Override
        public void run(RAdamKernel kernel, Buffers b, long from, long to) {
            kernel.step(b.param(), b.grad(), b.state(0), b.state(1), weightDecay, decayFactor, beta1,
                    beta1Complement, beta2, beta2Complement, biasCorrection1, lr, biasCorrection2Sqrt, eps, rect,
                    from, to);
        }
    }

    record NAdam(NAdamKernel.Flags flags, float weightDecay, float decayFactor, float beta1, float beta1Complement,
                 float beta2, float beta2Complement, float biasCorrection2, float eps, float gradCoefficient,
                 float expAvgCoefficient) implements Update<NAdamKernel, NAdamKernel.Flags> {

        static NAdam random(SplittableRandom r) {
            WeightDecay[] decays = WeightDecay.values();
            return new NAdam(new NAdamKernel.Flags(r.nextBoolean(), decays[r.nextInt(decays.length)], r.nextBoolean()),
                    TestFloats.coefficient(r), 1 - TestFloats.coefficient(r), TestFloats.coefficient(r),
                    TestFloats.coefficient(r), TestFloats.coefficient(r), TestFloats.coefficient(r),
                    TestFloats.coefficient(r), TestFloats.coefficient(r), -TestFloats.coefficient(r),
                    -TestFloats.coefficient(r));
        }

        static List<Update<?, ?>> everyFlagCombination(SplittableRandom r) {
            List<Update<?, ?>> updates = new ArrayList<>();
            for (WeightDecay decay : WeightDecay.values()) {
                for (int combination = 0; combination < 8; combination++) {
                    NAdam random = random(r);
                    updates.add(new NAdam(new NAdamKernel.Flags(bit(combination, 0), decay, bit(combination, 1)),
                            random.weightDecay, random.decayFactor, random.beta1, lerpWeight(r, bit(combination, 2)),
                            random.beta2, random.beta2Complement, random.biasCorrection2, random.eps,
                            random.gradCoefficient, random.expAvgCoefficient));
                }
            }
            return updates;
        }

        @Override
        public int stateBuffers() {
            return 2;
        }

        @Override
        public KernelFamily<NAdamKernel, NAdamKernel.Flags> family() {
            return NAdamKernel.FAMILY;
        }

        @Override
        public NAdamKernel.Flags flags(long step) {
            return flags;
        }

        @Override
        public void run(NAdamKernel kernel, Buffers b, long from, long to) {
            kernel.step(b.param(), b.grad(), b.state(0), b.state(1), weightDecay, decayFactor, beta1,
                    beta1Complement, beta2, beta2Complement, biasCorrection2, eps, gradCoefficient, expAvgCoefficient,
                    from, to);
        }
    }

    record Asgd(AsgdKernel.Flags flags, float weightDecay, float decayFactor, float negativeEta, float mu)
            implements Update<AsgdKernel, AsgdKernel.Flags> {

        static Asgd random(SplittableRandom r) {
            return new Asgd(new AsgdKernel.Flags(r.nextBoolean(), r.nextBoolean(), r.nextBoolean()),
                    TestFloats.coefficient(r), 1 - TestFloats.coefficient(r), -TestFloats.coefficient(r),
                    TestFloats.coefficient(r));
        }

        static List<Update<?, ?>> everyFlagCombination(SplittableRandom r) {
            List<Update<?, ?>> updates = new ArrayList<>();
            for (int combination = 0; combination < 8; combination++) {
                Asgd random = random(r);
                updates.add(new Asgd(new AsgdKernel.Flags(bit(combination, 0), bit(combination, 1),
                        bit(combination, 2)), random.weightDecay, random.decayFactor, random.negativeEta, random.mu));
            }
            return updates;
        }

        @Override
        public int stateBuffers() {
            return 1;
        }

        @Override
        public KernelFamily<AsgdKernel, AsgdKernel.Flags> family() {
            return AsgdKernel.FAMILY;
        }

        @Override
        public AsgdKernel.Flags flags(long step) {
            return flags;
        }

        @Override
        public void run(AsgdKernel kernel, Buffers b, long from, long to) {
            kernel.step(b.param(), b.grad(), b.state(0), weightDecay, decayFactor, negativeEta, mu, from, to);
        }
    }
}
