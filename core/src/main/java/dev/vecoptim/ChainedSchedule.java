package dev.vecoptim;

import java.util.List;
import java.util.Objects;
import java.util.OptionalDouble;
import java.util.function.DoubleUnaryOperator;
import java.util.function.LongToDoubleFunction;

/**
 * A schedule in PyTorch's chainable form: the rates its scheduler writes to the group's {@code lr} when made and at
 * each {@code step()} after, computed from the rate already there ({@code group['lr']} in PyTorch's
 * {@code get_lr()}), in double as Python computes it. The rates are a function of the step alone, so a resumed run
 * gets them again from the schedule and the step count; they are computed forward from the last one asked for (steps
 * come in order), or from step 0 for an earlier step.
 */
final class ChainedSchedule implements LearningRateSchedule {

    /** The rate of step {@code step} ≥ 1 from the group's rate before it. */
    @FunctionalInterface
    interface Recurrence {
        double next(double previous, long step);
    }

    /**
     * What one of PyTorch's schedulers writes to the group's rate {@code lr}.
     *
     * @param first at its construction (its {@code get_lr()} at step 0)
     * @param next at each {@code step()} after
     * @param restart at {@code step(0)}, which {@code SequentialLR} calls at a milestone: its closed form at step 0
     *     where PyTorch has one (from the group's initial rate), else its {@code get_lr()} at step 0; null for one
     *     that a {@code SequentialLR} cannot start again
     * @param inSequence at each {@code step()} after that, by the steps since the milestone: {@code next}, but for
     *     SWALR, which counts its own steps ({@code _step_count}), one ahead there
     */
    record Chainable(DoubleUnaryOperator first, Recurrence next, DoubleUnaryOperator restart, Recurrence inSequence) {

        /** A scheduler whose {@code step(0)} is its {@code get_lr()} at step 0. */
        Chainable(DoubleUnaryOperator first, Recurrence next) {
            this(first, next, first);
        }

        /** A scheduler that goes on in a {@code SequentialLR} as it does alone. */
        Chainable(DoubleUnaryOperator first, Recurrence next, DoubleUnaryOperator restart) {
            this(first, next, restart, next);
        }
    }

    private final double base;
    private final Chainable chainable;
    /** The momentum it sets at each step, or null for none. */
    private final Momentum momentum;
    // The last rate computed and its step: guarded by this, as groups sharing the schedule may ask from two threads.
    private long lastStep;
    private double lastLr;

    /**
     * The momentum a scheduler that cycles it sets at each step ({@code cycle_momentum=True}), a function of the
     * step, between {@code lowest} and {@code highest}.
     *
     * @param ofStep the momentum of each step
     * @param betasUnder113 whether PyTorch 1.13's scheduler cycles β1 too (OneCycleLR's does, CyclicLR's refuses)
     */
    record Momentum(LongToDoubleFunction ofStep, double lowest, double highest,
                    boolean betasUnder113) {

        /**
         * {@return the momentum a composite of schedules sets, {@code ofStep}, between the lowest and highest of its
         * parts' that cycle it ({@code parts}, null for a part that does not), cycling β1 under 1.13 where every one
         * of them does; null when none of them cycles it}
         */
        static Momentum of(List<Momentum> parts, LongToDoubleFunction ofStep) {
            List<Momentum> cycling = parts.stream().filter(Objects::nonNull).toList();
            if (cycling.isEmpty()) {
                return null;
            }
            return new Momentum(ofStep, cycling.stream().mapToDouble(Momentum::lowest).min().orElseThrow(),
                    cycling.stream().mapToDouble(Momentum::highest).max().orElseThrow(),
                    cycling.stream().allMatch(Momentum::betasUnder113));
        }
    }

    /** The schedule of {@code chainable} on a group whose rate is {@code base} when the scheduler is made. */
    ChainedSchedule(double base, Chainable chainable) {
        this(base, chainable, null);
    }

    /** The same, setting {@code momentum} at each step too (null: none). */
    ChainedSchedule(double base, Chainable chainable, Momentum momentum) {
        this.base = base;
        this.chainable = chainable;
        this.momentum = momentum;
        this.lastLr = chainable.first().applyAsDouble(base);
    }

    /**
     * {@return the momentum {@code schedule} sets, if it is one of these or a {@link PerEpoch} of one (or describes
     * one) that cycles it; or null}
     */
    static Momentum cycledMomentum(LearningRateSchedule schedule) {
        LearningRateSchedule function = schedule instanceof DescribedSchedule known ? known.function() : schedule;
        return switch (function) {
            case ChainedSchedule chained -> chained.momentum;
            case PerEpoch perEpoch -> perEpoch.cycledMomentum();
            default -> null;
        };
    }

    /** {@return the momentum it sets, or null} */
    Momentum momentum() {
        return momentum;
    }

    @Override
    public OptionalDouble momentum(long completedSteps) {
        return momentum == null ? OptionalDouble.empty()
                : OptionalDouble.of(momentum.ofStep().applyAsDouble(completedSteps));
    }

    double base() {
        return base;
    }

    Chainable chainable() {
        return chainable;
    }

    @Override
    public synchronized double lr(long completedSteps) {
        if (completedSteps < 0) {
            throw new IllegalArgumentException("completedSteps must be >= 0, was " + completedSteps);
        }
        if (completedSteps < lastStep) {
            lastStep = 0;
            lastLr = chainable.first().applyAsDouble(base);
        }
        for (long step = lastStep + 1; step <= completedSteps; step++) {
            lastLr = chainable.next().next(lastLr, step);
        }
        lastStep = completedSteps;
        return lastLr;
    }
}
