package dev.vecoptim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.vecoptim.io.Json;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link ReduceLROnPlateau} gives PyTorch 1.13's and 2.6's rates, best metric and counters after every epoch of
 * recorded runs ({@code plateau-<version>.json}, {@code src/test/python/make_plateau_golden.py}); its state dict
 * resumes a run in the middle; bad arguments and groups it cannot set are refused.
 */
class ReduceLROnPlateauTest {

    static Stream<Arguments> cases() {
        return GoldenJson.cases("plateau", (version, file, recorded) -> Arguments.of(version,
                String.valueOf(recorded.get("arguments")), file.get("metrics"), recorded)).stream();
    }

    /** Two groups of SGD at 0.1 and 0.05, as the recording's. */
    private static Optimizer twoGroups() {
        Optimizer optimizer = Optimizer.builder().threads(1).build();
        for (double lr : new double[] {0.1, 0.05}) {
            optimizer.addGroup(Sgd.builder(lr).build()).allocate(1);
        }
        return optimizer;
    }

    @SuppressWarnings("unchecked")
    private static ReduceLROnPlateau.Builder builder(Map<String, Object> arguments) {
        ReduceLROnPlateau.Builder builder = ReduceLROnPlateau.builder();
        if ("max".equals(arguments.get("mode"))) {
            builder.mode(ReduceLROnPlateau.Mode.MAX);
        }
        if (arguments.get("factor") instanceof Double factor) {
            builder.factor(factor);
        }
        if (arguments.get("patience") instanceof Long patience) {
            builder.patience(patience);
        }
        if (arguments.get("threshold") instanceof Double threshold) {
            builder.threshold(threshold, "abs".equals(arguments.get("threshold_mode"))
                    ? ReduceLROnPlateau.ThresholdMode.ABS : ReduceLROnPlateau.ThresholdMode.REL);
        }
        if (arguments.get("cooldown") instanceof Long cooldown) {
            builder.cooldown(cooldown);
        }
        if (arguments.get("min_lr") instanceof Double minLr) {
            builder.minLr(minLr);
        } else if (arguments.get("min_lr") instanceof List<?> minLrs) {
            builder.minLrs((List<Double>) minLrs);
        }
        if (arguments.get("eps") instanceof Double eps) {
            builder.eps(eps);
        }
        return builder;
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    @SuppressWarnings("unchecked")
    void everyEpochIsPyTorchsBitForBit(String version, String label, List<String> metrics,
                                       Map<String, Object> recorded) {
        Map<String, Object> arguments = (Map<String, Object>) recorded.get("arguments");
        List<Map<String, Object>> epochs = (List<Map<String, Object>>) recorded.get("epochs");
        double sign = "max".equals(arguments.get("mode")) ? -1 : 1;
        try (Optimizer optimizer = twoGroups(); Optimizer resumed = twoGroups()) {
            ReduceLROnPlateau plateau = builder(arguments).build(optimizer);
            ReduceLROnPlateau resumedPlateau = builder(arguments).build(resumed);
            for (int epoch = 0; epoch < metrics.size(); epoch++) {
                double metric = sign * fromHex(metrics.get(epoch));
                plateau.step(metric);
                Map<String, Object> expected = epochs.get(epoch);
                String at = version + " " + label + " epoch " + epoch;
                List<String> lrs = (List<String>) expected.get("lrs");
                for (int g = 0; g < 2; g++) {
                    assertEquals(fromHex(lrs.get(g)), optimizer.groups().get(g).lr(), at + " group " + g);
                }
                Map<String, Object> state = plateau.stateDict();
                assertEquals(fromHex((String) expected.get("best")), state.get("best"), at);
                assertEquals(expected.get("num_bad_epochs"), state.get("num_bad_epochs"), at);
                assertEquals(expected.get("cooldown_counter"), state.get("cooldown_counter"), at);
                if (epoch == metrics.size() / 2) {
                    // A run resumed here, its state dict through JSON, goes on as the first.
                    for (int g = 0; g < 2; g++) {
                        resumed.groups().get(g).lr(optimizer.groups().get(g).lr());
                    }
                    resumedPlateau.loadStateDict((Map<String, Object>) Json.parse(Json.write(state)));
                } else if (epoch > metrics.size() / 2) {
                    resumedPlateau.step(metric);
                    assertEquals(state, resumedPlateau.stateDict(), at + ", resumed");
                }
            }
        }
    }

    /**
     * In a job of threads: every process lowers its rates together; a metric that differs, or a check that fails on one
     * process, is refused on all.
     */
    @Test
    void aShardedOptimizersRatesStayTheSameOnEveryProcess() {
        List<String> verdicts = ThreadedJob.run(3, world -> {
            try (ShardedOptimizer sharded = ShardedOptimizer.builder(world).threads(1).build()) {
                sharded.addGroup(Sgd.builder(0.1).build(), 8, 3);
                ReduceLROnPlateau plateau = ReduceLROnPlateau.builder().patience(0).build(sharded);
                plateau.step(1.0);
                plateau.step(2.0);
                String reduced = String.valueOf(sharded.groups().getFirst().lr());
                String refused = assertThrows(IllegalArgumentException.class,
                        () -> plateau.step(world.rank() == 1 ? 5.0 : 3.0)).getMessage();
                // A group with a schedule on one process only: every process refuses the epoch.
                if (world.rank() == 2) {
                    sharded.groups().getFirst().schedule(LearningRateSchedule.constant(0.1));
                }
                String oneRefused = assertThrows(IllegalStateException.class, () -> plateau.step(3.0)).getMessage();
                return reduced + "; " + refused + "; " + oneRefused + "; " + sharded.groups().getFirst().lr() + " "
                        + plateau.stateDict().get("last_epoch");
            }
        });
        assertEquals(java.util.Collections.nCopies(3, "0.010000000000000002; process [1] gave another metric than"
                + " process 0; give every process the same (the job's, averaged over its processes); nothing was"
                + " changed; process 2 of 3: group 0 has a schedule, which sets its rate at every step over"
                + " ReduceLROnPlateau's;"
                + " nothing was changed; 0.010000000000000002 2"), verdicts);
    }

    @Test
    void badArgumentsAndGroupsItCannotSetAreRefused() {
        refused("factor must be in [0, 1), was 1.0", () -> ReduceLROnPlateau.builder().factor(1));
        refused("patience must be >= 0, was -1", () -> ReduceLROnPlateau.builder().patience(-1));
        refused("cooldown must be >= 0, was -2", () -> ReduceLROnPlateau.builder().cooldown(-2));
        refused("threshold must be finite and >= 0, was NaN", () -> ReduceLROnPlateau.builder().threshold(Double.NaN,
                ReduceLROnPlateau.ThresholdMode.ABS));
        refused("eps must be finite and >= 0, was -1.0", () -> ReduceLROnPlateau.builder().eps(-1));
        refused("Invalid learning rate: -0.1", () -> ReduceLROnPlateau.builder().minLr(-0.1));
        try (Optimizer optimizer = twoGroups(); Optimizer another = twoGroups()) {
            refused("expected 2 min_lrs, one per group, got 1", () -> ReduceLROnPlateau.builder()
                    .minLrs(List.of(0.1)).build(optimizer));
            ReduceLROnPlateau plateau = ReduceLROnPlateau.builder().patience(0).build(optimizer);
            optimizer.groups().get(1).schedule(LearningRateSchedule.constant(0.05));
            assertEquals("group 1 has a schedule, which sets its rate at every step over ReduceLROnPlateau's; nothing"
                    + " was changed", assertThrows(IllegalStateException.class, () -> plateau.step(1)).getMessage());
            assertEquals(0L, plateau.stateDict().get("last_epoch"), "nothing was changed");
            optimizer.groups().get(1).schedule(null);
            optimizer.addGroup(Sgd.builder(0.2).build());
            assertEquals("ReduceLROnPlateau was made for 2 groups, and the optimizer has 3; nothing was changed",
                    assertThrows(IllegalStateException.class, () -> plateau.step(1)).getMessage());
            Map<String, Object> other = ReduceLROnPlateau.builder().patience(3).build(another).stateDict();
            assertEquals("ReduceLROnPlateau's patience is 0 here and 3 in the state; nothing was loaded",
                    assertThrows(IllegalArgumentException.class, () -> plateau.loadStateDict(other)).getMessage());
            Map<String, Object> broken = new LinkedHashMap<>(plateau.stateDict());
            broken.put("num_bad_epochs", -1L);
            assertEquals("ReduceLROnPlateau's num_bad_epochs is not a count in the state: -1; nothing was loaded",
                    assertThrows(IllegalArgumentException.class, () -> plateau.loadStateDict(broken)).getMessage());
        }
    }

    /** A double as Python's {@code float.hex} writes it, {@code nan} and {@code inf} included. */
    private static double fromHex(String hex) {
        return switch (hex) {
            case "nan" -> Double.NaN;
            case "inf" -> Double.POSITIVE_INFINITY;
            case "-inf" -> Double.NEGATIVE_INFINITY;
            default -> Double.parseDouble(hex);
        };
    }

    private static void refused(String message, org.junit.jupiter.api.function.Executable call) {
        assertEquals(message, assertThrows(IllegalArgumentException.class, call).getMessage());
    }
}
