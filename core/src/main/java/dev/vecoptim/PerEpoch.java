package dev.vecoptim;

import java.util.OptionalDouble;

/**
 * A schedule of epochs stepped once per epoch of {@code stepsPerEpoch} optimizer steps: the rate and momentum of
 * optimizer step {@code t} are the schedule's at epoch {@code t / stepsPerEpoch}, as a PyTorch program that calls
 * {@code scheduler.step()} after each epoch's last {@code optimizer.step()} has them.
 *
 * @param schedule the schedule of epochs
 * @param stepsPerEpoch the optimizer steps of an epoch, ≥ 1
 */
record PerEpoch(LearningRateSchedule schedule, long stepsPerEpoch) implements LearningRateSchedule {

    @Override
    public double lr(long completedSteps) {
        return schedule.lr(completedSteps / stepsPerEpoch);
    }

    @Override
    public OptionalDouble momentum(long completedSteps) {
        return schedule.momentum(completedSteps / stepsPerEpoch);
    }

    /** {@return the momentum it sets if its schedule cycles it, by optimizer steps; or null} */
    ChainedSchedule.Momentum cycledMomentum() {
        ChainedSchedule.Momentum ofEpochs = ChainedSchedule.cycledMomentum(schedule);
        return ofEpochs == null ? null : new ChainedSchedule.Momentum(
                t -> ofEpochs.ofStep().applyAsDouble(t / stepsPerEpoch), ofEpochs.lowest(), ofEpochs.highest(),
                ofEpochs.betasUnder113());
    }
}
