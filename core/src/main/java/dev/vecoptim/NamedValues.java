package dev.vecoptim;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads hyper-parameters given by PyTorch's names ({@link Algorithm#namedHyperParameters()}), typed, with a
 * clear message for a missing entry, an entry of another type, or one the optimizer does not have.
 */
final class NamedValues {
    /** A tuple's size in words, by size. */
    private static final List<String> NUMBERS = List.of("no", "one", "two", "three");
    private final String optimizer;
    private final Map<String, Object> named;
    private final Map<String, Object> unread;

    /** The entries {@code named} of optimizer {@code optimizer}'s hyper-parameters (named for messages). */
    NamedValues(String optimizer, Map<String, Object> named) {
        this.optimizer = optimizer;
        this.named = named;
        this.unread = new LinkedHashMap<>(named);
    }

    double number(String key) {
        return get(key, Double.class, kind(0.0));
    }

    boolean flag(String key) {
        return get(key, Boolean.class, kind(true));
    }

    double[] tuple(String key, int size) {
        double[] tuple = get(key, double[].class, kind(new double[size]));
        if (tuple.length != size) {
            throw new IllegalArgumentException(optimizer + "'s " + key + " must be " + kind(new double[size])
                    + ", not " + repr(tuple));
        }
        return tuple;
    }

    /**
     * Checks that every entry was read, and returns {@code built}.
     *
     * @throws IllegalArgumentException naming the entries the optimizer does not have
     */
    <A extends Algorithm> A allRead(A built) {
        if (!unread.isEmpty()) {
            throw new IllegalArgumentException(optimizer + " has no hyper-parameter "
                    + String.join(", ", List.copyOf(unread.keySet())));
        }
        return built;
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

    /**
     * How the flags of {@code saved} differ from those of {@code mine}, as {@code " has amsgrad=True in the file
     * and amsgrad=False here; ..."} to follow a group's name, or null if they do not.
     */
    static String flagMismatch(Map<String, Object> saved, Map<String, Object> mine, String source) {
        for (Map.Entry<String, Boolean> flag : flags(mine).entrySet()) {
            Object savedFlag = saved.get(flag.getKey());
            if (!flag.getValue().equals(savedFlag)) {
                return " has " + flag.getKey() + "=" + repr(savedFlag) + " in the " + source + " and " + flag.getKey()
                        + "=" + repr(flag.getValue()) + " here; a " + source + " restores numbers, not flags";
            }
        }
        return null;
    }

    /** What kind of value {@code example} is, in words: "a number", "True or False", "a tuple of two numbers". */
    static String kind(Object example) {
        return switch (example) {
            case Boolean _ -> "True or False";
            case double[] tuple -> "a tuple of " + NUMBERS.get(tuple.length) + " numbers";
            default -> "a number";
        };
    }

    /** One value in Python's notation: {@code 0.9}, {@code True}, {@code (0.9, 0.999)}, {@code None}. */
    static String repr(Object value) {
        return switch (value) {
            case null -> "None";
            case Boolean flag -> PythonFloat.bool(flag);
            case Double number -> PythonFloat.repr(number);
            case double[] tuple -> "(" + String.join(", ", java.util.Arrays.stream(tuple)
                    .mapToObj(PythonFloat::repr).toList()) + ")";
            default -> String.valueOf(value);
        };
    }
}
