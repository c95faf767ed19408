package dev.vecoptim;

/**
 * The learning rate as a function of the number of optimizer steps already completed (PyTorch's
 * {@code last_epoch} when its scheduler is stepped once per optimizer step): the first step uses
 * {@code lr(0)}. Set on a {@link ParameterGroup}, it sets the group's learning rate before every step.
 *
 * <p>The factories use PyTorch's closed forms ({@code _get_closed_form_lr}); PyTorch's default, chained
 * form can differ from them by an ulp of the learning rate. A schedule the factories made is saved with the
 * optimizer (checkpoints and state dicts) and restored by a load onto a group that has none; one of the program's
 * own (a lambda) cannot be saved, so a load says so.
 */
@FunctionalInterface
public interface LearningRateSchedule {

    /**
     * The learning rate of the step that follows {@code completedSteps} steps; finite and ≥ 0.
     *
     * @param completedSteps the steps the optimizer has completed before this one
     * @return the learning rate of the next step
     */
    double lr(long completedSteps);

    /**
     * The momentum (SGD's and RMSprop's {@code momentum}, or β1 of an optimizer of {@code betas}) of the step that
     * follows {@code completedSteps} steps, for a schedule that cycles it ({@link Schedulers#cyclicLR} and
     * {@link Schedulers#oneCycleLR} with a momentum range, as PyTorch's {@code cycle_momentum=True}); empty for the
     * others, which leave the momentum as it is.
     *
     * @param completedSteps the steps the optimizer has completed before this one
     * @return the momentum of the next step, if this schedule sets it
     */
    default java.util.OptionalDouble momentum(long completedSteps) {
        return java.util.OptionalDouble.empty();
    }

    /**
     * {@code lr} at every step.
     *
     * @param lr the rate of every step
     * @return the schedule
     */
    static LearningRateSchedule constant(double lr) {
        HyperParameterChecks.lr(lr);
        return DescribedSchedule.of("constant", completed -> lr, "lr", lr);
    }

    /**
     * PyTorch's {@code StepLR}: {@code lr · gamma^⌊t / stepSize⌋}.
     *
     * @param lr the rate at step 0
     * @param stepSize the steps between two decays (PyTorch's {@code step_size})
     * @param gamma the factor of each decay
     * @return the schedule
     */
    static LearningRateSchedule stepDecay(double lr, long stepSize, double gamma) {
        HyperParameterChecks.lr(lr);
        requirePositive("stepSize", stepSize);
        requireGamma(gamma);
        return DescribedSchedule.of("StepLR", completed -> lr * Math.pow(gamma, Math.floorDiv(completed, stepSize)),
                "lr", lr, "step_size", stepSize, "gamma", gamma);
    }

    /**
     * PyTorch's {@code ExponentialLR}: {@code lr · gamma^t}.
     *
     * @param lr the rate at step 0
     * @param gamma the factor per step
     * @return the schedule
     */
    static LearningRateSchedule exponential(double lr, double gamma) {
        HyperParameterChecks.lr(lr);
        requireGamma(gamma);
        return DescribedSchedule.of("ExponentialLR", completed -> lr * Math.pow(gamma, completed), "lr", lr,
                "gamma", gamma);
    }

    /**
     * PyTorch's {@code CosineAnnealingLR}: {@code etaMin + (lr − etaMin) · (1 + cos(π t / tMax)) / 2},
     * from {@code lr} at t = 0 down to {@code etaMin} at t = tMax (and back up after, as PyTorch's).
     *
     * @param lr the rate at step 0
     * @param tMax the steps of half a cosine period (PyTorch's {@code T_max})
     * @param etaMin the lowest rate (PyTorch's {@code eta_min})
     * @return the schedule
     */
    static LearningRateSchedule cosineAnnealing(double lr, long tMax, double etaMin) {
        HyperParameterChecks.lr(lr);
        requirePositive("tMax", tMax);
        HyperParameterChecks.lr(etaMin);
        return DescribedSchedule.of("CosineAnnealingLR",
                completed -> etaMin + (lr - etaMin) * (1 + Math.cos(Math.PI * completed / tMax)) / 2, "lr", lr,
                "T_max", tMax, "eta_min", etaMin);
    }

    /**
     * A linear warm-up (PyTorch's {@code LinearLR} followed by {@code SequentialLR}): for the first
     * {@code warmupSteps} steps, {@code then.lr(0)} scaled from {@code startFactor} up towards 1; after
     * them, {@code then} from its own step 0.
     *
     * @param warmupSteps the steps the warm-up lasts
     * @param startFactor the fraction of {@code then}'s rate the first step runs at
     * @param then the schedule the warm-up leads into
     * @return the schedule
     */
    static LearningRateSchedule linearWarmup(long warmupSteps, double startFactor, LearningRateSchedule then) {
        requirePositive("warmupSteps", warmupSteps);
        if (!(startFactor > 0 && startFactor <= 1)) {
            throw new IllegalArgumentException("startFactor must be in (0, 1], was " + startFactor);
        }
        java.util.Objects.requireNonNull(then, "then");
        return DescribedSchedule.of("LinearWarmup", completed -> completed < warmupSteps
                ? then.lr(0) * (startFactor + (1 - startFactor) * completed / warmupSteps)
                : then.lr(completed - warmupSteps), "warmup_steps", warmupSteps, "start_factor", startFactor,
                "then", then);
    }

    private static void requirePositive(String name, long value) {
        if (value < 1) {
            throw new IllegalArgumentException(name + " must be >= 1, was " + value);
        }
    }

    private static void requireGamma(double gamma) {
        if (!(gamma > 0) || Double.isInfinite(gamma)) {
            throw new IllegalArgumentException("gamma must be positive and finite, was " + gamma);
        }
    }
}
