package dev.vecoptim;

import dev.vecoptim.io.Json;
import dev.vecoptim.io.RefusedFileException;
import dev.vecoptim.io.Safetensors;
import dev.vecoptim.io.StateDictLayout;
import dev.vecoptim.kernel.StochasticRounding;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * What a state dict says of an optimizer's groups, read for a load and checked against the optimizer: each
 * group's hyper-parameters ({@code param_groups}), its optimizer ({@code optimizers}), the semantics and rounding
 * that wrote it ({@code semantics}, {@code rounding}, {@code torch_version}) and its schedule ({@code schedules}).
 * {@link StateDictFile} lays out the file and its tensors.
 */
final class StateDictGroups {
    private static final String SEMANTICS = StateDictLayout.SEMANTICS;
    private static final String TORCH_VERSION = StateDictLayout.TORCH_VERSION;
    private static final String SCHEDULES = StateDictLayout.SCHEDULES;
    private static final String ROUNDING = StateDictLayout.ROUNDING;
    private static final String FUSED = "fused";
    private static final String SEED = "stochastic_rounding_seed";
    /** The param_groups entries that choose how PyTorch runs or what its schedulers remember, not the update. */
    private static final Set<String> NOT_HYPER_PARAMETERS = Set.of("params", "param_names", "foreach", "capturable",
            "differentiable", "fused", "initial_lr", "max_lr", "min_lr", "base_lr", "base_momentum", "max_momentum",
            "scheduled_lr");

    private StateDictGroups() {
    }

    /** What the load does with each group's schedule in {@code schedules} ({@link SavedSchedule}). */
    static List<SavedSchedule.Decision> schedules(Path file, Optimizer optimizer, Map<String, String> metadata)
            throws RefusedFileException {
        List<?> saved = StateDictLayout.jsonList(file, metadata, SCHEDULES, false);
        if (saved != null && saved.size() != optimizer.groups().size()) {
            throw Safetensors.refused(file, "its " + SCHEDULES + " name " + saved.size() + " groups and this optimizer has "
                    + optimizer.groups().size());
        }
        List<SavedSchedule.Decision> decisions = new ArrayList<>();
        for (ParameterGroup group : optimizer.groups()) {
            Object schedule = saved == null ? null : saved.get(group.index());
            try {
                decisions.add(SavedSchedule.decide(group, schedule == null ? ""
                        : new String(Json.write(schedule), StandardCharsets.UTF_8)));
            } catch (IllegalArgumentException refused) {
                throw new RefusedFileException(file + ": " + refused.getMessage(), refused);
            }
        }
        return decisions;
    }

    /** What the load warns of: {@link #semanticsWarnings}, then {@link #roundingWarnings}. */
    static List<String> warnings(Path file, Optimizer optimizer, Map<String, String> metadata)
            throws RefusedFileException {
        List<String> warnings = new ArrayList<>(semanticsWarnings(file, optimizer, metadata));
        warnings.addAll(roundingWarnings(file, optimizer, metadata));
        return warnings;
    }

    /** {@return how {@code algorithm} rounds, as {@code rounding} records it for its group} */
    static Map<String, Object> rounding(Algorithm algorithm) {
        Map<String, Object> rounding = new LinkedHashMap<>();
        rounding.put(FUSED, algorithm.fused());
        rounding.put(SEED, seed(algorithm));
        return rounding;
    }

    /** {@return the seed of {@code algorithm}'s stochastic rounding, or null where it rounds to nearest} */
    private static Long seed(Algorithm algorithm) {
        return algorithm.stochasticRounding() == null ? null : algorithm.stochasticRounding().seed();
    }

    /**
     * How the file's writer rounded otherwise than the groups do: what vecoptim recorded ({@code rounding}: each
     * group's {@link Algorithm#fused()} and {@link Algorithm#stochasticRoundingSeed()}) or, in a file from PyTorch,
     * its param_groups' {@code fused}. The state loads all the same (its layout is the same); the warnings name the
     * setting that goes on with the writer's bits. {@code fused} is warned of only in a group with a 16-bit
     * parameter: float32 parameters' updates are the same either way.
     */
    private static List<String> roundingWarnings(Path file, Optimizer optimizer, Map<String, String> metadata)
            throws RefusedFileException {
        List<ParameterGroup> groups = optimizer.groups();
        List<?> recorded = StateDictLayout.jsonList(file, metadata, ROUNDING, false);
        if (recorded != null && recorded.size() != groups.size()) {
            throw Safetensors.refused(file, "its " + ROUNDING + " names " + recorded.size()
                    + " groups and this optimizer has " + groups.size());
        }
        List<?> pyTorchGroups = recorded == null && metadata.containsKey(TORCH_VERSION)
                ? StateDictLayout.jsonList(file, metadata, StateDictLayout.PARAM_GROUPS, true) : null;
        List<String> warnings = new ArrayList<>();
        for (ParameterGroup group : groups) {
            Algorithm here = group.algorithm();
            String at = "group " + group.index();
            boolean fused;
            Long seed = null;
            String writer;
            if (recorded != null) {
                if (!(recorded.get(group.index()) instanceof Map<?, ?> written) || !written.keySet()
                        .equals(Set.of(FUSED, SEED)) || !(written.get(FUSED) instanceof Boolean writtenFused)
                        || written.get(SEED) != null && !(written.get(SEED) instanceof Long)) {
                    throw Safetensors.refused(file, "its " + ROUNDING + "[" + group.index() + "] "
                            + new String(Json.write(recorded.get(group.index())), StandardCharsets.UTF_8)
                            + " is not {\"" + FUSED + "\": a boolean, \"" + SEED + "\": an integer or null}");
                }
                fused = writtenFused;
                seed = (Long) written.get(SEED);
                writer = "vecoptim";
            } else if (pyTorchGroups != null && group.index() < pyTorchGroups.size()
                    && pyTorchGroups.get(group.index()) instanceof Map<?, ?> written) {
                fused = Boolean.TRUE.equals(written.get(FUSED));
                writer = "PyTorch " + metadata.get(TORCH_VERSION);
            } else {
                continue;
            }
            boolean sixteenBits = group.parameters().stream().anyMatch(p -> p.dtype() != Dtype.FLOAT32);
            if (sixteenBits && fused != here.fused()) {
                warnings.add(at + " was written by " + writer + " with fused=" + (fused ? "True" : "False")
                        + " and runs fused=" + (here.fused() ? "True" : "False") + " here, whose 16-bit updates round"
                        + " otherwise; build it with .fused(" + fused + ") to go on with the writer's bits");
            }
            if (!Objects.equals(seed, seed(here))) {
                StochasticRounding written = seed == null ? null : new StochasticRounding(seed);
                warnings.add(at + " was written by " + writer + " rounding its state "
                        + StochasticRounding.describe(written) + " and rounds it "
                        + StochasticRounding.describe(here.stochasticRounding()) + " here; build it with "
                        + AlgorithmBuilder.roundingCall(written) + " to go on with the writer's bits");
            }
        }
        return warnings;
    }

    /**
     * How the file's writer differs from the groups' {@link Semantics}: what vecoptim recorded ({@code semantics},
     * each group's) or the PyTorch that wrote it ({@code torch_version}, from {@code state_dict.py}). The state
     * loads all the same (it has the same layout under both); the warnings name the setting that goes on with the
     * writer's bits.
     */
    private static List<String> semanticsWarnings(Path file, Optimizer optimizer, Map<String, String> metadata)
            throws RefusedFileException {
        List<ParameterGroup> groups = optimizer.groups();
        List<?> recorded = StateDictLayout.jsonList(file, metadata, SEMANTICS, false);
        String torch = metadata.get(TORCH_VERSION);
        if (recorded != null && recorded.size() != groups.size()) {
            throw Safetensors.refused(file, "its " + SEMANTICS + " name " + recorded.size() + " groups and this optimizer has "
                    + groups.size());
        }
        Semantics ofTorch = torch == null ? null : Semantics.ofTorchVersion(torch);
        if (torch != null && ofTorch == null) {
            throw Safetensors.refused(file, "its " + TORCH_VERSION + " \"" + torch + "\" is not a PyTorch version");
        }
        List<String> warnings = new ArrayList<>();
        for (ParameterGroup group : groups) {
            Semantics here = group.algorithm().semantics();
            Semantics written = ofTorch;
            String writer = "PyTorch " + torch;
            if (recorded != null) {
                written = recorded.get(group.index()) instanceof String name ? Semantics.named(name) : null;
                if (written == null) {
                    throw Safetensors.refused(file, "its " + SEMANTICS + "[" + group.index() + "] "
                            + NamedValues.repr(recorded.get(group.index())) + " is none of "
                            + List.of(Semantics.values()));
                }
                writer = "vecoptim under Semantics." + written.name();
            }
            if (written != null && written != here) {
                warnings.add("group " + group.index() + " was written by " + writer + " and runs Semantics."
                        + here.name() + " here, whose roundings differ (" + written.version() + " against "
                        + here.version() + "); build it with .semantics(Semantics." + written.name() + ") to go on"
                        + " with the bits of " + written.version());
            }
        }
        return warnings;
    }

    static List<Algorithm> hyperParameters(Path file, Optimizer optimizer, Map<String, String> metadata)
            throws RefusedFileException {
        List<?> groups = StateDictLayout.jsonList(file, metadata, StateDictLayout.PARAM_GROUPS, true);
        List<ParameterGroup> mine = optimizer.groups();
        if (groups.size() != mine.size()) {
            throw Safetensors.refused(file, "it has " + groups.size() + " param_groups and this optimizer " + mine.size());
        }
        List<?> names = StateDictLayout.jsonList(file, metadata, StateDictLayout.OPTIMIZERS, false);
        if (names != null && !names.stream().allMatch(String.class::isInstance)) {
            throw Safetensors.refused(file, "its optimizers " + names + " are not PyTorch class names");
        }
        if (names != null && names.size() != mine.size()) {
            throw Safetensors.refused(file, "its optimizers name " + names.size() + " groups and this optimizer has " + mine.size());
        }
        List<Algorithm> restored = new ArrayList<>();
        long first = 0;
        for (ParameterGroup group : mine) {
            String at = "param_groups[" + group.index() + "]";
            if (!(groups.get(group.index()) instanceof Map<?, ?> saved)) {
                throw Safetensors.refused(file, at + " is not a JSON object");
            }
            Algorithm algorithm = group.hyperParameters();
            if (names != null && !algorithm.name().equals(names.get(group.index()))) {
                throw Safetensors.refused(file, at + " is " + names.get(group.index()) + "'s in the file and " + algorithm.name()
                        + " here");
            }
            List<Long> expected = new ArrayList<>();
            for (int p = 0; p < group.parameters().size(); p++) {
                expected.add(first + p);
            }
            first += expected.size();
            if (!expected.equals(saved.get("params"))) {
                throw Safetensors.refused(file, at + " has the params " + saved.get("params") + " and this optimizer's group "
                        + group.index() + " " + expected + " (PyTorch numbers parameters group by group)");
            }
            restored.add(restoredHyperParameters(file, at, algorithm, saved));
        }
        return restored;
    }

    private static Algorithm restoredHyperParameters(Path file, String at, Algorithm algorithm, Map<?, ?> saved)
            throws RefusedFileException {
        Map<String, Object> mine = algorithm.namedHyperParameters();
        Map<String, Object> identifying = algorithm.identifyingEntries();
        Map<String, Object> read = new LinkedHashMap<>();
        for (Map.Entry<?, ?> entry : saved.entrySet()) {
            String key = (String) entry.getKey();
            if (NOT_HYPER_PARAMETERS.contains(key) || GroupState.isGroupState(algorithm, key)) {
                continue;
            }
            if (identifying.containsKey(key)) {
                if (!identifying.get(key).equals(entry.getValue())) {
                    throw Safetensors.refused(file, at + " has " + key + "=" + NamedValues.repr(entry.getValue())
                            + " and this group is " + algorithm.name());
                }
                continue;
            }
            if (!mine.containsKey(key)) {
                throw Safetensors.refused(file, at + " has " + key + ", which " + algorithm.name() + " does not have");
            }
            Object value = typed(entry.getValue());
            if (value == null || value.getClass() != mine.get(key).getClass()) {
                throw Safetensors.refused(file, at + " has " + key + "=" + NamedValues.repr(entry.getValue()) + ", not "
                        + NamedValues.kind(mine.get(key)));
            }
            read.put(key, value);
        }
        for (Map.Entry<String, Object> entry : mine.entrySet()) {
            String key = entry.getKey();
            if (read.containsKey(key)) {
                continue;
            }
            if (!(entry.getValue() instanceof Boolean flag)) {
                throw Safetensors.refused(file, at + " has no " + key);
            }
            // A PyTorch from before the flag (1.13's RAdam has no maximize): off, as load_state_dict takes it.
            if (flag) {
                throw Safetensors.refused(file, at + " has no " + key + ", which PyTorch takes as False, and " + key
                        + "=True here; a file restores numbers, not flags");
            }
            read.put(key, Boolean.FALSE);
        }
        String flags = NamedValues.flagMismatch(read, mine, "file");
        if (flags != null) {
            throw Safetensors.refused(file, at + flags);
        }
        try {
            return algorithm.withNamedHyperParameters(read);
        } catch (IllegalArgumentException invalid) {
            throw new RefusedFileException(file + ": " + at + " holds invalid hyper-parameters: " + invalid.getMessage(),
                    invalid);
        }
    }

    /** A JSON value as {@link NamedValues} reads it: integers as doubles, lists of numbers as tuples. */
    private static Object typed(Object value) {
        if (value instanceof Long integer) {
            return integer.doubleValue();
        }
        if (value instanceof List<?> list && list.stream().allMatch(Number.class::isInstance)) {
            return list.stream().mapToDouble(number -> ((Number) number).doubleValue()).toArray();
        }
        return value;
    }
}
