package dev.vecoptim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.function.Supplier;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

/**
 * {@link Schedulers} on hand-computed rates (powers of two, where every rounding is exact), and their refusals of
 * arguments PyTorch would divide by zero with or that make no schedule.
 */
class SchedulersTest {

    private static List<Double> rates(LearningRateSchedule schedule, int steps) {
        return LongStream.range(0, steps).mapToObj(schedule::lr).toList();
    }

    @Test
    void eachGivesItsHandComputedRates() {
        assertEquals(List.of(1.0, 1.0, 0.5, 0.5, 0.25), rates(Schedulers.stepLR(1, 2, 0.5), 5));
        assertEquals(List.of(1.0, 0.5, 0.5, 0.125, 0.125), rates(Schedulers.multiStepLR(1, List.of(3L, 1L, 3L), 0.5),
                5), "a milestone given twice decays twice");
        assertEquals(List.of(0.5, 0.5, 1.0, 1.0), rates(Schedulers.constantLR(1, 0.5, 2), 4));
        assertEquals(List.of(0.5, 1.0, 1.0), rates(Schedulers.linearLR(1, 0.5, 1, 1), 3));
        assertEquals(List.of(1.0, 0.5, 0.25), rates(Schedulers.exponentialLR(1, 0.5), 3));
        assertEquals(List.of(1.0, 0.5, 0.0, 0.0), rates(Schedulers.polynomialLR(1, 2, 1), 4));
        List<Double> cosine = rates(Schedulers.cosineAnnealingLR(1, 2, 0), 5);
        List<Double> expected = List.of(1.0, 0.5, 0.0, 0.5, 1.0);
        for (int t = 0; t < expected.size(); t++) {
            assertEquals(expected.get(t), cosine.get(t), 1e-15, "down to 0 at T_max, up again after: step " + t);
        }
    }

    @Test
    void argumentsOutOfRangeAreRefused() {
        refused("Invalid learning rate: -0.1", () -> Schedulers.stepLR(-0.1, 2, 0.5));
        refused("stepSize must be >= 1, was 0", () -> Schedulers.stepLR(0.1, 0, 0.5));
        refused("gamma must be finite and >= 0, was NaN", () -> Schedulers.exponentialLR(0.1, Double.NaN));
        refused("milestones must be >= 0, were [3, -1]", () -> Schedulers.multiStepLR(0.1, List.of(3L, -1L), 0.5));
        refused("factor must be in (0, 1], was 0.0", () -> Schedulers.constantLR(0.1, 0, 3));
        refused("totalIters must be >= 0, was -1", () -> Schedulers.constantLR(0.1, 0.5, -1));
        refused("startFactor must be in (0, 1], was 0.0", () -> Schedulers.linearLR(0.1, 0, 1, 3));
        refused("endFactor must be in [0, 1], was 1.5", () -> Schedulers.linearLR(0.1, 0.5, 1.5, 3));
        refused("totalIters must be >= 1, was 0", () -> Schedulers.polynomialLR(0.1, 0, 1));
        refused("power must be finite and >= 0, was -1.0", () -> Schedulers.polynomialLR(0.1, 3, -1));
        refused("tMax must be >= 1, was 0", () -> Schedulers.cosineAnnealingLR(0.1, 0, 0));
        refused("Invalid learning rate: -1.0", () -> Schedulers.cosineAnnealingLR(0.1, 3, -1));
        refused("completedSteps must be >= 0, was -1", () -> Schedulers.exponentialLR(0.1, 0.5).lr(-1));
    }

    private static void refused(String message, Supplier<?> call) {
        assertEquals(message, assertThrows(IllegalArgumentException.class, call::get).getMessage());
    }
}
