package dev.vecoptim;

import dev.vecoptim.kernel.Buffers;
import java.lang.foreign.MemorySegment;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
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
     * One optimizer: PyTorch's class name, the name {@code make_golden.py} gives it (the same in lower case), its
     * defaults, random valid hyper-parameters drawn from the declarations' TESTED column, a configuration that keeps
     * every state buffer the optimizer has, and that configuration's own typed {@code step} method.
     */
    record Kind(String name, String goldenName, Algorithm prototype, Function<SplittableRandom, Algorithm> random,
                Algorithm everyBuffer, TypedStep typedStep) {
        static Kind of(String name) {
            Algorithm everyBuffer = TestedOptimizers.everyBuffer(name);
            return new Kind(name, name.toLowerCase(Locale.ROOT), Optimizers.defaults(name), r -> drawn(name, r),
                    everyBuffer, TestedOptimizers.typedStep(everyBuffer.getClass()));
        }
    }

    /** An optimizer's own {@code step(param, grad, state..., step)}, with its buffers in that order. */
    interface TypedStep {
        void step(Algorithm algorithm, MemorySegment[] buffers, long step);
    }

    /** Every optimizer of the registry, {@link Optimizers}. */
    static final List<Kind> ALL = Optimizers.pyTorchNames().stream().map(Kind::of).toList();

    /** The state buffers holding squares or their maximum, which never go negative. */
    static final List<String> SQUARED_STATE = List.of("square_avg", "exp_avg_sq", "max_exp_avg_sq", "sum",
            "acc_delta", "exp_inf");

    private static final int DRAWS = 200;

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
     * step size of 0 too, and no clipping of a trust ratio by lr (trust_clip): a configuration that must leave every
     * parameter as it is.
     */
    static Algorithm frozen(Algorithm algorithm) {
        Map<String, Object> named = new LinkedHashMap<>(algorithm.withLr(0).namedHyperParameters());
        named.computeIfPresent("step_sizes", (name, sizes) -> new double[] {0, ((double[]) sizes)[1]});
        // LARC's clipping divides the trust ratio by lr: at lr = 0 a ratio of 0 (a norm that overflows) is 0 / 0.
        named.computeIfPresent("trust_clip", (name, clip) -> false);
        return algorithm.withNamedHyperParameters(named);
    }

    /** One step over a kernel test's buffers: its first state buffers, as many as the algorithm keeps, its scalars. */
    static void step(Algorithm algorithm, Buffers buffers, long step) {
        int kept = algorithm.stateNames().size();
        MemorySegment[] state = Arrays.copyOf(buffers.state(), kept + algorithm.scalarNames().size());
        for (int s = kept; s < state.length; s++) {
            state[s] = buffers.scalar(s - kept, algorithm.scalarBytes().get(s - kept));
        }
        algorithm.step(step, buffers.param(), buffers.grad(), state);
    }

    /**
     * Random hyper-parameters of the optimizer PyTorch calls {@code name}: each value its TESTED column names drawn
     * anew, again until the optimizer accepts them (SGD's Nesterov momentum, say, needs momentum and no dampening).
     */
    static Algorithm drawn(String name, SplittableRandom r) {
        Algorithm defaults = Optimizers.defaults(name);
        IllegalArgumentException refused = null;
        for (int attempt = 0; attempt < DRAWS; attempt++) {
            Map<String, Object> named = new LinkedHashMap<>(defaults.namedHyperParameters());
            for (String tested : TestedValues.of(name)) {
                String hyperParameter = tested.substring(0, tested.indexOf('='));
                String[] values = tested.substring(tested.indexOf('=') + 1).split(",");
                named.put(hyperParameter, switch (named.get(hyperParameter)) {
                    case Boolean flag -> r.nextBoolean();
                    case double[] tuple -> java.util.Arrays.stream(values).mapToDouble(v -> draw(v, r)).toArray();
                    default -> draw(values[0], r);
                });
            }
            try {
                return defaults.withNamedHyperParameters(named);
            } catch (IllegalArgumentException e) {
                refused = e;
            }
        }
        throw new AssertionError(name + "'s TESTED values drew nothing it accepts in " + DRAWS + " draws", refused);
    }

    /** One of the alternatives {@code a|b|...}, each a value or a range {@code low..high}, chosen alike. */
    private static double draw(String values, SplittableRandom r) {
        String[] alternatives = values.split("\\|");
        String chosen = alternatives[r.nextInt(alternatives.length)];
        int range = chosen.indexOf("..");
        return range < 0 ? Double.parseDouble(chosen)
                : r.nextDouble(Double.parseDouble(chosen.substring(0, range)),
                        Double.parseDouble(chosen.substring(range + 2)));
    }

    /** Of many draws, the first that keeps as many state buffers as any. */
    private static Algorithm everyBuffer(String name) {
        SplittableRandom r = new SplittableRandom(name.hashCode());
        Algorithm most = drawn(name, r);
        for (int draw = 1; draw < DRAWS; draw++) {
            Algorithm next = drawn(name, r);
            if (next.stateNames().size() > most.stateNames().size()) {
                most = next;
            }
        }
        return most;
    }

    /** The optimizer's own {@code step(MemorySegment param, MemorySegment grad, MemorySegment... state, long step)}. */
    private static TypedStep typedStep(Class<?> optimizer) {
        Method typed = Arrays.stream(optimizer.getMethods())
                .filter(m -> m.getName().equals("step"))
                .filter(m -> m.getParameterCount() > 2
                        && m.getParameterTypes()[m.getParameterCount() - 1] == long.class
                        && Arrays.stream(m.getParameterTypes()).limit(m.getParameterCount() - 1L)
                                .allMatch(type -> type == MemorySegment.class))
                .findFirst().orElseThrow(() -> new AssertionError(optimizer + " has no typed step"));
        return (algorithm, buffers, step) -> {
            Object[] arguments = Arrays.copyOf(buffers, typed.getParameterCount(), Object[].class);
            arguments[arguments.length - 1] = step;
            try {
                typed.invoke(algorithm, arguments);
            } catch (InvocationTargetException e) {
                if (e.getCause() instanceof RuntimeException runtime) {
                    throw runtime;
                }
                throw new AssertionError(e.getCause());
            } catch (IllegalAccessException e) {
                throw new AssertionError(e);
            }
        };
    }
}
