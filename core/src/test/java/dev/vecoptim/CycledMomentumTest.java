package dev.vecoptim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * CyclicLR and OneCycleLR cycling the momentum (PyTorch's default {@code cycle_momentum=True}) through real steps of
 * SGD, SGD with Nesterov, Adam (β1) and RMSprop, alone, inside SequentialLR and ChainedScheduler, and stepped per
 * epoch, each rebuilt from its description as a load rebuilds it: every step's momentum, rate and parameters equal
 * PyTorch 1.13's and 2.6's recorded runs bit for bit ({@code cycle-<version>.json},
 * {@code src/test/python/make_cycle_golden.py}), and what PyTorch refuses is refused.
 */
class CycledMomentumTest {

    static Stream<Arguments> cases() {
        return GoldenJson.cases("cycle", (version, file, recorded) -> Arguments.of(version, recorded.get("optimizer")
                + " " + recorded.get("scheduler"), file.get("sizes"), recorded)).stream();
    }

    private static float gradient(int k, long i, int t) {
        return (float) (((i * 5 + k * 11 + t * 17) % 23 - 11) * 0.013);
    }

    private static float initial(int k, long i) {
        return (float) (((i * 3 + k * 7) % 19 - 9) * 0.05);
    }

    @SuppressWarnings("unchecked")
    private static Algorithm optimizer(String name, Map<String, Object> arguments, Semantics semantics) {
        double lr = (Double) arguments.get("lr");
        return switch (name) {
            case "SGD" -> Sgd.builder(lr).momentum((Double) arguments.get("momentum"))
                    .nesterov(Boolean.TRUE.equals(arguments.get("nesterov"))).semantics(semantics).build();
            case "Adam" -> Adam.builder().lr(lr).semantics(semantics).build();
            case "RMSprop" -> RmsProp.builder().lr(lr).momentum((Double) arguments.get("momentum"))
                    .semantics(semantics).build();
            default -> throw new IllegalArgumentException("no optimizer " + name);
        };
    }

    /**
     * The recorded scheduler: a composite of its parts (each made with its {@code vecoptim_lr}), stepped per epoch when
     * the case has {@code per_epoch}.
     */
    @SuppressWarnings("unchecked")
    private static LearningRateSchedule schedule(String name, Map<String, Object> arguments) {
        if (arguments.get("per_epoch") instanceof Long stepsPerEpoch) {
            Map<String, Object> perStep = new java.util.LinkedHashMap<>(arguments);
            perStep.remove("per_epoch");
            return Schedulers.perEpoch(schedule(name, perStep), stepsPerEpoch);
        }
        if (arguments.get("schedulers") instanceof List<?> recordedParts) {
            List<LearningRateSchedule> parts = recordedParts.stream().map(part -> (List<Object>) part)
                    .map(part -> schedule((String) part.get(0), (Map<String, Object>) part.get(1))).toList();
            return name.equals("SequentialLR") ? Schedulers.sequentialLR(parts, (List<Long>) arguments.get("milestones"))
                    : Schedulers.chainedScheduler(parts);
        }
        return switch (name) {
            case "LinearLR" -> Schedulers.linearLR((Double) arguments.get("vecoptim_lr"),
                    (Double) arguments.get("start_factor"), 1.0, (Long) arguments.get("total_iters"));
            case "ConstantLR" -> Schedulers.constantLR((Double) arguments.get("vecoptim_lr"),
                    (Double) arguments.get("factor"), (Long) arguments.get("total_iters"));
            case "ExponentialLR" -> Schedulers.exponentialLR((Double) arguments.get("vecoptim_lr"),
                    (Double) arguments.get("gamma"));
            default -> cycling(name, arguments);
        };
    }

    private static LearningRateSchedule cycling(String name, Map<String, Object> arguments) {
        double baseMomentum = (Double) arguments.get("base_momentum");
        double maxMomentum = (Double) arguments.get("max_momentum");
        if (name.equals("CyclicLR")) {
            return Schedulers.cyclicLR((Double) arguments.get("base_lr"), (Double) arguments.get("max_lr"),
                    (Long) arguments.get("step_size_up"), (Long) arguments.get("step_size_down"),
                    "exp_range".equals(arguments.get("mode")) ? Schedulers.CyclicMode.EXP_RANGE
                            : Schedulers.CyclicMode.TRIANGULAR, (Double) arguments.getOrDefault("gamma", 1.0),
                    baseMomentum, maxMomentum);
        }
        return Schedulers.oneCycleLR((Double) arguments.get("max_lr"), (Long) arguments.get("total_steps"), 0.3,
                "linear".equals(arguments.get("anneal_strategy")) ? Schedulers.Anneal.LINEAR : Schedulers.Anneal.COS,
                25, 1e4, Boolean.TRUE.equals(arguments.get("three_phase")), baseMomentum, maxMomentum);
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    @SuppressWarnings("unchecked")
    void everyStepIsPyTorchsBitForBit(String version, String label, List<Long> sizes, Map<String, Object> recorded) {
        Semantics semantics = version.equals("1.13") ? Semantics.PYTORCH_1_13 : Semantics.PYTORCH_2;
        Algorithm algorithm = optimizer((String) recorded.get("optimizer"),
                (Map<String, Object>) recorded.get("optimizer_arguments"), semantics);
        LearningRateSchedule made = schedule((String) recorded.get("scheduler"),
                (Map<String, Object>) recorded.get("scheduler_arguments"));
        // As a load gives it back: rebuilt from the description a file holds.
        LearningRateSchedule schedule = SavedSchedule.rebuild(dev.vecoptim.io.Json.parse(SavedSchedule.describe(
                java.util.Optional.of(made)).getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        try (Optimizer optimizer = Optimizer.builder().threads(1).build()) {
            ParameterGroup group = optimizer.addGroup(algorithm);
            List<Parameter> parameters = group.allocate(sizes.stream().mapToLong(Long::longValue).toArray());
            if (recorded.get("refused") instanceof String message) {
                assertEquals("optimizer must support momentum with `cycle_momentum` option enabled (PyTorch 1.13's"
                        + " CyclicLR): Adam has betas", assertThrows(IllegalArgumentException.class,
                                () -> group.schedule(schedule)).getMessage(), message);
                return;
            }
            group.schedule(schedule);
            for (int k = 0; k < parameters.size(); k++) {
                for (long i = 0; i < sizes.get(k); i++) {
                    parameters.get(k).value().setAtIndex(ValueLayout.JAVA_FLOAT, i, initial(k, i));
                }
            }
            List<Map<String, Object>> steps = (List<Map<String, Object>>) recorded.get("steps");
            for (int t = 0; t < steps.size(); t++) {
                for (int k = 0; k < parameters.size(); k++) {
                    for (long i = 0; i < sizes.get(k); i++) {
                        parameters.get(k).grad().setAtIndex(ValueLayout.JAVA_FLOAT, i, gradient(k, i, t));
                    }
                }
                optimizer.step();
                Map<String, Object> expected = steps.get(t);
                String at = version + " " + label + " step " + t;
                assertEquals(Double.parseDouble((String) expected.get("momentum")), schedule.momentum(t).orElseThrow(),
                        at + " momentum");
                assertEquals(Double.parseDouble((String) expected.get("lr")), schedule.lr(t), at + " lr");
                List<List<Long>> values = (List<List<Long>>) expected.get("values");
                for (int k = 0; k < parameters.size(); k++) {
                    MemorySegment value = parameters.get(k).value();
                    for (int i = 0; i < values.get(k).size(); i++) {
                        assertEquals(values.get(k).get(i).intValue(), value.getAtIndex(ValueLayout.JAVA_INT, i),
                                at + " parameter " + k + " element " + i);
                    }
                }
            }
        }
    }

    @Test
    void optimizersThatCannotCycleTheirMomentumAreRefused() {
        try (Optimizer optimizer = Optimizer.builder().build(); Optimizer sgd = Optimizer.builder().build()) {
            LearningRateSchedule cycling = Schedulers.oneCycleLR(0.1, 10, 0.3, Schedulers.Anneal.COS, 25, 1e4, false,
                    0.85, 0.95);
            ParameterGroup adagrad = optimizer.addGroup(Adagrad.builder().build());
            assertEquals("optimizer must support momentum or beta1 with `cycle_momentum` option enabled: Adagrad has"
                    + " neither", assertThrows(IllegalArgumentException.class, () -> adagrad.schedule(cycling))
                    .getMessage());
            ParameterGroup plain = sgd.addGroup(Sgd.builder(0.1).build());
            plain.allocate(4);
            assertEquals("group 0's parameters keep [], and at momentum 0.85 SGD keeps [momentum_buffer]: build it with"
                    + " a momentum the schedule keeps, or cycle none", assertThrows(IllegalArgumentException.class,
                            () -> plain.schedule(cycling)).getMessage());
            assertEquals(java.util.Optional.empty(), plain.schedule());
            // As a load restores it, unchecked: the step refuses it and changes nothing.
            plain.restoreSchedule(cycling);
            assertEquals("momentum 0.95 would make SGD keep [momentum_buffer] where group 0's parameters keep [] from"
                    + " group 0's schedule at step 1; nothing was changed", assertThrows(
                            IllegalArgumentException.class, sgd::step).getMessage());
            assertEquals(0, sgd.stepCount());
            assertEquals("sequentialLR of more than one oneCycleLR: PyTorch's OneCycleLRs keep their max_lr, initial_lr,"
                    + " min_lr and momenta in the group, where the last one made overwrites the others', which vecoptim"
                    + " does not reproduce", assertThrows(IllegalArgumentException.class, () -> Schedulers.sequentialLR(
                            List.of(cycling, Schedulers.oneCycleLR(0.1, 4)), List.of(10L))).getMessage());
            assertEquals("baseMomentum and maxMomentum must be finite and >= 0, were -0.1 and 0.9", assertThrows(
                    IllegalArgumentException.class, () -> Schedulers.cyclicLR(0.1, 1, 2, 2,
                            Schedulers.CyclicMode.TRIANGULAR, 1, -0.1, 0.9)).getMessage());
        }
    }
}
