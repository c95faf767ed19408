package dev.vecoptim;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Hyper-parameters as PyTorch's {@code param_groups} hold them: (name, value) pairs in PyTorch's order, the
 * values a {@link Double}, a {@link Boolean}, or a {@code double[]} for a tuple such as {@code betas}. What a
 * checkpoint stores, so that a file says what it holds without a table of positions.
 */
final class NamedHyperParameters {
    private NamedHyperParameters() {
    }

    static Map<String, Object> of(Algorithm algorithm) {
        Map<String, Object> named = new LinkedHashMap<>();
        switch (algorithm) {
            case Sgd s -> {
                named.put("lr", s.lr());
                named.put("momentum", s.momentum());
                named.put("dampening", s.dampening());
                named.put("weight_decay", s.weightDecay());
                named.put("nesterov", s.nesterov());
                named.put("maximize", s.maximize());
            }
            case RmsProp r -> {
                named.put("lr", r.lr());
                named.put("alpha", r.alpha());
                named.put("eps", r.eps());
                named.put("weight_decay", r.weightDecay());
                named.put("momentum", r.momentum());
                named.put("centered", r.centered());
                named.put("maximize", r.maximize());
            }
            case Adam a -> {
                named.put("lr", a.lr());
                named.put("betas", new double[] {a.beta1(), a.beta2()});
                named.put("eps", a.eps());
                named.put("weight_decay", a.weightDecay());
                named.put("amsgrad", a.amsgrad());
                named.put("maximize", a.maximize());
            }
        }
        return named;
    }

    /**
     * The hyper-parameters of optimizer {@code name} (PyTorch's class name, as {@link Algorithm#name()}) with
     * exactly the entries {@code named}, of the types {@link #of} gives, validated as their builder does.
     *
     * @throws IllegalArgumentException if the name is unknown, an entry is missing, extra or of another type,
     *     or a value is invalid (with PyTorch's message)
     */
    static Algorithm build(String name, Map<String, Object> named, VectorWidth width) {
        Values values = new Values(name, named);
        Algorithm algorithm = switch (name) {
            case "SGD" -> Sgd.builder(values.number("lr")).momentum(values.number("momentum"))
                    .dampening(values.number("dampening")).weightDecay(values.number("weight_decay"))
                    .nesterov(values.flag("nesterov")).maximize(values.flag("maximize")).vectorWidth(width).build();
            case "RMSprop" -> RmsProp.builder().lr(values.number("lr")).alpha(values.number("alpha"))
                    .eps(values.number("eps")).weightDecay(values.number("weight_decay"))
                    .momentum(values.number("momentum")).centered(values.flag("centered"))
                    .maximize(values.flag("maximize")).vectorWidth(width).build();
            case "Adam", "AdamW" -> {
                double[] betas = values.pair("betas");
                yield (name.equals("AdamW") ? Adam.adamWBuilder() : Adam.builder()).lr(values.number("lr"))
                        .betas(betas[0], betas[1]).eps(values.number("eps"))
                        .weightDecay(values.number("weight_decay")).amsgrad(values.flag("amsgrad"))
                        .maximize(values.flag("maximize")).vectorWidth(width).build();
            }
            default -> throw new IllegalArgumentException("vecoptim has no optimizer named " + name);
        };
        values.requireAllRead();
        return algorithm;
    }

    /** The boolean entries, PyTorch's flags ({@code nesterov}, {@code amsgrad}, ...), by name. */
    static Map<String, Boolean> flags(Map<String, Object> named) {
        Map<String, Boolean> flags = new LinkedHashMap<>();
        named.forEach((key, value) -> {
            if (value instanceof Boolean flag) {
                flags.put(key, flag);
            }
        });
        return flags;
    }

    /** One value in Python's notation: {@code 0.9}, {@code True}, {@code (0.9, 0.999)}. */
    static String repr(Object value) {
        return switch (value) {
            case Boolean flag -> PythonFloat.bool(flag);
            case Double number -> PythonFloat.repr(number);
            case double[] tuple -> "(" + String.join(", ", java.util.Arrays.stream(tuple)
                    .mapToObj(PythonFloat::repr).toList()) + ")";
            default -> String.valueOf(value);
        };
    }

    /** Reads typed entries of one map, remembering which were read so that extra entries are refused. */
    private static final class Values {
        private final String optimizer;
        private final Map<String, Object> named;
        private final Map<String, Object> unread;

        Values(String optimizer, Map<String, Object> named) {
            this.optimizer = optimizer;
            this.named = named;
            this.unread = new LinkedHashMap<>(named);
        }

        double number(String key) {
            return get(key, Double.class, "a number");
        }

        boolean flag(String key) {
            return get(key, Boolean.class, "True or False");
        }

        double[] pair(String key) {
            double[] tuple = get(key, double[].class, "a tuple of two numbers");
            if (tuple.length != 2) {
                throw new IllegalArgumentException(optimizer + "'s " + key + " must be a tuple of two numbers, not "
                        + repr(tuple));
            }
            return tuple;
        }

        private <T> T get(String key, Class<T> type, String expected) {
            Object value = named.get(key);
            if (value == null) {
                throw new IllegalArgumentException(optimizer + " needs " + key + ", which is missing");
            }
            if (!type.isInstance(value)) {
                throw new IllegalArgumentException(optimizer + "'s " + key + " must be " + expected + ", not "
                        + repr(value));
            }
            unread.remove(key);
            return type.cast(value);
        }

        void requireAllRead() {
            if (!unread.isEmpty()) {
                throw new IllegalArgumentException(optimizer + " has no hyper-parameter "
                        + String.join(", ", List.copyOf(unread.keySet())));
            }
        }
    }
}
