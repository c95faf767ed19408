package dev.vecoptim.kernel;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * One optimizer configuration as its kernels see it: flags and float coefficients, any of them, including
 * values no validated optimizer would pass. Vector and scalar kernels must agree on all of them.
 */
public sealed interface Update {

    /** State buffers the kernels read and write (unused ones included). */
    int stateBuffers();

    /** The class file its vector kernels are defined from, e.g. {@code AdamVector}, and their interface. */
    String template();

    Class<?> kernelType();

    /** The flags of the kernel that runs step number {@code step} (from 1). */
    Record flags(long step);

    /** The kernel of width {@code bits} (0: the scalar reference) that runs step number {@code step}. */
    Object kernel(int bits, long step);

    /** Runs {@code kernel}, one of this update's family made with its flags, over elements [from, to). */
    void run(Object kernel, Buffers buffers, long from, long to);

    /** Applies the step numbered {@code step} (from 1) to elements [from, to) with the kernel of width bits. */
    default void apply(int bits, Buffers buffers, long step, long from, long to) {
        run(kernel(bits, step), buffers, from, to);
    }

    /** One update of each flag combination of the family that {@code template} names, random coefficients. */
    static List<Update> everyFlagCombination(String template, SplittableRandom r) {
        List<Update> updates = new ArrayList<>();
        for (int combination = 0; combination < 16; combination++) {
            boolean[] bit = {(combination & 1) != 0, (combination & 2) != 0, (combination & 4) != 0,
                (combination & 8) != 0};
            switch (template) {
                case "SgdVector" -> {
                    if (bit[2] || !bit[3]) {
                        updates.add(new Sgd(bit[0], bit[1], bit[2], bit[3], TestFloats.coefficient(r),
                                TestFloats.coefficient(r), TestFloats.coefficient(r), -TestFloats.coefficient(r)));
                    }
                }
                case "RmsPropVector" -> updates.add(RmsProp.random(r).with(new RmsPropFlags(bit[0], bit[1], bit[2],
                        bit[3])));
                case "AdamVector" -> {
                    if (combination < 12) {
                        updates.add(Adam.random(r).with(new AdamFlags(bit[0], AdamFlags.WeightDecay.values()[combination / 4],
                                bit[1])));
                    }
                }
                default -> throw new IllegalArgumentException("no update runs " + template);
            }
        }
        return updates;
    }

    static Update random(SplittableRandom random) {
        return switch (random.nextInt(3)) {
            case 0 -> Sgd.random(random);
            case 1 -> RmsProp.random(random);
            default -> Adam.random(random);
        };
    }

    record Sgd(boolean maximize, boolean weightDecay, boolean momentum, boolean nesterov,
               float weightDecayValue, float momentumValue, float dampeningComplement, float negativeLr)
            implements Update {

        static Sgd random(SplittableRandom r) {
            boolean momentum = r.nextBoolean();
            return new Sgd(r.nextBoolean(), r.nextBoolean(), momentum, momentum && r.nextBoolean(),
                    TestFloats.coefficient(r), TestFloats.coefficient(r), TestFloats.coefficient(r),
                    -TestFloats.coefficient(r));
        }

        @Override
        public int stateBuffers() {
            return 1;
        }

        @Override
        public String template() {
            return "SgdVector";
        }

        @Override
        public Class<?> kernelType() {
            return SgdKernel.class;
        }

        @Override
        public SgdFlags flags(long step) {
            return new SgdFlags(maximize, weightDecay, momentum, nesterov, momentum && step == 1);
        }

        @Override
        public Object kernel(int bits, long step) {
            return Kernels.sgd(bits, flags(step));
        }

        @Override
        public void run(Object kernel, Buffers b, long from, long to) {
            ((SgdKernel) kernel).step(b.param(), b.grad(), b.state(0), weightDecayValue, momentumValue,
                    dampeningComplement, negativeLr, from, to);
        }
    }

    record RmsProp(RmsPropFlags flags, float weightDecay, float alpha, float alphaComplement, float eps,
                   float momentum, float negativeLr) implements Update {

        static RmsProp random(SplittableRandom r) {
            return new RmsProp(new RmsPropFlags(r.nextBoolean(), r.nextBoolean(), r.nextBoolean(), r.nextBoolean()),
                    TestFloats.coefficient(r), TestFloats.coefficient(r), TestFloats.coefficient(r),
                    TestFloats.coefficient(r), TestFloats.coefficient(r), -TestFloats.coefficient(r));
        }

        RmsProp with(RmsPropFlags other) {
            return new RmsProp(other, weightDecay, alpha, alphaComplement, eps, momentum, negativeLr);
        }

        @Override
        public int stateBuffers() {
            return 3;
        }

        @Override
        public String template() {
            return "RmsPropVector";
        }

        @Override
        public Class<?> kernelType() {
            return RmsPropKernel.class;
        }

        @Override
        public RmsPropFlags flags(long step) {
            return flags;
        }

        @Override
        public Object kernel(int bits, long step) {
            return Kernels.rmsProp(bits, flags);
        }

        @Override
        public void run(Object kernel, Buffers b, long from, long to) {
            ((RmsPropKernel) kernel).step(b.param(), b.grad(), b.state(0), b.state(1), b.state(2),
                    weightDecay, alpha, alphaComplement, eps, momentum, negativeLr, from, to);
        }
    }

    record Adam(AdamFlags flags, float weightDecay, float decayFactor, float beta1, float beta1Complement,
                float beta2, float beta2Complement, float biasCorrection2Sqrt, float eps, float negativeStepSize)
            implements Update {

        static Adam random(SplittableRandom r) {
            AdamFlags.WeightDecay[] decays = AdamFlags.WeightDecay.values();
            return new Adam(new AdamFlags(r.nextBoolean(), decays[r.nextInt(decays.length)], r.nextBoolean()),
                    TestFloats.coefficient(r), 1 - TestFloats.coefficient(r), TestFloats.coefficient(r),
                    TestFloats.coefficient(r), TestFloats.coefficient(r), TestFloats.coefficient(r),
                    TestFloats.coefficient(r), TestFloats.coefficient(r), -TestFloats.coefficient(r));
        }

        Adam with(AdamFlags other) {
            return new Adam(other, weightDecay, decayFactor, beta1, beta1Complement, beta2, beta2Complement,
                    biasCorrection2Sqrt, eps, negativeStepSize);
        }

        @Override
        public int stateBuffers() {
            return 3;
        }

        @Override
        public String template() {
            return "AdamVector";
        }

        @Override
        public Class<?> kernelType() {
            return AdamKernel.class;
        }

        @Override
        public AdamFlags flags(long step) {
            return flags;
        }

        @Override
        public Object kernel(int bits, long step) {
            return Kernels.adam(bits, flags);
        }

        @Override
        public void run(Object kernel, Buffers b, long from, long to) {
            ((AdamKernel) kernel).step(b.param(), b.grad(), b.state(0), b.state(1), b.state(2), weightDecay,
                    decayFactor, beta1, beta1Complement, beta2, beta2Complement, biasCorrection2Sqrt, eps,
                    negativeStepSize, from, to);
        }
    }
}
