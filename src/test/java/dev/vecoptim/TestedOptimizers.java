package dev.vecoptim;

import dev.vecoptim.kernel.Buffers;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * Every optimizer the tests know, with random valid hyper-parameters for each: the one list that the
 * properties, the model, the golden replay and the checkpoint tests derive theirs from. An optimizer added to
 * vecoptim is tested everywhere once it has an entry here.
 */
final class TestedOptimizers {

    /**
     * One optimizer: PyTorch's class name, the name {@code make_golden.py} gives it, a prototype at default
     * hyper-parameters, random valid hyper-parameters, a configuration that keeps every state buffer the
     * optimizer has, and that configuration's own typed {@code step} method.
     */
    record Kind(String name, String goldenName, Algorithm prototype, Function<SplittableRandom, Algorithm> random,
                Algorithm everyBuffer, TypedStep typedStep) {
    }

    /** An optimizer's own {@code step(param, grad, state..., step)}, with its buffers in that order. */
    interface TypedStep {
        void step(Algorithm algorithm, MemorySegment[] buffers, long step);
    }

    static final List<Kind> ALL = List.of(
            new Kind("SGD", "sgd", Sgd.builder(0.1).build(), TestedOptimizers::sgd,
                    Sgd.builder(0.1).momentum(0.9).build(), (a, b, t) -> ((Sgd) a).step(b[0], b[1], b[2], t)),
            new Kind("RMSprop", "rmsprop", RmsProp.builder().build(), TestedOptimizers::rmsProp,
                    RmsProp.builder().centered(true).momentum(0.9).build(),
                    (a, b, t) -> ((RmsProp) a).step(b[0], b[1], b[2], b[3], b[4], t)),
            new Kind("Adam", "adam", Adam.builder().build(), r -> adam(r, Adam.builder()),
                    Adam.builder().amsgrad(true).build(), (a, b, t) -> ((Adam) a).step(b[0], b[1], b[2], b[3], b[4], t)),
            new Kind("AdamW", "adamw", Adam.adamWBuilder().build(), r -> adam(r, Adam.adamWBuilder()),
                    Adam.adamWBuilder().amsgrad(true).build(),
                    (a, b, t) -> ((Adam) a).step(b[0], b[1], b[2], b[3], b[4], t)),
            new Kind("Adagrad", "adagrad", Adagrad.builder().build(), TestedOptimizers::adagrad,
                    Adagrad.builder().build(), (a, b, t) -> ((Adagrad) a).step(b[0], b[1], b[2], t)),
            new Kind("Adadelta", "adadelta", Adadelta.builder().build(), TestedOptimizers::adadelta,
                    Adadelta.builder().build(), (a, b, t) -> ((Adadelta) a).step(b[0], b[1], b[2], b[3], t)),
            new Kind("Adamax", "adamax", Adamax.builder().build(), TestedOptimizers::adamax,
                    Adamax.builder().build(), (a, b, t) -> ((Adamax) a).step(b[0], b[1], b[2], b[3], t)),
            new Kind("Rprop", "rprop", Rprop.builder().build(), TestedOptimizers::rprop,
                    Rprop.builder().build(), (a, b, t) -> ((Rprop) a).step(b[0], b[1], b[2], b[3], t)),
            new Kind("RAdam", "radam", RAdam.builder().build(), TestedOptimizers::radam,
                    RAdam.builder().build(), (a, b, t) -> ((RAdam) a).step(b[0], b[1], b[2], b[3], t)),
            new Kind("NAdam", "nadam", NAdam.builder().build(), TestedOptimizers::nadam,
                    NAdam.builder().build(), (a, b, t) -> ((NAdam) a).step(b[0], b[1], b[2], b[3], b[4], t)),
            new Kind("ASGD", "asgd", Asgd.builder().build(), TestedOptimizers::asgd,
                    Asgd.builder().build(), (a, b, t) -> ((Asgd) a).step(b[0], b[1], b[2], b[3], b[4], t)));

    /** The state buffers holding squares or their maximum, which never go negative. */
    static final List<String> SQUARED_STATE = List.of("square_avg", "exp_avg_sq", "max_exp_avg_sq", "sum",
            "acc_delta", "exp_inf");

    private TestedOptimizers() {
    }

    /** Random valid hyper-parameters of a random optimizer, at a random width and semantics. */
    static Algorithm random(SplittableRandom r) {
        return randomized(ALL.get(r.nextInt(ALL.size())).random().apply(r), r);
    }

    /** {@code algorithm} at a random width this JVM accepts, under a random semantics. */
    static Algorithm randomized(Algorithm algorithm, SplittableRandom r) {
        Semantics[] semantics = Semantics.values();
        return algorithm.withVectorWidth(randomWidth(r)).withSemantics(semantics[r.nextInt(semantics.length)]);
    }

    static VectorWidth randomWidth(SplittableRandom r) {
        List<VectorWidth> widths = VectorWidth.available();
        return widths.get(r.nextInt(widths.size()));
    }

    static Kind kind(String name) {
        return ALL.stream().filter(kind -> kind.name().equals(name)).findFirst().orElseThrow();
    }

    /** The same hyper-parameters with another value of a flag, e.g. {@code maximize}. */
    static Algorithm withFlag(Algorithm algorithm, String flag, boolean value) {
        Map<String, Object> named = new LinkedHashMap<>(algorithm.namedHyperParameters());
        named.put(flag, value);
        return algorithm.withNamedHyperParameters(named);
    }

    /**
     * The same hyper-parameters at lr = 0, and for Rprop, whose lr is only where its step sizes start, a minimum
     * step size of 0 too: a configuration that must leave every parameter as it is.
     */
    static Algorithm frozen(Algorithm algorithm) {
        Map<String, Object> named = new LinkedHashMap<>(algorithm.withLr(0).namedHyperParameters());
        named.computeIfPresent("step_sizes", (name, sizes) -> new double[] {0, ((double[]) sizes)[1]});
        return algorithm.withNamedHyperParameters(named);
    }

    /** One step over a kernel test's buffers: its first state buffers, as many as the algorithm keeps, its scalars. */
    static void step(Algorithm algorithm, Buffers buffers, long step) {
        int kept = algorithm.stateNames().size();
        MemorySegment[] state = Arrays.copyOf(buffers.state(), kept + algorithm.scalarNames().size());
        for (int s = kept; s < state.length; s++) {
            state[s] = buffers.scalar(s - kept);
        }
        algorithm.step(step, buffers.param(), buffers.grad(), state);
    }

    private static double maybeZero(SplittableRandom r, double value) {
        return r.nextBoolean() ? 0 : value;
    }

    private static Algorithm sgd(SplittableRandom r) {
        double momentum = maybeZero(r, r.nextDouble(0.5, 0.99));
        boolean nesterov = momentum > 0 && r.nextBoolean();
        return Sgd.builder(r.nextDouble(1e-4, 0.5)).momentum(momentum)
                .dampening(nesterov ? 0 : maybeZero(r, r.nextDouble(0, 0.5))).nesterov(nesterov)
                .weightDecay(maybeZero(r, r.nextDouble(1e-4, 0.1))).maximize(r.nextBoolean()).build();
    }

    private static Algorithm rmsProp(SplittableRandom r) {
        return RmsProp.builder().lr(r.nextDouble(1e-4, 0.1)).alpha(r.nextDouble(0.5, 0.999))
                .eps(r.nextDouble(1e-9, 1e-3)).weightDecay(maybeZero(r, r.nextDouble(1e-4, 0.1)))
                .momentum(maybeZero(r, r.nextDouble(0.5, 0.99))).centered(r.nextBoolean()).maximize(r.nextBoolean())
                .build();
    }

    private static Algorithm adam(SplittableRandom r, Adam.Builder builder) {
        return builder.lr(r.nextDouble(1e-5, 0.1)).betas(r.nextDouble(0.5, 0.99), r.nextDouble(0.9, 0.9999))
                .eps(r.nextDouble(1e-9, 1e-3)).weightDecay(maybeZero(r, r.nextDouble(1e-4, 0.1)))
                .amsgrad(r.nextBoolean()).maximize(r.nextBoolean()).build();
    }

    private static Algorithm adagrad(SplittableRandom r) {
        return Adagrad.builder().lr(r.nextDouble(1e-4, 0.5)).lrDecay(maybeZero(r, r.nextDouble(1e-4, 0.1)))
                .weightDecay(maybeZero(r, r.nextDouble(1e-4, 0.1)))
                .initialAccumulatorValue(maybeZero(r, r.nextDouble(1e-3, 1))).eps(r.nextDouble(1e-11, 1e-3))
                .maximize(r.nextBoolean()).build();
    }

    private static Algorithm adadelta(SplittableRandom r) {
        return Adadelta.builder().lr(r.nextDouble(0.1, 2)).rho(r.nextDouble(0.5, 0.99)).eps(r.nextDouble(1e-8, 1e-4))
                .weightDecay(maybeZero(r, r.nextDouble(1e-4, 0.1))).maximize(r.nextBoolean()).build();
    }

    private static Algorithm adamax(SplittableRandom r) {
        return Adamax.builder().lr(r.nextDouble(1e-4, 0.1)).betas(r.nextDouble(0.3, 0.99), r.nextDouble(0.9, 0.9999))
                .eps(r.nextDouble(1e-9, 1e-3)).weightDecay(maybeZero(r, r.nextDouble(1e-4, 0.1)))
                .maximize(r.nextBoolean()).build();
    }

    private static Algorithm rprop(SplittableRandom r) {
        double stepSizeMin = maybeZero(r, r.nextDouble(1e-7, 1e-4));
        return Rprop.builder().lr(r.nextDouble(1e-4, 0.1)).etas(r.nextDouble(0.1, 0.9), r.nextDouble(1.05, 2))
                .stepSizes(stepSizeMin, stepSizeMin + r.nextDouble(0.01, 50)).maximize(r.nextBoolean()).build();
    }

    private static Algorithm nadam(SplittableRandom r) {
        return NAdam.builder().lr(r.nextDouble(1e-5, 0.1)).betas(r.nextDouble(0.3, 0.99), r.nextDouble(0.5, 0.9999))
                .eps(r.nextDouble(1e-9, 1e-3)).weightDecay(maybeZero(r, r.nextDouble(1e-4, 0.1)))
                .momentumDecay(r.nextDouble(0, 0.1)).decoupledWeightDecay(r.nextBoolean()).maximize(r.nextBoolean())
                .build();
    }

    private static Algorithm asgd(SplittableRandom r) {
        // t0 small enough that averaging starts within the few steps a test makes, or not at all.
        return Asgd.builder().lr(r.nextDouble(1e-4, 0.5)).lambd(maybeZero(r, r.nextDouble(1e-5, 0.5)))
                .alpha(r.nextDouble(0, 1.5)).t0(r.nextBoolean() ? r.nextInt(-2, 4) : 1e6)
                .weightDecay(maybeZero(r, r.nextDouble(1e-4, 0.1))).maximize(r.nextBoolean()).build();
    }

    private static Algorithm radam(SplittableRandom r) {
        return RAdam.builder().lr(r.nextDouble(1e-5, 0.1)).betas(r.nextDouble(0.3, 0.99), r.nextDouble(0.5, 0.9999))
                .eps(r.nextDouble(1e-9, 1e-3)).weightDecay(maybeZero(r, r.nextDouble(1e-4, 0.1)))
                .decoupledWeightDecay(r.nextBoolean()).maximize(r.nextBoolean()).build();
    }
}
