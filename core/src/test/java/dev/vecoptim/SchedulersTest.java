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
        List<Double> restarts = rates(Schedulers.cosineAnnealingWarmRestarts(1, 2, 2, 0), 7);
        List<Double> periods = List.of(1.0, 0.5, 1.0, (1 + Math.sqrt(0.5)) / 2, 0.5, (1 - Math.sqrt(0.5)) / 2, 1.0);
        for (int t = 0; t < periods.size(); t++) {
            assertEquals(periods.get(t), restarts.get(t), 1e-15, "periods of 2, then 4: step " + t);
        }
        assertEquals(List.of(1.0, 0.5, 1.0 / 3, 0.25, 0.2), rates(Schedulers.lambdaLR(1, t -> 1.0 / (1 + t)), 5));
        assertEquals(List.of(1.0, 0.5, 0.25), rates(Schedulers.multiplicativeLR(1, t -> 0.5), 3));
        assertEquals(List.of(0.0, 0.5, 1.0, 0.5, 0.0, 0.5), rates(Schedulers.cyclicLR(0, 1, 2, 2,
                Schedulers.CyclicMode.TRIANGULAR, 1), 6));
        assertEquals(List.of(0.0, 1.0, 0.0, 0.5, 0.0, 0.25), rates(Schedulers.cyclicLR(0, 1, 1, 1,
                Schedulers.CyclicMode.TRIANGULAR2, 1), 6), "each cycle half as high");
        // Linear over 2 steps from 1 to 0: 1/2 at step 1, then 0; with no annealing, 0 at once.
        assertEquals(List.of(1.0, 0.5, 0.0, 0.0), rates(Schedulers.swaLR(1, 0, 2, Schedulers.Anneal.LINEAR), 4));
        assertEquals(List.of(0.0, 0.0), rates(Schedulers.swaLR(1, 0, 0, Schedulers.Anneal.COS), 2));
        // After a milestone, one step ahead, as PyTorch's SWALR counts its own steps: 1/2 at the milestone, then 0.
        assertEquals(List.of(1.0, 1.0, 0.5, 0.0, 0.0), rates(Schedulers.sequentialLR(List.of(Schedulers.stepLR(1, 100,
                0.5), Schedulers.swaLR(1, 0, 2, Schedulers.Anneal.LINEAR)), List.of(2L)), 5));
        // Linear, two phases: 1/4 up to 1 at step 1, down to 1/16 at step 3, and on down past it at step 4.
        assertEquals(List.of(0.25, 1.0, 0.53125, 0.0625, -0.40625), rates(Schedulers.oneCycleLR(1, 4, 0.5,
                Schedulers.Anneal.LINEAR, 4, 4, false), 5));
    }

    @Test
    void aSchedulePerEpochHoldsEachEpochsRateForItsSteps() {
        LearningRateSchedule epochs = Schedulers.exponentialLR(1, 0.5);
        assertEquals(List.of(1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25), rates(Schedulers.perEpoch(epochs, 3), 7));
        assertEquals("PerEpoch(schedule=torch.optim.lr_scheduler.ExponentialLR(lr=1.0, gamma=0.5), steps_per_epoch=3)",
                Schedulers.perEpoch(epochs, 3).toString());
        refused("stepsPerEpoch must be >= 1, was 0", () -> Schedulers.perEpoch(epochs, 0));
    }

    @Test
    void compositesStepTheirSchedulesAsPyTorchsDo() {
        // At the milestone the next schedule starts from its closed form at step 0: the group's initial rate.
        assertEquals(List.of(0.5, 0.5, 1.0, 0.5, 0.25), rates(Schedulers.sequentialLR(List.of(
                Schedulers.constantLR(1, 0.5, 10), Schedulers.exponentialLR(1, 0.5)), List.of(2L)), 5));
        // Each schedule steps the rate the one before it wrote.
        assertEquals(List.of(0.5, 0.25, 0.25, 0.125), rates(Schedulers.chainedScheduler(List.of(
                Schedulers.constantLR(1, 0.5, 2), Schedulers.exponentialLR(1, 0.5))), 4));
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
        refused("tMult must be >= 1, was 0", () -> Schedulers.cosineAnnealingWarmRestarts(0.1, 3, 0, 0));
        LearningRateSchedule first = Schedulers.exponentialLR(0.1, 0.5);
        LearningRateSchedule second = Schedulers.stepLR(0.1, 2, 0.5);
        refused("milestones must be increasing and >= 1, were [0]", () -> Schedulers.sequentialLR(List.of(first,
                second), List.of(0L)));
        refused("milestones must be increasing and >= 1, were [4, 4]", () -> Schedulers.sequentialLR(List.of(first,
                second, first), List.of(4L, 4L)));
        refused("sequentialLR needs one milestone fewer than schedules, not 2 for 2", () -> Schedulers.sequentialLR(
                List.of(first, second), List.of(2L, 5L)));
        refused("chainedScheduler's schedules are of one group and start from one lr, not 0.1 and 0.2",
                () -> Schedulers.chainedScheduler(List.of(first, Schedulers.stepLR(0.2, 2, 0.5))));
        refused("a sequentialLR cannot hold a sequentialLR or a chainedScheduler: PyTorch's SequentialLR starts each"
                + " of its schedulers again, which they cannot be as the others are",
                () -> Schedulers.sequentialLR(List.of(first, Schedulers.chainedScheduler(List.of(second))),
                        List.of(3L)));
        refused("annealEpochs must be >= 0, was -1", () -> Schedulers.swaLR(0.1, 0.05, -1, Schedulers.Anneal.COS));
        refused("chainedScheduler needs at least one schedule", () -> Schedulers.chainedScheduler(List.of()));
        refused("sequentialLR of more than one swaLR: PyTorch's SWALRs keep their swa_lr in the group, where the last"
                + " one made overwrites the others', which vecoptim does not reproduce", () -> Schedulers.sequentialLR(
                        List.of(Schedulers.swaLR(1, 0, 2, Schedulers.Anneal.COS), Schedulers.swaLR(1, 0.5, 2,
                                Schedulers.Anneal.COS)), List.of(3L)));
        refused("OneCycleLR was made for 4 steps: it has the rates of steps 0 to 4, not of step 5 (PyTorch's"
                + " scheduler.step() raises)", () -> Schedulers.oneCycleLR(0.1, 4).lr(5));
        refused("OneCycleLR's phases end at steps [0.0, 9.0]: a phase of no length that a step falls in (PyTorch"
                + " divides by zero there); change pctStart or totalSteps", () -> Schedulers.oneCycleLR(0.1, 10, 0.1,
                        Schedulers.Anneal.COS, 25, 1e4, false));
        refused("pctStart must be in [0, 1], was 1.5", () -> Schedulers.oneCycleLR(0.1, 10, 1.5,
                Schedulers.Anneal.COS, 25, 1e4, false));
        refused("divFactor and finalDivFactor must be positive and finite, were 0.0 and 10000.0",
                () -> Schedulers.oneCycleLR(0.1, 10, 0.3, Schedulers.Anneal.COS, 0, 1e4, false));
        refused("stepSizeDown must be >= 1, was 0", () -> Schedulers.cyclicLR(0.01, 0.1, 3, 0,
                Schedulers.CyclicMode.TRIANGULAR, 1));
        refused("sequentialLR takes the schedules of Schedulers, not constant(lr=0.1)", () -> Schedulers.sequentialLR(
                List.of(LearningRateSchedule.constant(0.1)), List.of()));
    }

    private static void refused(String message, Supplier<?> call) {
        assertEquals(message, assertThrows(IllegalArgumentException.class, call::get).getMessage());
    }
}
