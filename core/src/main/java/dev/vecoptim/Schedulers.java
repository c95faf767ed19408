package dev.vecoptim;

import dev.vecoptim.ChainedSchedule.Chainable;
import dev.vecoptim.ChainedSchedule.Recurrence;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.DoubleUnaryOperator;
import java.util.function.LongToDoubleFunction;

/**
 * PyTorch's learning-rate schedulers ({@code torch.optim.lr_scheduler}), bit for bit: the rate of each optimizer step
 * is the one a PyTorch training loop of {@code optimizer.step(); scheduler.step()} gives, under PyTorch 1.13 and 2.x
 * alike (golden sequences recorded from both). PyTorch computes them in its chainable form, each rate from the rate
 * before it in double precision, which rounds differently from the closed forms of {@link LearningRateSchedule}'s
 * factories (PyTorch's {@code scheduler.step(epoch)}) by up to hundreds of ulps; so does vecoptim here. Each returns a
 * schedule to set on a {@link ParameterGroup}: its rate at step {@code t} (0 for the first step) is written
 * {@code η_t}, the group's learning rate {@code lr} is {@code η₀} unless said otherwise. A schedule is a function of
 * the step count alone, so checkpoints and state dicts save it by its arguments, and a run resumed from them goes on
 * at the same rates ({@link #lambdaLR} and {@link #multiplicativeLR} excepted: their functions are the program's
 * own). {@link #sequentialLR} and {@link #chainedScheduler} combine them as PyTorch's do.
 *
 * <p>Python computes the cosines, powers and logarithms of the schedules with the C library's {@code cos},
 * {@code pow} and {@code log}; so do these when the JVM grants vecoptim native access
 * ({@code --enable-native-access=dev.vecoptim}, or {@code ALL-UNNAMED} on the class path), which makes their rates
 * PyTorch's on the same machine. Without it they use Java's {@code Math} functions, which differ from glibc's by an
 * ulp on about one argument in 500.
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
        return chained("StepLR", lr, new Chainable(same -> same, (previous, t) -> t % stepSize == 0
                ? previous * gamma : previous, group -> lr), "step_size", stepSize,
                "gamma", gamma);
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
        Recurrence decay = (previous, t) -> {
            long times = Arrays.stream(sorted).filter(milestone -> milestone == t).count();
            return times == 0 ? previous : previous * CMath.pow(gamma, times);
        };
        return chained("MultiStepLR", lr, new Chainable(same -> same, decay, group -> lr * CMath.pow(gamma,
                Arrays.stream(sorted).filter(milestone -> milestone <= 0).count())), "milestones",
                List.of(Arrays.stream(sorted).boxed().toArray(Long[]::new)), "gamma", gamma);
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
        return chained("ConstantLR", lr, new Chainable(group -> group * factor, (previous, t) -> t == totalIters
                ? previous * (1.0 / factor) : previous, group -> lr * (factor + (totalIters <= 0 ? 1 - factor
                : 0.0))), "factor", factor, "total_iters", totalIters);
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
        return chained("LinearLR", lr, new Chainable(group -> group * startFactor, (previous, t) -> t > totalIters
                ? previous : previous * (1.0 + (endFactor - startFactor) / (totalIters * startFactor
                + (t - 1) * (endFactor - startFactor))), group -> lr * startFactor), "start_factor", startFactor,
                "end_factor", endFactor, "total_iters", totalIters);
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
        return chained("ExponentialLR", lr, new Chainable(same -> same, (previous, t) -> previous * gamma,
                group -> lr), "gamma", gamma);
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
        return chained("PolynomialLR", lr, new Chainable(same -> same, (previous, t) -> t > totalIters ? previous
                : previous * CMath.pow((1.0 - (double) t / totalIters) / (1.0 - (double) (t - 1) / totalIters),
                power), group -> lr), "total_iters", totalIters, "power", power);
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
        Recurrence cosine = (previous, t) -> Math.floorMod(t - 1 - tMax, 2 * tMax) == 0
                ? previous + (lr - etaMin) * (1 - CMath.cos(Math.PI / tMax)) / 2
                : (1 + CMath.cos(Math.PI * t / tMax)) / (1 + CMath.cos(Math.PI * (t - 1) / tMax)) * (previous - etaMin)
                + etaMin;
        return chained("CosineAnnealingLR", lr, new Chainable(same -> same, cosine,
                group -> cosine(lr, etaMin, 0, tMax)), "T_max", tMax, "eta_min",
                etaMin);
    }

    /**
     * {@code CosineAnnealingWarmRestarts(T_0, T_mult, eta_min)}, stepped once per optimizer step: {@code η_t = etaMin
     * + (lr − etaMin) · (1 + cos(π·T_cur / T_i)) / 2}, where {@code T_cur} counts the steps since the last restart and
     * {@code T_i} is the current period: {@code T_0} at first, multiplied by {@code T_mult} at each restart.
     *
     * @param lr the rate of step 0, finite and ≥ 0
     * @param t0 the first period, ≥ 1
     * @param tMult the factor of each period over the one before, ≥ 1
     * @param etaMin the lowest rate, finite and ≥ 0
     * @return the schedule
     * @throws IllegalArgumentException for an argument out of its range
     */
    public static LearningRateSchedule cosineAnnealingWarmRestarts(double lr, long t0, long tMult, double etaMin) {
        HyperParameterChecks.lr(lr);
        atLeastOne("t0", t0);
        atLeastOne("tMult", tMult);
        HyperParameterChecks.lr(etaMin);
        Recurrence restarted = (previous, t) -> {
            long period = t0;
            long current = tMult == 1 ? t % t0 : t;
            while (current >= period) {
                current -= period;
                period = Math.multiplyExact(period, tMult);
            }
            return cosine(lr, etaMin, current, period);
        };
        return chained("CosineAnnealingWarmRestarts", lr, new Chainable(group -> restarted.next(group, 0),
                restarted), "T_0", t0, "T_mult", tMult, "eta_min", etaMin);
    }

    /**
     * {@link #cosineAnnealingWarmRestarts(double, long, long, double)} stepped as PyTorch's documentation steps it
     * within epochs: {@code scheduler.step(epoch + i / iters)} after the optimizer step of batch {@code i} of
     * {@code epoch}, {@code iters = stepsPerEpoch}. The rate after optimizer step {@code k} (counted from 0) is then
     * that of the fractional epoch {@code e = ⌊k / iters⌋ + (k mod iters) / iters}: with {@code T_mult = 1}, {@code
     * T_cur = e mod T_0} (once {@code e ≥ T_0}; {@code e} before) and {@code T_i = T_0}; else {@code n =
     * ⌊log(e / T_0 · (T_mult − 1) + 1) / log(T_mult)⌋}, {@code T_cur = e − T_0 · (T_mult^n − 1) / (T_mult − 1)},
     * {@code T_i = T_0 · T_mult^n}; and {@code η = etaMin + (lr − etaMin) · (1 + cos(π·T_cur / T_i)) / 2}, PyTorch's
     * arithmetic in doubles. The first call passes epoch 0 again, so steps 0 and 1 have the same rate.
     *
     * @param lr the rate of step 0, finite and ≥ 0
     * @param t0 the first period, in epochs, ≥ 1
     * @param tMult the factor of each period over the one before, ≥ 1
     * @param etaMin the lowest rate, finite and ≥ 0
     * @param stepsPerEpoch the optimizer steps of an epoch ({@code iters}), ≥ 1
     * @return the schedule
     * @throws IllegalArgumentException for an argument out of its range
     */
    public static LearningRateSchedule cosineAnnealingWarmRestarts(double lr, long t0, long tMult, double etaMin,
                                                                   long stepsPerEpoch) {
        HyperParameterChecks.lr(lr);
        atLeastOne("t0", t0);
        atLeastOne("tMult", tMult);
        HyperParameterChecks.lr(etaMin);
        atLeastOne("stepsPerEpoch", stepsPerEpoch);
        Recurrence withinEpochs = (previous, t) -> {
            long k = Math.max(0, t - 1);
            double epoch = k / stepsPerEpoch + (double) (k % stepsPerEpoch) / stepsPerEpoch;
            double current = epoch;
            double period = t0;
            if (epoch >= t0 && tMult == 1) {
                current = epoch % t0;
            } else if (epoch >= t0) {
                int n = (int) (CMath.log(epoch / t0 * (tMult - 1) + 1) / CMath.log(tMult));
                long power = 1;
                for (int times = 0; times < n; times++) {
                    power = Math.multiplyExact(power, tMult);
                }
                current = epoch - t0 * (power - 1) / (double) (tMult - 1);
                period = t0 * power;
            }
            return cosine(lr, etaMin, current, period);
        };
        return chained("CosineAnnealingWarmRestarts", lr, new Chainable(group -> withinEpochs.next(group, 0),
                withinEpochs), "T_0", t0, "T_mult", tMult, "eta_min", etaMin, "steps_per_epoch", stepsPerEpoch);
    }

    /** How {@link #cyclicLR} scales the height of each cycle: PyTorch's {@code mode}. */
    public enum CyclicMode {
        /** {@code "triangular"}: every cycle as high as the first. */
        TRIANGULAR,
        /** {@code "triangular2"}: each cycle half as high as the one before, {@code 1 / 2^(cycle − 1)}. */
        TRIANGULAR2,
        /** {@code "exp_range"}: the height times {@code gamma^t}, {@code t} the step. */
        EXP_RANGE;

        String pyTorchName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /**
     * {@code CyclicLR(base_lr, max_lr, step_size_up, step_size_down, mode, gamma, cycle_momentum=False)}: the rate
     * rises from {@code baseLr} towards {@code maxLr} over {@code stepSizeUp} steps and falls back over
     * {@code stepSizeDown}, again and again. With {@code T = stepSizeUp + stepSizeDown}, {@code cycle = ⌊1 + t/T⌋},
     * {@code x = 1 + t/T − cycle} and {@code r = stepSizeUp / T}: {@code s = x / r} while {@code x ≤ r}, else
     * {@code (x − 1) / (r − 1)}, and {@code η_t = baseLr + (maxLr − baseLr) · s · scale}, {@code scale} as the mode
     * says. It sets the group's rate itself: the group's {@code lr} is not used. This is {@code cycle_momentum=False};
     * PyTorch's default {@code cycle_momentum=True}, which cycles the momentum too, is
     * {@link #cyclicLR(double, double, long, long, CyclicMode, double, double, double)}.
     *
     * @param baseLr the lowest rate, finite and ≥ 0
     * @param maxLr the highest rate of the first cycle, finite and ≥ 0
     * @param stepSizeUp the steps of each rise, ≥ 1
     * @param stepSizeDown the steps of each fall, ≥ 1 (PyTorch's default: {@code stepSizeUp})
     * @param mode how each cycle's height is scaled
     * @param gamma {@link CyclicMode#EXP_RANGE}'s factor per step, finite and ≥ 0 (PyTorch's default 1)
     * @return the schedule
     * @throws IllegalArgumentException for an argument out of its range
     */
    public static LearningRateSchedule cyclicLR(double baseLr, double maxLr, long stepSizeUp, long stepSizeDown,
                                                CyclicMode mode, double gamma) {
        return cyclic(baseLr, maxLr, stepSizeUp, stepSizeDown, mode, gamma, Double.NaN, Double.NaN);
    }

    /**
     * {@link #cyclicLR(double, double, long, long, CyclicMode, double)} that also cycles the momentum, as PyTorch's
     * default {@code cycle_momentum=True}: at step {@code t}, {@code maxMomentum − (maxMomentum − baseMomentum) · s ·
     * scale}, falling as the rate rises. It sets SGD's and RMSprop's {@code momentum}, or β1 of an optimizer of
     * {@code betas} (PyTorch 2.x's; 1.13's CyclicLR refuses those), before each step, and the group keeps it, as
     * PyTorch's {@code param_group} does.
     *
     * @param baseLr the lowest rate, finite and ≥ 0
     * @param maxLr the highest rate of the first cycle, finite and ≥ 0
     * @param stepSizeUp the steps of each rise, ≥ 1
     * @param stepSizeDown the steps of each fall, ≥ 1
     * @param mode how each cycle's height is scaled
     * @param gamma {@link CyclicMode#EXP_RANGE}'s factor per step, finite and ≥ 0
     * @param baseMomentum the momentum at the top of the rate, finite and ≥ 0 (PyTorch's default 0.8)
     * @param maxMomentum the momentum at the bottom of the rate, finite and ≥ 0 (PyTorch's default 0.9)
     * @return the schedule
     * @throws IllegalArgumentException for an argument out of its range
     */
    public static LearningRateSchedule cyclicLR(double baseLr, double maxLr, long stepSizeUp, long stepSizeDown,
                                                CyclicMode mode, double gamma, double baseMomentum,
                                                double maxMomentum) {
        momenta(baseMomentum, maxMomentum);
        return cyclic(baseLr, maxLr, stepSizeUp, stepSizeDown, mode, gamma, baseMomentum, maxMomentum);
    }

    private static LearningRateSchedule cyclic(double baseLr, double maxLr, long stepSizeUp, long stepSizeDown,
                                               CyclicMode mode, double gamma, double baseMomentum,
                                               double maxMomentum) {
        HyperParameterChecks.lr(baseLr);
        HyperParameterChecks.lr(maxLr);
        atLeastOne("stepSizeUp", stepSizeUp);
        atLeastOne("stepSizeDown", stepSizeDown);
        Objects.requireNonNull(mode, "mode");
        factor("gamma", gamma);
        Cyclic cyclic = new Cyclic(baseLr, maxLr, stepSizeUp, stepSizeDown, mode, gamma);
        boolean cycles = !Double.isNaN(baseMomentum);
        ChainedSchedule.Momentum momentum = cycles ? new ChainedSchedule.Momentum(t -> cyclic.momentum(t,
                baseMomentum, maxMomentum), Math.min(baseMomentum, maxMomentum), Math.max(baseMomentum, maxMomentum),
                false) : null;
        List<Object> arguments = new java.util.ArrayList<>(List.of("base_lr", baseLr, "max_lr", maxLr,
                "step_size_up", stepSizeUp, "step_size_down", stepSizeDown, "mode", mode.pyTorchName(), "gamma",
                gamma));
        if (cycles) {
            arguments.addAll(List.of("base_momentum", baseMomentum, "max_momentum", maxMomentum));
        }
        return DescribedSchedule.of(PREFIX + "CyclicLR", new ChainedSchedule(baseLr, new Chainable(
                group -> cyclic.lr(0), (previous, t) -> cyclic.lr(t)), momentum), arguments.toArray());
    }

    private static void momenta(double baseMomentum, double maxMomentum) {
        for (double momentum : new double[] {baseMomentum, maxMomentum}) {
            if (!(momentum >= 0) || Double.isInfinite(momentum)) {
                throw new IllegalArgumentException("baseMomentum and maxMomentum must be finite and >= 0, were "
                        + baseMomentum + " and " + maxMomentum);
            }
        }
    }

    /** How {@link #oneCycleLR} and {@link #swaLR} move between two rates: PyTorch's {@code anneal_strategy}. */
    public enum Anneal {
        /** {@code "cos"}: {@code end + (start − end) / 2 · (cos(π·pct) + 1)}. */
        COS,
        /** {@code "linear"}: {@code (end − start) · pct + start}. */
        LINEAR
    }

    /**
     * {@code OneCycleLR(max_lr, total_steps, cycle_momentum=False)} with PyTorch's other defaults: {@code
     * pct_start=0.3}, cosine, {@code div_factor=25}, {@code final_div_factor=1e4}, two phases. PyTorch's default
     * also cycles the momentum between 0.85 and 0.95: that is
     * {@link #oneCycleLR(double, long, double, Anneal, double, double, boolean, double, double)} with those.
     *
     * @param maxLr the highest rate, finite and ≥ 0
     * @param totalSteps the steps of the cycle, ≥ 1
     * @return the schedule
     * @throws IllegalArgumentException as {@link #oneCycleLR(double, long, double, Anneal, double, double, boolean)}
     */
    public static LearningRateSchedule oneCycleLR(double maxLr, long totalSteps) {
        return oneCycleLR(maxLr, totalSteps, 0.3, Anneal.COS, 25, 1e4, false);
    }

    /**
     * {@code OneCycleLR(max_lr, total_steps, pct_start, anneal_strategy, div_factor, final_div_factor, three_phase,
     * cycle_momentum=False)}: from {@code initial = maxLr / divFactor} up to {@code maxLr} until step
     * {@code pctStart · totalSteps − 1}, then down to {@code initial / finalDivFactor} at step {@code totalSteps − 1}
     * (three phases: back to {@code initial} at {@code 2 · pctStart · totalSteps − 2} first), each phase annealed from
     * its start to its end as {@code pct} = the fraction of it done. PyTorch's scheduler accepts {@code totalSteps}
     * steps after its construction: the rates of steps 0 to {@code totalSteps} (the last, cosine, going back up);
     * a later step is refused, as PyTorch's {@code step()} raises. It sets the group's rate itself: the group's
     * {@code lr} is not used. This is {@code cycle_momentum=False}; PyTorch's default {@code cycle_momentum=True},
     * which cycles the momentum too, is
     * {@link #oneCycleLR(double, long, double, Anneal, double, double, boolean, double, double)}.
     *
     * @param maxLr the highest rate, finite and ≥ 0
     * @param totalSteps the steps of the cycle, ≥ 1
     * @param pctStart the fraction of the steps spent rising, in [0, 1]
     * @param anneal how each phase moves between its rates
     * @param divFactor {@code maxLr} over the first rate, positive and finite
     * @param finalDivFactor the first rate over the last, positive and finite
     * @param threePhase whether the rate comes back to the first before falling to the last
     * @return the schedule
     * @throws IllegalArgumentException for an argument out of its range, or phases that would make PyTorch divide
     *     by zero (a phase of no length in which a step falls)
     */
    public static LearningRateSchedule oneCycleLR(double maxLr, long totalSteps, double pctStart, Anneal anneal,
                                                  double divFactor, double finalDivFactor, boolean threePhase) {
        return oneCycle(maxLr, totalSteps, pctStart, anneal, divFactor, finalDivFactor, threePhase, Double.NaN,
                Double.NaN);
    }

    /**
     * {@link #oneCycleLR(double, long, double, Anneal, double, double, boolean)} that also cycles the momentum, as
     * PyTorch's default {@code cycle_momentum=True}: each phase anneals it as it anneals the rate, from
     * {@code maxMomentum} down to {@code baseMomentum} while the rate rises, and back (with three phases, held at
     * {@code maxMomentum} in the last). It sets SGD's and RMSprop's {@code momentum}, or β1 of an optimizer of
     * {@code betas}, before each step, and the group keeps it, as PyTorch's {@code param_group} does.
     *
     * @param maxLr the highest rate, finite and ≥ 0
     * @param totalSteps the steps of the cycle, ≥ 1
     * @param pctStart the fraction of the steps spent rising, in [0, 1]
     * @param anneal how each phase moves between its rates
     * @param divFactor {@code maxLr} over the first rate, positive and finite
     * @param finalDivFactor the first rate over the last, positive and finite
     * @param threePhase whether the rate comes back to the first before falling to the last
     * @param baseMomentum the momentum at the top of the rate, finite and ≥ 0 (PyTorch's default 0.85)
     * @param maxMomentum the momentum at its bottom, finite and ≥ 0 (PyTorch's default 0.95)
     * @return the schedule
     * @throws IllegalArgumentException as the other, or for a momentum out of its range
     */
    public static LearningRateSchedule oneCycleLR(double maxLr, long totalSteps, double pctStart, Anneal anneal,
                                                  double divFactor, double finalDivFactor, boolean threePhase,
                                                  double baseMomentum, double maxMomentum) {
        momenta(baseMomentum, maxMomentum);
        return oneCycle(maxLr, totalSteps, pctStart, anneal, divFactor, finalDivFactor, threePhase, baseMomentum,
                maxMomentum);
    }

    private static LearningRateSchedule oneCycle(double maxLr, long totalSteps, double pctStart, Anneal anneal,
                                                 double divFactor, double finalDivFactor, boolean threePhase,
                                                 double baseMomentum, double maxMomentum) {
        HyperParameterChecks.lr(maxLr);
        atLeastOne("totalSteps", totalSteps);
        if (!(pctStart >= 0 && pctStart <= 1)) {
            throw new IllegalArgumentException("pctStart must be in [0, 1], was " + pctStart);
        }
        Objects.requireNonNull(anneal, "anneal");
        for (double divisor : new double[] {divFactor, finalDivFactor}) {
            if (!(divisor > 0) || Double.isInfinite(divisor)) {
                throw new IllegalArgumentException("divFactor and finalDivFactor must be positive and finite, were "
                        + divFactor + " and " + finalDivFactor);
            }
        }
        OneCycle cycle = new OneCycle(maxLr, totalSteps, pctStart, anneal, divFactor, finalDivFactor, threePhase,
                baseMomentum, maxMomentum);
        boolean cycles = !Double.isNaN(baseMomentum);
        ChainedSchedule.Momentum momentum = cycles ? new ChainedSchedule.Momentum(cycle::momentum,
                Math.min(baseMomentum, maxMomentum), Math.max(baseMomentum, maxMomentum), true) : null;
        List<Object> arguments = new java.util.ArrayList<>(List.of("max_lr", maxLr, "total_steps", totalSteps,
                "pct_start", pctStart, "anneal_strategy", anneal.name().toLowerCase(java.util.Locale.ROOT),
                "div_factor", divFactor, "final_div_factor", finalDivFactor, "three_phase", threePhase));
        if (cycles) {
            arguments.addAll(List.of("base_momentum", baseMomentum, "max_momentum", maxMomentum));
        }
        return DescribedSchedule.of(PREFIX + "OneCycleLR", new ChainedSchedule(cycle.initial(), new Chainable(
                group -> cycle.lr(0), (previous, t) -> cycle.lr(t)), momentum), arguments.toArray());
    }

    /**
     * {@code torch.optim.swa_utils.SWALR(swa_lr, anneal_epochs, anneal_strategy)}: from the group's rate to
     * {@code swaLr} over {@code annealEpochs} steps, annealed: at step {@code t}, {@code α_t = a(min(1, t / max(1,
     * annealEpochs)))} ({@code a(x) = (1 − cos(π·x)) / 2}, or {@code x} linearly); the rate before, taken back to its
     * start as {@code ρ = (η_{t−1} − α_{t−1}·swaLr) / (1 − α_{t−1})} ({@code swaLr} once {@code α_{t−1} = 1}), gives
     * {@code η_t = swaLr·α_t + ρ·(1 − α_t)}. With {@code annealEpochs = 0} every step counts as at least the first.
     * Inside a {@link #sequentialLR}, past a milestone, it is one step ahead, as PyTorch's: SWALR counts its own
     * steps ({@code _step_count}), which its construction advanced and the milestone's {@code step(0)} advances.
     *
     * @param lr the group's rate when the scheduler is made, finite and ≥ 0
     * @param swaLr the rate annealed to, finite and ≥ 0
     * @param annealEpochs the steps of the annealing, ≥ 0
     * @param anneal how the rate moves
     * @return the schedule
     * @throws IllegalArgumentException for an argument out of its range
     */
    public static LearningRateSchedule swaLR(double lr, double swaLr, long annealEpochs, Anneal anneal) {
        HyperParameterChecks.lr(lr);
        HyperParameterChecks.lr(swaLr);
        atLeastZero("annealEpochs", annealEpochs);
        Objects.requireNonNull(anneal, "anneal");
        DoubleUnaryOperator annealed = x -> anneal == Anneal.COS ? (1 - CMath.cos(Math.PI * x)) / 2 : x;
        double steps = Math.max(1, annealEpochs);
        Recurrence swa = (previous, t) -> {
            long step = annealEpochs == 0 ? Math.max(1, t) : t;
            double previousAlpha = annealed.applyAsDouble(Math.max(0, Math.min(1, (step - 1) / steps)));
            double start = previousAlpha == 1 ? swaLr : (previous - previousAlpha * swaLr) / (1 - previousAlpha);
            double alpha = annealed.applyAsDouble(Math.max(0, Math.min(1, step / steps)));
            return swaLr * alpha + start * (1 - alpha);
        };
        // PyTorch's SWALR counts its steps in _step_count, which its construction advanced and which SequentialLR's
        // step(0) at a milestone advances again: there it is at its step 1, and one ahead after.
        return DescribedSchedule.of("torch.optim.swa_utils.SWALR", new ChainedSchedule(lr, new Chainable(
                group -> swa.next(group, 0), swa, previous -> swa.next(previous, 1),
                (previous, t) -> swa.next(previous, t + 1))), "lr", lr, "swa_lr", swaLr, "anneal_epochs",
                annealEpochs, "anneal_strategy", anneal.name().toLowerCase(java.util.Locale.ROOT));
    }

    /**
     * {@code LambdaLR(lr_lambda)}: {@code η_t = lr · lambda(t)}. A function of the program's own, so a file cannot hold
     * it: set it again before loading, as any schedule of the program's own.
     *
     * @param lr the group's rate
     * @param lambda the factor of each step
     * @return the schedule
     * @throws IllegalArgumentException if {@code lr} is not finite and ≥ 0
     */
    public static LearningRateSchedule lambdaLR(double lr, LongToDoubleFunction lambda) {
        HyperParameterChecks.lr(lr);
        Objects.requireNonNull(lambda, "lambda");
        return new ChainedSchedule(lr, new Chainable(group -> lr * lambda.applyAsDouble(0),
                (previous, t) -> lr * lambda.applyAsDouble(t)));
    }

    /**
     * {@code MultiplicativeLR(lr_lambda)}: {@code η₀ = lr}, {@code η_t = η_{t−1} · lambda(t)}. A function of the
     * program's own, as {@link #lambdaLR}'s.
     *
     * @param lr the rate of step 0
     * @param lambda the factor of each step over the one before
     * @return the schedule
     * @throws IllegalArgumentException if {@code lr} is not finite and ≥ 0
     */
    public static LearningRateSchedule multiplicativeLR(double lr, LongToDoubleFunction lambda) {
        HyperParameterChecks.lr(lr);
        Objects.requireNonNull(lambda, "lambda");
        return new ChainedSchedule(lr, new Chainable(same -> same, (previous, t) -> previous
                * lambda.applyAsDouble(t)));
    }

    /**
     * A schedule stepped once per epoch of {@code stepsPerEpoch} optimizer steps, as PyTorch programs often step
     * their scheduler ({@code scheduler.step()} after each epoch's last batch): the rate of optimizer step {@code t} is
     * {@code schedule}'s rate of epoch {@code ⌊t / stepsPerEpoch⌋}, the same bits, and so is the momentum of one that
     * cycles it.
     *
     * @param schedule the schedule of epochs, one of this class's or any
     * @param stepsPerEpoch the optimizer steps of an epoch, ≥ 1
     * @return the schedule of optimizer steps (saved with the optimizer when {@code schedule} can be)
     * @throws IllegalArgumentException if {@code stepsPerEpoch} is below 1
     */
    public static LearningRateSchedule perEpoch(LearningRateSchedule schedule, long stepsPerEpoch) {
        Objects.requireNonNull(schedule, "schedule");
        atLeastOne("stepsPerEpoch", stepsPerEpoch);
        return DescribedSchedule.of("PerEpoch", new PerEpoch(schedule, stepsPerEpoch), "schedule", schedule,
                "steps_per_epoch", stepsPerEpoch);
    }

    /**
     * {@code SequentialLR(schedulers, milestones)}: the first schedule's rates until the first milestone, then from
     * each milestone the next schedule's, from its own step 0: at the milestone, its {@code step(0)} (its closed form
     * at step 0, where PyTorch has one), then its chainable steps on the rate there. Made after the schedules, it
     * sets the group's rate back to {@code lr} and makes the first one's step 0 again, as PyTorch's does. Where
     * schedules cycle the momentum, it is what the last of them to set it wrote, as in PyTorch: the active one's at
     * its step; past it, the last value of the last one before it that cycles it; before any, the step-0 value of the
     * last one that does, which set it when it was made (PyTorch's schedulers are made in the list's order). PyTorch's
     * OneCycleLR writes the group's {@code initial_lr}, which the group's rate is set back to and the schedules
     * before and after it start from: make those with {@code maxLr / divFactor}.
     *
     * @param schedules one or more of this class's schedules, all made with the same {@code lr}
     * @param milestones the steps at which the next schedule takes over, increasing, each ≥ 1, one fewer than the
     *     schedules
     * @return the schedule
     * @throws IllegalArgumentException for schedules not made here or not of one {@code lr}, a
     *     {@code sequentialLR} or {@code chainedScheduler} among them (PyTorch's {@code step(0)} of them does not
     *     start them again), more than one {@code oneCycleLR} or {@code swaLR}, or milestones not as said
     */
    public static LearningRateSchedule sequentialLR(List<LearningRateSchedule> schedules, List<Long> milestones) {
        List<ChainedSchedule> parts = parts("sequentialLR", schedules);
        if (milestones.size() != schedules.size() - 1) {
            throw new IllegalArgumentException("sequentialLR needs one milestone fewer than schedules, not "
                    + milestones.size() + " for " + schedules.size());
        }
        long[] at = milestones.stream().mapToLong(Long::longValue).toArray();
        for (int m = 0; m < at.length; m++) {
            if (at[m] < 1 || m > 0 && at[m] <= at[m - 1]) {
                throw new IllegalArgumentException("milestones must be increasing and >= 1, were " + milestones);
            }
        }
        if (parts.stream().anyMatch(part -> part.chainable().restart() == null)) {
            throw new IllegalArgumentException("a sequentialLR cannot hold a sequentialLR or a chainedScheduler:"
                    + " PyTorch's SequentialLR starts each of its schedulers again, which they cannot be as the others"
                    + " are");
        }
        Recurrence next = (previous, t) -> {
            int index = phase(at, t);
            Chainable part = parts.get(index).chainable();
            if (index > 0 && at[index - 1] == t) {
                return part.restart().applyAsDouble(previous);
            }
            return index == 0 ? part.next().next(previous, t) : part.inSequence().next(previous, t - at[index - 1]);
        };
        List<ChainedSchedule.Momentum> cycled = parts.stream().map(ChainedSchedule::momentum).toList();
        // The momentum is what the last scheduler to set it wrote: the active one at its own step, or the last one
        // before it that cycles it, at its last step; before any, the last made of all, at its construction.
        ChainedSchedule.Momentum momentum = ChainedSchedule.Momentum.of(cycled, t -> {
            int index = phase(at, t);
            for (int part = index; part >= 0; part--) {
                long start = part == 0 ? 0 : at[part - 1];
                if (cycled.get(part) != null) {
                    return cycled.get(part).ofStep().applyAsDouble(part == index ? t - start : at[part] - start - 1);
                }
            }
            return lastCycling(cycled).ofStep().applyAsDouble(0);
        });
        return composite("SequentialLR", parts, new Chainable(parts.getFirst().chainable().first(), next, null),
                momentum, "schedulers", List.copyOf(schedules), "milestones", List.copyOf(milestones));
    }

    /** {@return the index of the schedule of a sequentialLR active at step {@code t}, past milestones {@code at}} */
    private static int phase(long[] at, long t) {
        int index = 0;
        while (index < at.length && at[index] <= t) {
            index++;
        }
        return index;
    }

    /** {@return the last of {@code cycled} that is not null} */
    private static ChainedSchedule.Momentum lastCycling(List<ChainedSchedule.Momentum> cycled) {
        return cycled.reversed().stream().filter(Objects::nonNull).findFirst().orElseThrow();
    }

    /**
     * {@code ChainedScheduler(schedulers)}: every schedule's step in turn on the group's rate, each from the rate the
     * one before it wrote, at their construction and at each step; the momentum, where schedules cycle it, is the last
     * such one's.
     *
     * @param schedules one or more of this class's schedules, made in this order, with the same {@code lr}
     * @return the schedule
     * @throws IllegalArgumentException for schedules not made here or not of one {@code lr}, or more than one
     *     {@code oneCycleLR} or {@code swaLR} (PyTorch's share their group's keys)
     */
    public static LearningRateSchedule chainedScheduler(List<LearningRateSchedule> schedules) {
        List<ChainedSchedule> parts = parts("chainedScheduler", schedules);
        List<Chainable> chain = parts.stream().map(ChainedSchedule::chainable).toList();
        Chainable chained = new Chainable(group -> {
            double rate = group;
            for (Chainable each : chain) {
                rate = each.first().applyAsDouble(rate);
            }
            return rate;
        }, (previous, t) -> {
            double rate = previous;
            for (Chainable each : chain) {
                rate = each.next().next(rate, t);
            }
            return rate;
        }, null);
        // Each step steps every scheduler in turn: the last that cycles the momentum sets it, as at construction.
        List<ChainedSchedule.Momentum> cycled = parts.stream().map(ChainedSchedule::momentum).toList();
        ChainedSchedule.Momentum momentum = ChainedSchedule.Momentum.of(cycled,
                t -> lastCycling(cycled).ofStep().applyAsDouble(t));
        return composite("ChainedScheduler", parts, chained, momentum, "schedulers", List.copyOf(schedules));
    }

    /** The chainable schedules inside {@code schedules}, made here with one {@code lr}. */
    private static List<ChainedSchedule> parts(String what, List<LearningRateSchedule> schedules) {
        if (schedules.isEmpty()) {
            throw new IllegalArgumentException(what + " needs at least one schedule");
        }
        List<ChainedSchedule> parts = schedules.stream().map(schedule -> {
            if (!((schedule instanceof DescribedSchedule known ? known.function() : schedule)
                    instanceof ChainedSchedule chained)) {
                throw new IllegalArgumentException(what + " takes the schedules of Schedulers, not " + schedule);
            }
            return chained;
        }).toList();
        // PyTorch's schedulers that keep their arguments in the group's dict, which one made after another overwrites.
        Map<String, String> keptInTheGroup = Map.of(PREFIX + "OneCycleLR", "oneCycleLR: PyTorch's OneCycleLRs keep"
                + " their max_lr, initial_lr, min_lr and momenta", "torch.optim.swa_utils.SWALR", "swaLR: PyTorch's"
                + " SWALRs keep their swa_lr");
        keptInTheGroup.forEach((name, which) -> {
            if (schedules.stream().filter(schedule -> schedule instanceof DescribedSchedule known
                    && known.name().equals(name)).count() > 1) {
                throw new IllegalArgumentException(what + " of more than one " + which + " in the group, where the last"
                        + " one made overwrites the others', which vecoptim does not reproduce");
            }
        });
        for (ChainedSchedule part : parts) {
            if (Double.doubleToLongBits(part.base()) != Double.doubleToLongBits(parts.getFirst().base())) {
                throw new IllegalArgumentException(what + "'s schedules are of one group and start from one lr, not "
                        + parts.getFirst().base() + " and " + part.base());
            }
        }
        return parts;
    }

    private static DescribedSchedule composite(String name, List<ChainedSchedule> parts, Chainable chainable,
                                               ChainedSchedule.Momentum momentum, Object... arguments) {
        return DescribedSchedule.of(PREFIX + name, new ChainedSchedule(parts.getFirst().base(), chainable, momentum),
                arguments);
    }

    /** Scheduler {@code name} of PyTorch's on a group of rate {@code lr}, described by {@code lr} and its arguments. */
    private static DescribedSchedule chained(String name, double lr, Chainable chainable, Object... arguments) {
        Object[] described = new Object[arguments.length + 2];
        described[0] = "lr";
        described[1] = lr;
        System.arraycopy(arguments, 0, described, 2, arguments.length);
        return DescribedSchedule.of(PREFIX + name, new ChainedSchedule(lr, chainable), described);
    }

    /**
     * {@return the cosine between {@code lr} and {@code etaMin} at {@code current} of {@code period}: {@code etaMin +
     * (lr − etaMin) · (1 + cos(π·current / period)) / 2}, in PyTorch's order of operations}
     */
    private static double cosine(double lr, double etaMin, double current, double period) {
        return etaMin + (lr - etaMin) * (1 + CMath.cos(Math.PI * current / period)) / 2;
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
