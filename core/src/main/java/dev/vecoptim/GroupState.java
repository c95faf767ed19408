package dev.vecoptim;

import dev.vecoptim.io.RefusedFileException;
import dev.vecoptim.io.Safetensors;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The state a reference keeps in its {@code param_groups} rather than per parameter, as state dicts hold it: the
 * entries of {@link Algorithm#groupEntries()} (a step count, or Schedule-Free's {@code k}, {@code weight_sum},
 * {@code lr_max}), which vecoptim keeps per parameter, and {@code train_mode} for an optimizer
 * with modes ({@link Algorithm#hasModes()}), which it keeps per optimizer. A file holds both the group's entries, for
 * the reference, and each parameter's, and a load takes the group's where they are: the reference, having stepped,
 * updates its group's entries and leaves the per-parameter ones it does not know as they were.
 */
final class GroupState {
    /** The reference's {@code param_groups} entry that says whether its parameters are at their train values. */
    static final String TRAIN_MODE = "train_mode";
    private static final String STEP = "step";

    private GroupState() {
    }

    /** Whether {@code key} of a group of {@code algorithm} is state this class reads, not a hyper-parameter. */
    static boolean isGroupState(Algorithm algorithm, String key) {
        return algorithm.groupEntries().containsKey(key) || algorithm.hasModes() && key.equals(TRAIN_MODE);
    }

    /**
     * The entries {@code group} adds to its {@code param_groups} entry in a state dict: each of
     * {@link Algorithm#groupEntries()} from the parameters that have stepped (from any, if none has), and
     * {@code train_mode}. Where the stepped parameters differ in one of them (a parameter added after the others
     * stepped), which one entry of the group cannot hold, none of them: the file holds each parameter's all the same,
     * and {@code state_dict.py} refuses to load it into the reference.
     */
    static Map<String, Object> entries(ParameterGroup group, boolean training) {
        Algorithm algorithm = group.algorithm();
        Map<String, Object> entries = new LinkedHashMap<>();
        boolean agree = true;
        for (Map.Entry<String, String> entry : algorithm.groupEntries().entrySet()) {
            Double stepped = null;
            Double unstepped = null;
            for (Parameter parameter : group.parameters()) {
                double own = value(parameter, entry.getValue());
                if (parameter.stepCount() == 0) {
                    unstepped = unstepped == null ? own : unstepped;
                } else if (stepped == null || Double.compare(own, stepped) == 0) {
                    stepped = own;
                } else {
                    agree = false;
                }
            }
            Double value = stepped != null ? stepped : unstepped;
            if (value != null) {
                entries.put(entry.getKey(), entry.getValue().equals(STEP) ? (Object) value.longValue() : value);
            }
        }
        if (!agree) {
            entries.clear();
        }
        if (algorithm.hasModes()) {
            entries.put(TRAIN_MODE, training);
        }
        return entries;
    }

    private static double value(Parameter parameter, String name) {
        return name.equals(STEP) ? parameter.stepCount() : parameter.scalar(name);
    }

    /**
     * Each group's entries of {@link Algorithm#groupEntries()} that the file's {@code param_groups} hold, by the
     * per-parameter state they stand for: a step count, or a scalar's value.
     */
    static List<Map<String, Double>> read(Path file, Optimizer optimizer, List<?> groups) throws RefusedFileException {
        List<Map<String, Double>> states = new ArrayList<>();
        for (ParameterGroup group : optimizer.groups()) {
            Map<?, ?> saved = (Map<?, ?>) groups.get(group.index());
            Map<String, Double> values = new LinkedHashMap<>();
            for (Map.Entry<String, String> entry : group.algorithm().groupEntries().entrySet()) {
                Object value = saved.get(entry.getKey());
                if (value == null) {
                    continue;
                }
                String at = "param_groups[" + group.index() + "]." + entry.getKey();
                if (!(value instanceof Number counted)) {
                    throw Safetensors.refused(file, at + " is " + NamedValues.repr(value) + ", not a number");
                }
                double number = counted.doubleValue();
                if (entry.getValue().equals(STEP) && !(value instanceof Long && number >= 0)) {
                    throw Safetensors.refused(file, at + " is " + NamedValues.repr(value) + ", not a step count");
                }
                values.put(entry.getValue(), number);
            }
            states.add(values);
        }
        return states;
    }

    /**
     * The mode the file says the parameters are at, for an optimizer with modes: every group's {@code train_mode},
     * which must agree (vecoptim keeps one mode an optimizer); null for an optimizer without.
     */
    static Boolean trainMode(Path file, Optimizer optimizer, List<?> groups) throws RefusedFileException {
        Boolean mode = null;
        for (ParameterGroup group : optimizer.groups()) {
            if (!group.algorithm().hasModes()) {
                continue;
            }
            Object saved = ((Map<?, ?>) groups.get(group.index())).get(TRAIN_MODE);
            String at = "param_groups[" + group.index() + "]";
            if (!(saved instanceof Boolean training)) {
                throw Safetensors.refused(file, at + " has " + (saved == null ? "no " + TRAIN_MODE : TRAIN_MODE + "="
                        + NamedValues.repr(saved)) + ": " + group.algorithm().name() + "'s parameters are at their"
                        + " train or their eval values, which a file must say (true or false)");
            }
            if (mode != null && !mode.equals(training)) {
                throw Safetensors.refused(file, at + " has " + TRAIN_MODE + "=" + NamedValues.repr(training)
                        + " and an earlier group the other: vecoptim keeps one mode an optimizer");
            }
            mode = training;
        }
        return mode;
    }
}
