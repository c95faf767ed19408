package dev.vecoptim;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A schedule that {@link LearningRateSchedule}'s factories made, and so can say what it is: PyTorch's class name
 * (or vecoptim's, where PyTorch has none) and its arguments by PyTorch's names, nested schedules included. That is
 * what a checkpoint or a state dict saves of it, and what a load compares or restores ({@link SavedSchedule}).
 * Two are equal when they say the same.
 */
final class DescribedSchedule implements LearningRateSchedule {
    private final String name;
    private final Map<String, Object> arguments;
    private final LearningRateSchedule function;

    private DescribedSchedule(String name, Map<String, Object> arguments, LearningRateSchedule function) {
        this.name = name;
        this.arguments = Collections.unmodifiableMap(arguments);
        this.function = function;
    }

    /**
     * A schedule {@code name} computing {@code function}, whose arguments are {@code namesAndValues}: name, value,
     * name, value... (a value is a Double, a Long, a nested schedule, or a list of Longs or of schedules).
     */
    static DescribedSchedule of(String name, LearningRateSchedule function, Object... namesAndValues) {
        Map<String, Object> arguments = new LinkedHashMap<>();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            arguments.put((String) namesAndValues[i], namesAndValues[i + 1]);
        }
        return new DescribedSchedule(name, arguments, function);
    }

    String name() {
        return name;
    }

    Map<String, Object> arguments() {
        return arguments;
    }

    /** {@return what computes its rates} */
    LearningRateSchedule function() {
        return function;
    }

    @Override
    public double lr(long completedSteps) {
        return function.lr(completedSteps);
    }

    @Override
    public java.util.OptionalDouble momentum(long completedSteps) {
        return function.momentum(completedSteps);
    }

    /** Whether every schedule it nests was made by the factories too, so that its description is whole. */
    boolean complete() {
        return arguments.values().stream().flatMap(value -> value instanceof List<?> list ? list.stream()
                : java.util.stream.Stream.of(value)).allMatch(value -> !(value instanceof LearningRateSchedule nested)
                || nested instanceof DescribedSchedule known && known.complete());
    }

    /** Its description as JSON values: {@code {"name": ..., argument: value, ...}}; a custom nested one as null. */
    Map<String, Object> describe() {
        Map<String, Object> described = new LinkedHashMap<>();
        described.put("name", name);
        arguments.forEach((argument, value) -> described.put(argument, value instanceof List<?> list
                ? list.stream().map(DescribedSchedule::described).toList() : described(value)));
        return described;
    }

    private static Object described(Object value) {
        return value instanceof LearningRateSchedule nested
                ? (nested instanceof DescribedSchedule known ? known.describe() : null) : value;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof DescribedSchedule that && name.equals(that.name) && arguments.equals(that.arguments);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, arguments);
    }

    @Override
    public String toString() {
        List<String> shown = new ArrayList<>();
        arguments.forEach((argument, value) -> shown.add(argument + "=" + (value instanceof Double number
                ? PythonFloat.repr(number) : value instanceof DescribedSchedule ? value : String.valueOf(value))));
        return name + "(" + String.join(", ", shown) + ")";
    }
}
