package dev.vecoptim;

/**
 * A schedule in PyTorch's chainable form: the rate at step 0 is {@code first}, and each step's rate is computed from
 * the rate before it ({@code group['lr']} in PyTorch's {@code get_lr()}), in double as Python computes it. The rates
 * are a function of the step alone, so a resumed run gets them again from the schedule and the step count; they are
 * computed forward from the last one asked for (steps come in order), or from step 0 for an earlier step.
 */
final class ChainedSchedule implements LearningRateSchedule {

    /** The rate of step {@code step} ≥ 1 from the rate of the step before it. */
    @FunctionalInterface
    interface Recurrence {
        double next(double previous, long step);
    }

    private final double first;
    private final Recurrence recurrence;
    // The last rate computed and its step: guarded by this, as groups sharing the schedule may ask from two threads.
    private long lastStep;
    private double lastLr;

    ChainedSchedule(double first, Recurrence recurrence) {
        this.first = first;
        this.recurrence = recurrence;
        this.lastLr = first;
    }

    @Override
    public synchronized double lr(long completedSteps) {
        if (completedSteps < 0) {
            throw new IllegalArgumentException("completedSteps must be >= 0, was " + completedSteps);
        }
        if (completedSteps < lastStep) {
            lastStep = 0;
            lastLr = first;
        }
        for (long step = lastStep + 1; step <= completedSteps; step++) {
            lastLr = recurrence.next(lastLr, step);
        }
        lastStep = completedSteps;
        return lastLr;
    }
}
