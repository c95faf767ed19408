package dev.vecoptim;

import java.util.Arrays;
import java.util.List;

/**
 * PyTorch's learning-rate schedulers ({@code torch.optim.lr_scheduler}), bit for bit: the rate of each optimizer step
 * is the one a PyTorch training loop of {@code optimizer.step(); scheduler.step()} gives, under PyTorch 1.13 and 2.x
 * alike (golden sequences recorded from both). PyTorch computes them in its chainable form, each rate from the rate
 * before it in double precision, which rounds differently from the closed forms of {@link LearningRateSchedule}'s
 * factories (PyTorch's {@code scheduler.step(epoch)}) by up to hundreds of ulps; so does vecoptim here. Each returns a
 * schedule to set on a {@link ParameterGroup}: its rate at step {@code t} (0 for the first step) is written
 * {@code η_t}, the group's learning rate {@code lr} is {@code η₀} unless said otherwise. A schedule is a function of
 * the step count alone, so checkpoints and state dicts save it by its arguments, and a run resumed from them goes on
 * at the same rates.
 */
public final class Schedulers {
    private static final String PREFIX = "torch.optim.lr_scheduler.";

    private Schedulers() {
    }

    /**
     * {@code StepLR(step_size, gamma)}: {@code η_t = η_{t−1} · gamma} when {@code t} is a multiple of
     * {@code stepSize}, else {@code η_{t−1}}.
     *
     * @param lr the rate of step 0, finite and ≥ 0
     * @param stepSize the steps between two decays, ≥ 1
     * @param gamma the factor of each decay, finite and ≥ 0
     * @return the schedule
     * @throws IllegalArgumentException for an argument out of its range
     */
    public static LearningRateSchedule stepLR(double lr, long stepSize, double gamma) {
        HyperParameterChecks.lr(lr);
        atLeastOne("stepSize", stepSize);
        factor("gamma", gamma);
        return described("StepLR", new ChainedSchedule(lr, (previous, t) -> t % stepSize == 0 ? previous * gamma
                : previous), "lr", lr, "step_size", stepSize, "gamma", gamma);
    }

    /**
     * {@code MultiStepLR(milestones, gamma)}: {@code η_t = η_{t−1} · gamma^c}, where {@code c} is how many times
     * {@code t} is among the milestones (0: {@code η_{t−1}}); PyTorch's {@code Counter}, so a milestone given twice
     * decays twice.
     *
     * @param lr the rate of step 0, finite and ≥ 0
     * @param milestones the steps at which the rate decays, each ≥ 0, in any order
     * @param gamma the factor of each decay, finite and ≥ 0
     * @return the schedule
     * @throws IllegalArgumentException for an argument out of its range
     */
    public static LearningRateSchedule multiStepLR(double lr, List<Long> milestones, double gamma) {
        HyperParameterChecks.lr(lr);
        long[] sorted = milestones.stream().mapToLong(Long::longValue).sorted().toArray();
        if (sorted.length > 0 && sorted[0] < 0) {
            throw new IllegalArgumentException("milestones must be >= 0, were " + milestones);
        }
        factor("gamma", gamma);
        return described("MultiStepLR", new ChainedSchedule(lr, (previous, t) -> {
            int at = Arrays.binarySearch(sorted, t);
            if (at < 0) {
                return previous;
            }
            int first = at;
            int last = at;
            while (first > 0 && sorted[first - 1] == t) {
                first--;
            }
            while (last < sorted.length - 1 && sorted[last + 1] == t) {
                last++;
            }
            return previous * StrictMath.pow(gamma, last - first + 1);
        }), "lr", lr, "milestones", List.of(Arrays.stream(sorted).boxed().toArray(Long[]::new)), "gamma", gamma);
    }

    /**
     * {@code ConstantLR(factor, total_iters)}: {@code η₀ = lr · factor}; {@code η_t = η_{t−1} · (1 / factor)} at
     * {@code t = totalIters}, else {@code η_{t−1}}.
     *
     * @param lr the group's rate, finite and ≥ 0
     * @param factor the fraction of it before {@code totalIters}, in (0, 1]
     * @param totalIters the step at which the rate goes back to {@code lr}, ≥ 0
     * @return the schedule
     * @throws IllegalArgumentException for an argument out of its range
     */
    public static LearningRateSchedule constantLR(double lr, double factor, long totalIters) {
        HyperParameterChecks.lr(lr);
        if (!(factor > 0 && factor <= 1)) {
            throw new IllegalArgumentException("factor must be in (0, 1], was " + factor);
        }
        atLeastZero("totalIters", totalIters);
        return described("ConstantLR", new ChainedSchedule(lr * factor, (previous, t) -> t == totalIters
                ? previous * (1.0 / factor) : previous), "lr", lr, "factor", factor, "total_iters", totalIters);
    }

    /**
     * {@code LinearLR(start_factor, end_factor, total_iters)}: {@code η₀ = lr · startFactor}; for
     * {@code 1 ≤ t ≤ totalIters}, {@code η_t = η_{t−1} · (1 + (end − start) / (totalIters · start + (t − 1) · (end −
     * start)))}; after, {@code η_{t−1}}.
     *
     * @param lr the group's rate, finite and ≥ 0
     * @param startFactor the fraction of it at step 0, in (0, 1]
     * @param endFactor the fraction of it from step {@code totalIters} on, in [0, 1]
     * @param totalIters the steps of the change, ≥ 1
     * @return the schedule
     * @throws IllegalArgumentException for an argument out of its range
     */
    public static LearningRateSchedule linearLR(double lr, double startFactor, double endFactor, long totalIters) {
        HyperParameterChecks.lr(lr);
        if (!(startFactor > 0 && startFactor <= 1)) {
            throw new IllegalArgumentException("startFactor must be in (0, 1], was " + startFactor);
        }
        if (!(endFactor >= 0 && endFactor <= 1)) {
            throw new IllegalArgumentException("endFactor must be in [0, 1], was " + endFactor);
        }
        atLeastOne("totalIters", totalIters);
        return described("LinearLR", new ChainedSchedule(lr * startFactor, (previous, t) -> t > totalIters
                ? previous : previous * (1.0 + (endFactor - startFactor) / (totalIters * startFactor
                + (t - 1) * (endFactor - startFactor)))), "lr", lr, "start_factor", startFactor, "end_factor",
                endFactor, "total_iters", totalIters);
    }

    /**
     * {@code ExponentialLR(gamma)}: {@code η_t = η_{t−1} · gamma}.
     *
     * @param lr the rate of step 0, finite and ≥ 0
     * @param gamma the factor of each step, finite and ≥ 0
     * @return the schedule
     * @throws IllegalArgumentException for an argument out of its range
     */
    public static LearningRateSchedule exponentialLR(double lr, double gamma) {
        HyperParameterChecks.lr(lr);
        factor("gamma", gamma);
        return described("ExponentialLR", new ChainedSchedule(lr, (previous, t) -> previous * gamma), "lr", lr,
                "gamma", gamma);
    }

    /**
     * {@code PolynomialLR(total_iters, power)}: for {@code 1 ≤ t ≤ totalIters}, {@code η_t = η_{t−1} · ((1 −
     * t / totalIters) / (1 − (t − 1) / totalIters))^power}; after, {@code η_{t−1}} (0 once {@code t} reaches
     * {@code totalIters}).
     *
     * @param lr the rate of step 0, finite and ≥ 0
     * @param totalIters the steps of the decay, ≥ 1
     * @param power the polynomial's power, finite and ≥ 0
     * @return the schedule
     * @throws IllegalArgumentException for an argument out of its range
     */
    public static LearningRateSchedule polynomialLR(double lr, long totalIters, double power) {
        HyperParameterChecks.lr(lr);
        atLeastOne("totalIters", totalIters);
        factor("power", power);
        return described("PolynomialLR", new ChainedSchedule(lr, (previous, t) -> t > totalIters ? previous
                : previous * StrictMath.pow((1.0 - (double) t / totalIters) / (1.0 - (double) (t - 1) / totalIters),
                power)), "lr", lr, "total_iters", totalIters, "power", power);
    }

    /**
     * {@code CosineAnnealingLR(T_max, eta_min)}, its chainable form: {@code η_t = (1 + cos(π·t / tMax)) / (1 +
     * cos(π·(t − 1) / tMax)) · (η_{t−1} − etaMin) + etaMin}, except where {@code t − 1 − tMax} is a multiple of
     * {@code 2·tMax} (the bottom of each period, where that quotient is 0 / 0), where {@code η_t = η_{t−1} + (lr −
     * etaMin) · (1 − cos(π / tMax)) / 2}. Past {@code tMax} it rises again, as PyTorch's does.
     *
     * @param lr the rate of step 0, finite and ≥ 0
     * @param tMax the steps of half a period, ≥ 1
     * @param etaMin the lowest rate, finite and ≥ 0
     * @return the schedule
     * @throws IllegalArgumentException for an argument out of its range
     */
    public static LearningRateSchedule cosineAnnealingLR(double lr, long tMax, double etaMin) {
        HyperParameterChecks.lr(lr);
        atLeastOne("tMax", tMax);
        HyperParameterChecks.lr(etaMin);
        return described("CosineAnnealingLR", new ChainedSchedule(lr, (previous, t) -> Math.floorMod(t - 1 - tMax,
                2 * tMax) == 0 ? previous + (lr - etaMin) * (1 - Math.cos(Math.PI / tMax)) / 2
                : (1 + Math.cos(Math.PI * t / tMax)) / (1 + Math.cos(Math.PI * (t - 1) / tMax)) * (previous - etaMin)
                + etaMin), "lr", lr, "T_max", tMax, "eta_min", etaMin);
    }

    private static DescribedSchedule described(String name, LearningRateSchedule schedule, Object... arguments) {
        return DescribedSchedule.of(PREFIX + name, schedule, arguments);
    }

    private static void atLeastOne(String name, long value) {
        if (value < 1) {
            throw new IllegalArgumentException(name + " must be >= 1, was " + value);
        }
    }

    private static void atLeastZero(String name, long value) {
        if (value < 0) {
            throw new IllegalArgumentException(name + " must be >= 0, was " + value);
        }
    }

    private static void factor(String name, double value) {
        if (!(value >= 0) || Double.isInfinite(value)) {
            throw new IllegalArgumentException(name + " must be finite and >= 0, was " + value);
        }
    }
}
