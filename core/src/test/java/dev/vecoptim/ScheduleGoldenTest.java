package dev.vecoptim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongToDoubleFunction;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link Schedulers}' rates equal PyTorch's chainable schedulers' bit for bit, on sequences recorded from PyTorch
 * 1.13 and 2.6 ({@code schedules-<version>.json}, {@code src/test/python/make_schedule_golden.py}): each schedule is
 * rebuilt from its saved description, as a load rebuilds it (nested ones too), or made with the recording's
 * functions, and asked for its rates in order, then out of order.
 */
class ScheduleGoldenTest {

    static Stream<Arguments> cases() {
        return GoldenJson.cases("schedules", (version, file, recorded) -> Arguments.of(version, recorded.get("name")
                + " " + recorded.get("arguments"), recorded)).stream();
    }

    /** The tests run with native access, so that the schedules call the C library's functions, as Python does. */
    @Test
    void theSchedulesCallTheCLibrarysFunctions() {
        assertTrue(CMath.fromC(), "run the tests with --enable-native-access=dev.vecoptim (or ALL-UNNAMED)");
        assertEquals(Math.cos(1e22), CMath.cos(1e22), 1e-15);
        assertEquals(0.25, CMath.pow(0.5, 2));
        assertEquals(0.0, CMath.log(1));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    @SuppressWarnings("unchecked")
    void chainableRatesArePyTorchsBitForBit(String version, String label, Map<String, Object> recorded) {
        LearningRateSchedule schedule = schedule((String) recorded.get("name"), (Double) recorded.get("lr"),
                (Map<String, Object>) recorded.get("arguments"));
        List<String> rates = (List<String>) recorded.get("lrs");
        List<String> wrong = new ArrayList<>();
        for (int t = 0; t < rates.size(); t++) {
            double expected = Double.parseDouble(rates.get(t));
            double actual = schedule.lr(t);
            if (Double.doubleToRawLongBits(expected) != Double.doubleToRawLongBits(actual)) {
                wrong.add("step " + t + ": " + actual + ", PyTorch " + version + " " + expected + " ("
                        + Math.round((actual - expected) / Math.ulp(expected)) + " ulp)");
            }
        }
        assertEquals(List.of(), wrong, label);
        for (int t : new int[] {rates.size() / 2, 3, 0, rates.size() - 1}) {
            assertEquals(Double.parseDouble(rates.get(t)), schedule.lr(t), "step " + t + " asked out of order");
        }
    }

    /**
     * The schedule of a recorded case: LambdaLR and MultiplicativeLR with {@code LAMBDAS}' functions of the recording
     * script, the others rebuilt from their description.
     */
    private static LearningRateSchedule schedule(String name, double lr, Map<String, Object> arguments) {
        if (arguments.get("lr_lambda") instanceof String function) {
            LongToDoubleFunction lambda = switch (function) {
                case "warmup" -> t -> Math.min(1.0, (t + 1) / 8.0);
                case "inverse" -> t -> 1.0 / (1 + t);
                case "every third" -> t -> t % 3 == 0 ? 0.5 : 1.0;
                default -> throw new IllegalArgumentException("no function " + function);
            };
            return name.equals("LambdaLR") ? Schedulers.lambdaLR(lr, lambda) : Schedulers.multiplicativeLR(lr, lambda);
        }
        return SavedSchedule.rebuild(description(name, lr, arguments));
    }

    /**
     * A case's scheduler as a file describes it: its name, the group's lr (unless it sets its own rates: a composite,
     * CyclicLR, OneCycleLR), its arguments (but {@code cycle_momentum}, false in every case, which vecoptim's are), and
     * its schedulers so described.
     */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> description(String name, double lr, Map<String, Object> arguments) {
        Map<String, Object> description = new LinkedHashMap<>();
        description.put("name", (name.equals("SWALR") ? "torch.optim.swa_utils." : "torch.optim.lr_scheduler.") + name);
        if (!arguments.containsKey("schedulers") && !arguments.containsKey("max_lr")) {
            description.put("lr", lr);
        }
        arguments.forEach((argument, value) -> {
            if (argument.equals("schedulers")) {
                description.put(argument, ((List<Map<String, Object>>) value).stream().map(inner -> description(
                        (String) inner.get("name"), lr, (Map<String, Object>) inner.get("arguments"))).toList());
            } else if (!argument.equals("cycle_momentum")) {
                description.put(argument, value);
            }
        });
        return description;
    }
}
