package dev.vecoptim;

import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.StringJoiner;

/**
 * Loss scaling, as PyTorch's {@code torch.amp.GradScaler("cpu")} (2.3 and later), bit for bit (recorded runs of 2.6
 * replay exactly): gradients of a loss multiplied by {@link #scale()} are divided by it again before the step, and a
 * step whose gradients hold a NaN or an infinity is skipped, the scale backed off. Keeps small gradients of 16-bit
 * models from flushing to zero.
 *
 * <pre>{@code
 * for (...) {
 *     float lossScale = scaler.scale();      // multiply the loss (or its gradient) by it before backward
 *     ... gradients into the parameters' grad segments ...
 *     scaler.step(optimizer);                // unscales, then steps unless a gradient is not finite
 *     scaler.update();                       // grows or backs off the scale
 * }
 * }</pre>
 *
 * <ul>
 * <li>{@link #unscale}: {@code inv_scale = f(1 / (double) scale)}; every gradient element {@code g} becomes
 *     {@code rn(g · inv_scale)} (left as it is when {@code inv_scale} is 1), computed in float32 and rounded to the
 *     gradient's dtype; a NaN or infinite element before it sets {@code found_inf}. Call it yourself before
 *     clipping; {@link #step} calls it otherwise. Unlike PyTorch's, which refuses float16 gradients ("Attempting to
 *     unscale FP16 gradients"), it unscales them as PyTorch's kernel does bfloat16 ones.
 * <li>{@link #step}: the optimizer's {@link Optimizer#step()}, or nothing (a skipped {@link StepReport}) when
 *     {@code found_inf}.
 * <li>{@link #update}: when any step since the last update found a non-finite gradient, {@code scale =
 *     f(scale · backoff_factor)} and the growth tracker 0; else the tracker counts one more step, and when it
 *     reaches {@code growth_interval}, {@code scale = f(scale · growth_factor)} unless that is infinite, and the
 *     tracker is 0 again.
 * </ul>
 * {@code f} rounds to float32, as PyTorch keeps the scale in a float32 tensor. Like an {@link Optimizer}, it is
 * not thread-safe. Its state, by PyTorch's names ({@link #stateDict}), is saved and loaded with the optimizer's
 * ({@link Optimizer#save(java.nio.file.Path, GradScaler)}, {@link Optimizer#saveStateDict(java.nio.file.Path,
 * GradScaler)}), or on its own.
 */
public final class GradScaler {
    private final float initScale;
    private final double growthFactor;
    private final double backoffFactor;
    private final int growthInterval;
    private float scale;
    private int growthTracker;
    /** What happened to each optimizer since the last update: PyTorch's per-optimizer stage and found_inf. */
    private final Map<Optimizer, Progress> progress = new IdentityHashMap<>();

    private static final class Progress {
        boolean unscaled;
        boolean stepped;
        boolean foundInf;
    }

    private GradScaler(Builder builder) {
        this.initScale = (float) builder.initScale;
        this.growthFactor = builder.growthFactor;
        this.backoffFactor = builder.backoffFactor;
        this.growthInterval = builder.growthInterval;
        this.scale = initScale;
    }

    /**
     * {@return a builder at PyTorch's defaults: init_scale 2^16, growth_factor 2, backoff_factor 0.5,
     * growth_interval 2000}
     */
    public static Builder builder() {
        return new Builder();
    }

    /** {@return the scale to multiply the loss by now, a float32 as PyTorch's {@code get_scale()} gives it} */
    public float scale() {
        return scale;
    }

    /**
     * {@return how many steps in a row have had finite gradients since the scale last changed (PyTorch's
     * {@code _growth_tracker})}
     */
    public int growthTracker() {
        return growthTracker;
    }

    /**
     * Divides every gradient of {@code optimizer} by the scale, in place, and notes whether any was not finite:
     * PyTorch's {@code unscale_}, once per optimizer between updates.
     *
     * @param optimizer the optimizer whose gradients to unscale
     * @throws IllegalStateException if this optimizer's gradients were already unscaled or stepped since the last
     *     {@link #update()}, or it is closed or has a step half made; nothing is changed
     */
    public void unscale(Optimizer optimizer) {
        Progress current = progress.getOrDefault(Objects.requireNonNull(optimizer, "optimizer"), new Progress());
        if (current.stepped) {
            throw new IllegalStateException("unscale() is being called after step(); update() comes first");
        }
        if (current.unscaled) {
            throw new IllegalStateException("unscale() has already been called on this optimizer since the last"
                    + " update()");
        }
        // PyTorch works out the inverse in double and rounds it to float32 ("FP32 division can be imprecise").
        current.foundInf = optimizer.unscaleGradients((float) (1.0 / scale));
        current.unscaled = true;
        progress.put(optimizer, current);
    }

    /**
     * Unscales the gradients unless {@link #unscale} did, then steps the optimizer unless a gradient held a NaN or
     * an infinity: PyTorch's {@code step}.
     *
     * @param optimizer the optimizer to step
     * @return what the optimizer's step reports, or a skipped step (at the optimizer's step count)
     * @throws IllegalStateException if this optimizer was already stepped since the last {@link #update()}
     */
    public StepReport step(Optimizer optimizer) {
        Objects.requireNonNull(optimizer, "optimizer");
        if (progress.containsKey(optimizer) && progress.get(optimizer).stepped) {
            throw new IllegalStateException("step() has already been called since the last update()");
        }
        if (!progress.containsKey(optimizer)) {
            unscale(optimizer);
        }
        Progress current = progress.get(optimizer);
        StepReport report = current.foundInf ? new StepReport(optimizer.stepCount(), true,
                java.util.OptionalDouble.empty()) : optimizer.step();
        current.stepped = true;
        return report;
    }

    /**
     * Grows or backs off the scale from what the steps since the last update found: PyTorch's {@code update()}.
     *
     * @throws IllegalStateException if no gradients were unscaled since the last update
     */
    public void update() {
        if (progress.values().stream().noneMatch(p -> p.unscaled)) {
            throw new IllegalStateException("no gradients were unscaled (by unscale() or step()) since the last"
                    + " update()");
        }
        boolean foundInf = progress.values().stream().anyMatch(p -> p.foundInf);
        progress.clear();
        if (foundInf) {
            scale = (float) (scale * backoffFactor);
            growthTracker = 0;
            return;
        }
        int successful = growthTracker + 1;
        if (successful == growthInterval) {
            float grown = (float) (scale * growthFactor);
            if (Float.isFinite(grown)) {
                scale = grown;
            }
            growthTracker = 0;
        } else {
            growthTracker = successful;
        }
    }

    /**
     * {@return its state as PyTorch's {@code state_dict()} holds it: {@code scale} (a Double holding the float),
     * {@code growth_factor}, {@code backoff_factor}, {@code growth_interval} (an Integer) and {@code _growth_tracker}
     * (an Integer)}
     */
    public Map<String, Object> stateDict() {
        Map<String, Object> state = new LinkedHashMap<>();
        state.put("scale", (double) scale);
        state.put("growth_factor", growthFactor);
        state.put("backoff_factor", backoffFactor);
        state.put("growth_interval", growthInterval);
        state.put("_growth_tracker", growthTracker);
        return state;
    }

    /**
     * Restores the scale and growth tracker of a {@link #stateDict()} (PyTorch's, or this class's) whose factors and
     * interval are this scaler's; PyTorch's {@code load_state_dict} takes them too, which would make this scaler
     * another, so they must agree.
     *
     * @param state what {@link #stateDict()} gave
     * @throws IllegalArgumentException if an entry is missing or of another type, the scale is not a positive
     *     float, the tracker is not a whole number from 0 to below the interval, or a factor or the interval differs;
     *     nothing is changed
     */
    public void loadStateDict(Map<String, Object> state) {
        String refusal = refusal(Objects.requireNonNull(state, "state"));
        if (refusal != null) {
            throw new IllegalArgumentException(refusal);
        }
        restore(state);
    }

    /** {@return why {@link #loadStateDict} would refuse {@code state}, or null if it would restore it} */
    String refusal(Map<String, Object> state) {
        if (!(state.get("scale") instanceof Number savedScale)
                || !(state.get("_growth_tracker") instanceof Number tracker)
                || !(state.get("growth_factor") instanceof Number growth)
                || !(state.get("backoff_factor") instanceof Number backoff)
                || !(state.get("growth_interval") instanceof Number interval)) {
            return "a GradScaler state holds the numbers scale, growth_factor, backoff_factor, growth_interval and"
                    + " _growth_tracker, not " + state;
        }
        double value = savedScale.doubleValue();
        if (!(value > 0) || (double) (float) value != value || Float.isInfinite((float) value)) {
            return "scale is " + value + ", not a positive finite float";
        }
        if (growth.doubleValue() != growthFactor || backoff.doubleValue() != backoffFactor
                || interval.doubleValue() != growthInterval) {
            return "the state is of growth_factor " + growth + ", backoff_factor " + backoff + " and growth_interval "
                    + whole(interval) + ", and this scaler's are " + growthFactor + ", " + backoffFactor + " and "
                    + growthInterval;
        }
        double steps = tracker.doubleValue();
        if (steps != Math.rint(steps) || steps < 0 || steps >= growthInterval) {
            return "_growth_tracker is " + whole(tracker) + ", not a whole number in [0, " + growthInterval + ")";
        }
        return null;
    }

    /** Takes the scale and growth tracker of {@code state}, which {@link #refusal} accepted. */
    void restore(Map<String, Object> state) {
        scale = ((Number) state.get("scale")).floatValue();
        growthTracker = ((Number) state.get("_growth_tracker")).intValue();
    }

    /** {@code state}'s entries as {@code name=value}, the interval and the tracker as the whole numbers they are. */
    private static String describe(Map<String, Object> state) {
        StringJoiner text = new StringJoiner(", ");
        state.forEach((name, value) -> text.add(name + "=" + (name.equals("growth_interval")
                || name.equals("_growth_tracker") ? whole(value) : value)));
        return text.toString();
    }

    /** {@return a count as it was written, whether a file kept it as an integer or as a double (checkpoints do)} */
    private static Object whole(Object count) {
        return count instanceof Number number && number.doubleValue() == Math.rint(number.doubleValue())
                && Math.abs(number.doubleValue()) < 0x1p53 ? (Object) number.longValue() : count;
    }

    /**
     * Why a file that holds {@code saved}, a scaler's state or null for none, cannot be loaded with {@code scaler}, or
     * null: a file with a scaler's state loads only with a scaler that takes it, and one without only without.
     *
     * @param file what the file is, for the message: "the checkpoint", "the state dict"
     */
    static String fileRefusal(String file, Map<String, Object> saved, GradScaler scaler) {
        if (saved != null && scaler == null) {
            return file + " holds a GradScaler's state (" + describe(saved) + "); load it with a GradScaler of its"
                    + " growth_factor, backoff_factor and growth_interval, which the load restores the scale and growth"
                    + " tracker of";
        }
        if (saved == null && scaler != null) {
            return file + " holds no GradScaler's state: it was saved without one, and the GradScaler would keep its"
                    + " own";
        }
        String refusal = saved == null ? null : scaler.refusal(saved);
        return refusal == null ? null : file + "'s GradScaler state is refused: " + refusal;
    }

    @Override
    public String toString() {
        return "GradScaler(scale=" + scale + ", growth_tracker=" + growthTracker + ", growth_factor=" + growthFactor
                + ", backoff_factor=" + backoffFactor + ", growth_interval=" + growthInterval + ")";
    }

    /** PyTorch's constructor arguments, checked as PyTorch checks them, and more. */
    public static final class Builder {
        private double initScale = 65536;
        private double growthFactor = 2;
        private double backoffFactor = 0.5;
        private int growthInterval = 2000;

        private Builder() {
        }

        /**
         * The scale to start at, PyTorch's {@code init_scale}; default 2^16.
         *
         * @param initScale a positive value that rounds to a finite float
         * @return this builder
         */
        public Builder initScale(double initScale) {
            if (!(initScale > 0) || Float.isInfinite((float) initScale) || (float) initScale == 0) {
                throw new IllegalArgumentException("init_scale must be a positive finite float, was " + initScale);
            }
            this.initScale = initScale;
            return this;
        }

        /**
         * What the scale is multiplied by after {@code growth_interval} steps in a row of finite gradients; default 2.
         *
         * @param growthFactor &gt; 1, finite
         * @return this builder
         */
        public Builder growthFactor(double growthFactor) {
            if (!(growthFactor > 1) || Double.isInfinite(growthFactor)) {
                throw new IllegalArgumentException("The growth factor must be > 1.0 and finite, was " + growthFactor);
            }
            this.growthFactor = growthFactor;
            return this;
        }

        /**
         * What the scale is multiplied by after a step with a non-finite gradient; default 0.5.
         *
         * @param backoffFactor in (0, 1)
         * @return this builder
         */
        public Builder backoffFactor(double backoffFactor) {
            if (!(backoffFactor > 0 && backoffFactor < 1)) {
                throw new IllegalArgumentException("The backoff factor must be in (0, 1), was " + backoffFactor);
            }
            this.backoffFactor = backoffFactor;
            return this;
        }

        /**
         * How many steps in a row of finite gradients grow the scale; default 2000.
         *
         * @param growthInterval ≥ 1
         * @return this builder
         */
        public Builder growthInterval(int growthInterval) {
            if (growthInterval < 1) {
                throw new IllegalArgumentException("growth_interval must be >= 1, was " + growthInterval);
            }
            this.growthInterval = growthInterval;
            return this;
        }

        /** {@return a scaler at {@code init_scale}, its growth tracker at 0} */
        public GradScaler build() {
            return new GradScaler(this);
        }
    }
}
