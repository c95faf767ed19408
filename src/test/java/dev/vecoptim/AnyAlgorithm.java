package dev.vecoptim;

import dev.vecoptim.kernel.Buffers;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A validated configuration of any of the three families, as the public-API properties need it: random valid
 * hyper-parameters, a few of them changeable, and a step over {@link Buffers} (state 0, 1, 2 are, for SGD:
 * momentum_buffer; RMSProp: square_avg, grad_avg, momentum_buffer; Adam: exp_avg, exp_avg_sq, max_exp_avg_sq).
 */
sealed interface AnyAlgorithm {

    void step(Buffers buffers, long step);

    AnyAlgorithm withMaximize(boolean maximize);

    AnyAlgorithm withLr(double lr);

    /** Random valid hyper-parameters of a random family, at a random width this JVM accepts. */
    static AnyAlgorithm random(SplittableRandom r) {
        List<VectorWidth> widths = VectorWidth.available();
        VectorWidth width = widths.get(r.nextInt(widths.size()));
        return switch (r.nextInt(3)) {
            case 0 -> new OfSgd(randomSgd(r).vectorWidth(width).build());
            case 1 -> new OfRmsProp(randomRmsProp(r).vectorWidth(width).build());
            default -> new OfAdam(randomAdam(r).vectorWidth(width).build());
        };
    }

    private static double maybeZero(SplittableRandom r, double value) {
        return r.nextBoolean() ? 0 : value;
    }

    static Sgd.Builder randomSgd(SplittableRandom r) {
        double momentum = maybeZero(r, r.nextDouble(0.5, 0.99));
        boolean nesterov = momentum > 0 && r.nextBoolean();
        return Sgd.builder(r.nextDouble(1e-4, 0.5)).momentum(momentum)
                .dampening(nesterov ? 0 : maybeZero(r, r.nextDouble(0, 0.5))).nesterov(nesterov)
                .weightDecay(maybeZero(r, r.nextDouble(1e-4, 0.1))).maximize(r.nextBoolean());
    }

    static RmsProp.Builder randomRmsProp(SplittableRandom r) {
        return RmsProp.builder().lr(r.nextDouble(1e-4, 0.1)).alpha(r.nextDouble(0.5, 0.999))
                .eps(r.nextDouble(1e-9, 1e-3)).weightDecay(maybeZero(r, r.nextDouble(1e-4, 0.1)))
                .momentum(maybeZero(r, r.nextDouble(0.5, 0.99))).centered(r.nextBoolean()).maximize(r.nextBoolean());
    }

    static Adam.Builder randomAdam(SplittableRandom r) {
        Adam.Builder builder = r.nextBoolean() ? Adam.builder() : Adam.adamWBuilder();
        return builder.lr(r.nextDouble(1e-5, 0.1)).betas(r.nextDouble(0.5, 0.99), r.nextDouble(0.9, 0.9999))
                .eps(r.nextDouble(1e-9, 1e-3)).weightDecay(maybeZero(r, r.nextDouble(1e-4, 0.1)))
                .amsgrad(r.nextBoolean()).maximize(r.nextBoolean());
    }

    record OfSgd(Sgd sgd) implements AnyAlgorithm {
        @Override
        public void step(Buffers b, long step) {
            sgd.step(b.param(), b.grad(), b.state(0), step);
        }

        @Override
        public AnyAlgorithm withMaximize(boolean maximize) {
            return new OfSgd(sgd.toBuilder().maximize(maximize).build());
        }

        @Override
        public AnyAlgorithm withLr(double lr) {
            return new OfSgd(sgd.toBuilder().lr(lr).build());
        }
    }

    record OfRmsProp(RmsProp rmsProp) implements AnyAlgorithm {
        @Override
        public void step(Buffers b, long step) {
            rmsProp.step(b.param(), b.grad(), b.state(0), b.state(1), b.state(2), step);
        }

        @Override
        public AnyAlgorithm withMaximize(boolean maximize) {
            return new OfRmsProp(rmsProp.toBuilder().maximize(maximize).build());
        }

        @Override
        public AnyAlgorithm withLr(double lr) {
            return new OfRmsProp(rmsProp.toBuilder().lr(lr).build());
        }
    }

    record OfAdam(Adam adam) implements AnyAlgorithm {
        @Override
        public void step(Buffers b, long step) {
            adam.step(b.param(), b.grad(), b.state(0), b.state(1), b.state(2), step);
        }

        @Override
        public AnyAlgorithm withMaximize(boolean maximize) {
            return new OfAdam(adam.toBuilder().maximize(maximize).build());
        }

        @Override
        public AnyAlgorithm withLr(double lr) {
            return new OfAdam(adam.toBuilder().lr(lr).build());
        }
    }
}
