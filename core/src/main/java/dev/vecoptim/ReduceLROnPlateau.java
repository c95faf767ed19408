package dev.vecoptim;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * PyTorch's {@code torch.optim.lr_scheduler.ReduceLROnPlateau}, bit for bit (1.13 and 2.6, on recorded metrics): after
 * each epoch the program gives it a metric ({@link #step(double)}); once the metric has not improved for more than
 * {@code patience} epochs, it multiplies every group's learning rate by {@code factor}, not below the group's
 * {@code min_lr}, and waits {@code cooldown} epochs before counting again. A metric improves on the best so far
 * ({@code best}) when, in {@link Mode#MIN}, it is below {@code best · (1 − threshold)} ({@link ThresholdMode#REL}) or
 * {@code best − threshold} ({@link ThresholdMode#ABS}); in {@link Mode#MAX}, above {@code best · (1 + threshold)} or
 * {@code best + threshold}. A reduction smaller than {@code eps} is not made. Its rates are the groups' own
 * ({@link ParameterGroup#lr(double)}): a group with a schedule is refused, since the schedule would set its rate
 * again at the next step. Its state, by PyTorch's names, is {@link #stateDict()}.
 *
 * <p>It is saved with its optimizer: {@link Optimizer#save} and {@link Optimizer#saveStateDict} write its state dict
 * beside the optimizer's (a state dict's {@code __metadata__} entry {@code reduce_lr_on_plateau}), and
 * {@link Optimizer#load} and {@link Optimizer#loadStateDict} restore it, all or nothing, into the one built on the
 * optimizer that loads, which must have the saved arguments. A file with such state is refused by an optimizer that
 * has no ReduceLROnPlateau, and a file without by one that has, so that its counters are never dropped, nor left as
 * they were, silently. An optimizer has one at most. The same holds for a {@link ShardedOptimizer}'s files.
 */
public final class ReduceLROnPlateau {

    /** Whether a lower metric is better (a loss) or a higher one (an accuracy): PyTorch's {@code mode}. */
    public enum Mode {
        /** {@code "min"}: a lower metric is better. */
        MIN,
        /** {@code "max"}: a higher metric is better. */
        MAX
    }

    /** How {@code threshold} measures an improvement: PyTorch's {@code threshold_mode}. */
    public enum ThresholdMode {
        /** {@code "rel"}: by a fraction of the best. */
        REL,
        /** {@code "abs"}: by an amount. */
        ABS
    }

    /** The arguments of its state dict, which a loaded one must share; the rest are its counters. */
    private static final List<String> ARGUMENTS = List.of("factor", "min_lrs", "patience", "cooldown", "mode",
            "threshold", "threshold_mode", "eps");
    private static final List<String> COUNTERS = List.of("num_bad_epochs", "cooldown_counter", "last_epoch");

    private final Optimizer optimizer;
    /** How a step's checks and metric are agreed on: by every process of a sharded optimizer, or by this one. */
    private final Agreeing agreement;
    private final Mode mode;
    private final double factor;
    private final long patience;
    private final double threshold;
    private final ThresholdMode thresholdMode;
    private final long cooldown;
    private final List<Double> minLrs;
    private final double eps;
    private double best;
    private long badEpochs;
    private long cooldownCounter;
    private long lastEpoch;

    /** Throws a check's failure, of this process or another's, or a metric that differs among the processes. */
    @FunctionalInterface
    interface Agreeing {
        void agree(RuntimeException failure, double metric);
    }

    /** The agreement of one process with itself: its own check's failure is thrown. */
    private static final Agreeing ALONE = (failure, metric) -> {
        if (failure != null) {
            throw failure;
        }
    };

    private ReduceLROnPlateau(Builder builder, Optimizer optimizer, Agreeing agreement) {
        this.optimizer = optimizer;
        this.agreement = agreement;
        this.mode = builder.mode;
        this.factor = builder.factor;
        this.patience = builder.patience;
        this.threshold = builder.threshold;
        this.thresholdMode = builder.thresholdMode;
        this.cooldown = builder.cooldown;
        this.eps = builder.eps;
        int groups = optimizer.groups().size();
        if (builder.minLrs != null && builder.minLrs.size() != groups) {
            throw new IllegalArgumentException("expected " + groups + " min_lrs, one per group, got "
                    + builder.minLrs.size());
        }
        this.minLrs = builder.minLrs != null ? builder.minLrs : java.util.Collections.nCopies(groups, builder.minLr);
        this.best = worst();
    }

    /** One with {@code original}'s arguments and counters, of {@code other}'s groups, which agrees with itself. */
    private ReduceLROnPlateau(ReduceLROnPlateau original, Optimizer other) {
        this.optimizer = other;
        this.agreement = ALONE;
        this.mode = original.mode;
        this.factor = original.factor;
        this.patience = original.patience;
        this.threshold = original.threshold;
        this.thresholdMode = original.thresholdMode;
        this.cooldown = original.cooldown;
        this.minLrs = original.minLrs;
        this.eps = original.eps;
        restore(original.stateDict());
    }

    /**
     * A copy of this one on {@code other}, an optimizer of the same groups, attached to it: what a sharded optimizer
     * saves and loads through the one-process optimizer of its whole state.
     */
    ReduceLROnPlateau attachCopy(Optimizer other) {
        ReduceLROnPlateau copy = new ReduceLROnPlateau(this, other);
        other.attach(copy);
        return copy;
    }

    /** {@return a builder with PyTorch's defaults: MIN, factor 0.1, patience 10, threshold 1e-4 REL, no cooldown} */
    public static Builder builder() {
        return new Builder();
    }

    private double worst() {
        return mode == Mode.MIN ? Double.POSITIVE_INFINITY : Double.NEGATIVE_INFINITY;
    }

    /**
     * Ends an epoch whose metric is {@code metric}: counts it as an improvement or not, and reduces every group's
     * rate when the epochs without one exceed the patience.
     *
     * @param metric the epoch's loss, accuracy or other measure (a NaN never improves); for a sharded optimizer, the
     *     same on every process (the job's, averaged over its processes)
     * @throws IllegalStateException if a group has a schedule, or the groups are not those it was made for; nothing
     *     is changed then
     * @throws IllegalArgumentException for a sharded optimizer, on every process, if the processes gave other
     *     metrics; nothing is changed then (and a check that fails on one process is thrown on every one)
     */
    public void step(double metric) {
        List<ParameterGroup> groups = optimizer.groups();
        IllegalStateException refused = null;
        if (groups.size() != minLrs.size()) {
            refused = new IllegalStateException("ReduceLROnPlateau was made for " + minLrs.size() + " groups, and the"
                    + " optimizer has " + groups.size() + "; nothing was changed");
        }
        for (ParameterGroup group : groups) {
            if (refused == null && group.schedule().isPresent()) {
                refused = new IllegalStateException("group " + group.index() + " has a schedule, which sets its rate"
                        + " at every step over ReduceLROnPlateau's; nothing was changed");
            }
        }
        agreement.agree(refused, metric);
        lastEpoch++;
        if (better(metric)) {
            best = metric;
            badEpochs = 0;
        } else {
            badEpochs++;
        }
        if (cooldownCounter > 0) {
            cooldownCounter--;
            badEpochs = 0;
        }
        if (badEpochs > patience) {
            for (ParameterGroup group : groups) {
                double old = group.lr();
                double reduced = Math.max(old * factor, minLrs.get(group.index()));
                if (old - reduced > eps) {
                    group.lr(reduced);
                }
            }
            cooldownCounter = cooldown;
            badEpochs = 0;
        }
    }

    private boolean better(double metric) {
        return switch (mode) {
            case MIN -> thresholdMode == ThresholdMode.REL ? metric < best * (1.0 - threshold)
                    : metric < best - threshold;
            case MAX -> thresholdMode == ThresholdMode.REL ? metric > best * (threshold + 1.0)
                    : metric > best + threshold;
        };
    }

    /**
     * {@return its state by PyTorch's names, as its {@code state_dict()} holds them (the numbers; {@code mode} and
     * {@code threshold_mode} as PyTorch's strings): {@code best}, {@code num_bad_epochs}, {@code cooldown_counter},
     * {@code last_epoch}, {@code _last_lr} and the arguments}
     */
    public Map<String, Object> stateDict() {
        Map<String, Object> state = new LinkedHashMap<>();
        state.put("factor", factor);
        state.put("min_lrs", List.copyOf(minLrs));
        state.put("patience", patience);
        state.put("cooldown", cooldown);
        state.put("cooldown_counter", cooldownCounter);
        state.put("mode", mode.name().toLowerCase(java.util.Locale.ROOT));
        state.put("threshold", threshold);
        state.put("threshold_mode", thresholdMode.name().toLowerCase(java.util.Locale.ROOT));
        state.put("best", best);
        state.put("num_bad_epochs", badEpochs);
        state.put("mode_worse", worst());
        state.put("eps", eps);
        state.put("last_epoch", lastEpoch);
        List<Double> lastLr = new ArrayList<>();
        for (ParameterGroup group : optimizer.groups()) {
            lastLr.add(group.lr());
        }
        state.put("_last_lr", lastLr);
        return state;
    }

    /**
     * Restores {@code best}, {@code num_bad_epochs}, {@code cooldown_counter} and {@code last_epoch} from a
     * {@link #stateDict()}, whose arguments must be this one's.
     *
     * @param state a state dict of a ReduceLROnPlateau with these arguments
     * @throws IllegalArgumentException if an argument differs, or a counter is missing or not a number; nothing is
     *     changed then
     */
    public void loadStateDict(Map<String, Object> state) {
        String refusal = refusal(state);
        if (refusal != null) {
            throw new IllegalArgumentException(refusal + "; nothing was loaded");
        }
        restore(state);
    }

    /**
     * Why {@code state} cannot be loaded into this one, or null: an argument differs (numbers compared by value, as
     * PyTorch writes an integer {@code min_lr} as one), or a counter is missing or not a count.
     */
    String refusal(Map<String, Object> state) {
        Map<String, Object> mine = stateDict();
        for (String argument : ARGUMENTS) {
            if (!sameArgument(mine.get(argument), state.get(argument))) {
                return "ReduceLROnPlateau's " + argument + " is " + mine.get(argument) + " here and "
                        + state.get(argument) + " in the state";
            }
        }
        if (!(state.get("best") instanceof Number)) {
            return "ReduceLROnPlateau's best is not a number in the state: " + state.get("best");
        }
        for (String counter : COUNTERS) {
            if (!(state.get(counter) instanceof Long count) || count < 0) {
                return "ReduceLROnPlateau's " + counter + " is not a count in the state: " + state.get(counter);
            }
        }
        return null;
    }

    private static boolean sameArgument(Object mine, Object saved) {
        if (mine instanceof Number number && saved instanceof Number other) {
            return Double.compare(number.doubleValue(), other.doubleValue()) == 0;
        }
        if (mine instanceof List<?> list && saved instanceof List<?> others && list.size() == others.size()) {
            for (int i = 0; i < list.size(); i++) {
                if (!sameArgument(list.get(i), others.get(i))) {
                    return false;
                }
            }
            return true;
        }
        return Objects.equals(mine, saved);
    }

    /** Restores the counters of {@code state}, which {@link #refusal} accepts. */
    void restore(Map<String, Object> state) {
        best = ((Number) state.get("best")).doubleValue();
        badEpochs = (Long) state.get("num_bad_epochs");
        cooldownCounter = (Long) state.get("cooldown_counter");
        lastEpoch = (Long) state.get("last_epoch");
    }

    /** The arguments of a {@link ReduceLROnPlateau}, by PyTorch's names. */
    public static final class Builder {
        private Mode mode = Mode.MIN;
        private double factor = 0.1;
        private long patience = 10;
        private double threshold = 1e-4;
        private ThresholdMode thresholdMode = ThresholdMode.REL;
        private long cooldown;
        private double minLr;
        private List<Double> minLrs;
        private double eps = 1e-8;

        private Builder() {
        }

        /**
         * Whether a lower or a higher metric is better; default {@link Mode#MIN}.
         *
         * @param mode PyTorch's {@code mode}
         * @return this builder
         */
        public Builder mode(Mode mode) {
            this.mode = Objects.requireNonNull(mode, "mode");
            return this;
        }

        /**
         * What a reduction multiplies the rates by; default 0.1.
         *
         * @param factor PyTorch's {@code factor}, in [0, 1)
         * @return this builder
         * @throws IllegalArgumentException otherwise
         */
        public Builder factor(double factor) {
            if (!(factor >= 0 && factor < 1)) {
                throw new IllegalArgumentException("factor must be in [0, 1), was " + factor);
            }
            this.factor = factor;
            return this;
        }

        /**
         * The epochs without improvement it waits before reducing; default 10.
         *
         * @param patience PyTorch's {@code patience}, ≥ 0
         * @return this builder
         * @throws IllegalArgumentException otherwise
         */
        public Builder patience(long patience) {
            this.patience = atLeastZero("patience", patience);
            return this;
        }

        /**
         * How much better than the best a metric must be to count as an improvement; default 1e-4, relative.
         *
         * @param threshold PyTorch's {@code threshold}, finite and ≥ 0
         * @param thresholdMode PyTorch's {@code threshold_mode}
         * @return this builder
         * @throws IllegalArgumentException otherwise
         */
        public Builder threshold(double threshold, ThresholdMode thresholdMode) {
            if (!(threshold >= 0) || Double.isInfinite(threshold)) {
                throw new IllegalArgumentException("threshold must be finite and >= 0, was " + threshold);
            }
            this.threshold = threshold;
            this.thresholdMode = Objects.requireNonNull(thresholdMode, "thresholdMode");
            return this;
        }

        /**
         * The epochs after a reduction before counting again; default 0.
         *
         * @param cooldown PyTorch's {@code cooldown}, ≥ 0
         * @return this builder
         * @throws IllegalArgumentException otherwise
         */
        public Builder cooldown(long cooldown) {
            this.cooldown = atLeastZero("cooldown", cooldown);
            return this;
        }

        /**
         * The lowest rate of every group; default 0.
         *
         * @param minLr PyTorch's {@code min_lr}, finite and ≥ 0
         * @return this builder
         * @throws IllegalArgumentException otherwise
         */
        public Builder minLr(double minLr) {
            this.minLr = HyperParameterChecks.lr(minLr);
            this.minLrs = null;
            return this;
        }

        /**
         * The lowest rate of each group, in order.
         *
         * @param minLrs PyTorch's {@code min_lr} as a list, each finite and ≥ 0, one per group
         * @return this builder
         * @throws IllegalArgumentException otherwise
         */
        public Builder minLrs(List<Double> minLrs) {
            minLrs.forEach(HyperParameterChecks::lr);
            this.minLrs = List.copyOf(minLrs);
            return this;
        }

        /**
         * The smallest reduction made; default 1e-8.
         *
         * @param eps PyTorch's {@code eps}, finite and ≥ 0
         * @return this builder
         * @throws IllegalArgumentException otherwise
         */
        public Builder eps(double eps) {
            if (!(eps >= 0) || Double.isInfinite(eps)) {
                throw new IllegalArgumentException("eps must be finite and >= 0, was " + eps);
            }
            this.eps = eps;
            return this;
        }

        /**
         * A ReduceLROnPlateau of {@code optimizer}'s groups, as they are now.
         *
         * @param optimizer the optimizer whose groups' rates it lowers
         * @return the scheduler, no epoch counted yet
         * @throws IllegalArgumentException if per-group min_lrs were given for another number of groups
         * @throws IllegalStateException if the optimizer has a ReduceLROnPlateau already, or is closed
         */
        public ReduceLROnPlateau build(Optimizer optimizer) {
            ReduceLROnPlateau plateau = new ReduceLROnPlateau(this, Objects.requireNonNull(optimizer, "optimizer"),
                    ALONE);
            optimizer.attach(plateau);
            return plateau;
        }

        /**
         * A ReduceLROnPlateau of a sharded optimizer's groups, as they are now: every process makes one and steps it
         * with the same metric each epoch, and the groups' rates stay the same on every process.
         *
         * @param sharded the sharded optimizer whose groups' rates it lowers
         * @return the scheduler, no epoch counted yet
         * @throws IllegalArgumentException if per-group min_lrs were given for another number of groups
         * @throws IllegalStateException if the sharded optimizer has a ReduceLROnPlateau already, or is closed
         */
        public ReduceLROnPlateau build(ShardedOptimizer sharded) {
            Objects.requireNonNull(sharded, "sharded");
            ReduceLROnPlateau plateau = new ReduceLROnPlateau(this, sharded.shardOptimizer(), sharded::agreeOnEpoch);
            sharded.shardOptimizer().attach(plateau);
            return plateau;
        }

        private static long atLeastZero(String name, long value) {
            if (value < 0) {
                throw new IllegalArgumentException(name + " must be >= 0, was " + value);
            }
            return value;
        }
    }
}
