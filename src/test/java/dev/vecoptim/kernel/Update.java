package dev.vecoptim.kernel;

import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;

/**
 * One optimizer configuration as its kernels see it: flags and float coefficients, any of them, including
 * values no validated optimizer would pass. Vector and scalar kernels must agree on all of them.
 */
public sealed interface Update {

    /** State buffers the kernels read and write (unused ones included). */
    int stateBuffers();

    /** Applies the step numbered {@code step} (from 1) to elements [from, to) with the kernel of width bits. */
    void apply(int bits, Buffers buffers, long step, long from, long to);

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
        public void apply(int bits, Buffers b, long step, long from, long to) {
            SgdFlags flags = new SgdFlags(maximize, weightDecay, momentum, nesterov, momentum && step == 1);
            Kernels.sgd(bits, flags).step(b.param(), b.grad(), b.state(0), weightDecayValue, momentumValue,
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

        @Override
        public int stateBuffers() {
            return 3;
        }

        @Override
        public void apply(int bits, Buffers b, long step, long from, long to) {
            Kernels.rmsProp(bits, flags).step(b.param(), b.grad(), b.state(0), b.state(1), b.state(2),
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

        @Override
        public int stateBuffers() {
            return 3;
        }

        @Override
        public void apply(int bits, Buffers b, long step, long from, long to) {
            Kernels.adam(bits, flags).step(b.param(), b.grad(), b.state(0), b.state(1), b.state(2), weightDecay,
                    decayFactor, beta1, beta1Complement, beta2, beta2Complement, biasCorrection2Sqrt, eps,
                    negativeStepSize, from, to);
        }
    }
}
