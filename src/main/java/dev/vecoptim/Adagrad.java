package dev.vecoptim;

import dev.vecoptim.kernel.AdagradKernel;
import dev.vecoptim.kernel.Kernels;
import dev.vecoptim.kernel.UpdateKernel;
import java.lang.foreign.MemorySegment;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Adagrad with optional learning-rate decay and weight decay: PyTorch's {@code torch.optim.Adagrad}, bit for
 * bit equal to PyTorch's CPU result on float32 (2.x and 1.13 give the same bits; see {@link Semantics}).
 *
 * <p>For step t (from 1; every step after 2^24 is 2^24, as in PyTorch's float32 step counter), in double:
 * clr = lr / (1 + (t − 1) · lr_decay). For each element, with p the parameter, g the
 * gradient, sum the {@code sum}, {@code rn} one rounding to float, {@code fma} one rounding and {@code f(x)}
 * the double expression x rounded once to float:
 * <pre>
 * if maximize:          g = −g
 * if weight_decay ≠ 0:  g = fma(p, f(weight_decay), g)
 * sum = fma(g, g, sum)
 * std = rn(rn(sqrt(sum)) + f(eps))
 * p = rn(p + rn(rn(f(−clr) · g) / std))
 * </pre>
 * The {@code sum} starts at {@code f(initial_accumulator_value)}, as PyTorch's does.
 *
 * <p>Defaults as in PyTorch: lr 1e-2, lr_decay 0, weight_decay 0, initial_accumulator_value 0, eps 1e-10,
 * maximize off. Instances are thread-safe; a step must not run concurrently with another step on the same
 * buffers.
 */
public final class Adagrad extends Algorithm {
    private static final String SUM = "sum";
    private static final List<String> STATE_NAMES = List.of(SUM);

    private final double lr;
    private final double lrDecay;
    private final double weightDecay;
    private final double initialAccumulatorValue;
    private final double eps;
    private final boolean maximize;
    private final UpdateKernel<AdagradKernel.Coefficients> kernel;

    private Adagrad(Builder builder) {
        HyperParameterChecks.lr(builder.lr);
        HyperParameterChecks.finiteNonNegative("lr_decay value", builder.lrDecay);
        HyperParameterChecks.finiteNonNegative("weight_decay value", builder.weightDecay);
        HyperParameterChecks.finiteNonNegative("initial_accumulator_value value", builder.initialAccumulatorValue);
        HyperParameterChecks.finiteNonNegative("epsilon value", builder.eps);
        super(builder.vectorWidth, builder.semantics);
        lr = builder.lr;
        lrDecay = builder.lrDecay;
        weightDecay = builder.weightDecay;
        initialAccumulatorValue = builder.initialAccumulatorValue;
        eps = builder.eps;
        maximize = builder.maximize;
        kernel = Kernels.kernel(AdagradKernel.FAMILY, vectorBits(), new AdagradKernel.Flags(maximize, weightDecay != 0));
    }

    /**
     * Starts Adagrad hyper-parameters at PyTorch's defaults.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * A builder holding these hyper-parameters, to change some of them.
     *
     * @return a new builder
     */
    public Builder toBuilder() {
        return new Builder().lr(lr).lrDecay(lrDecay).weightDecay(weightDecay)
                .initialAccumulatorValue(initialAccumulatorValue).eps(eps).maximize(maximize)
                .vectorWidth(vectorWidth()).semantics(semantics());
    }

    /**
     * Applies step number {@code step} of Adagrad to one parameter, in place.
     *
     * @param param the parameter, updated in place
     * @param grad its gradient, only read
     * @param sum PyTorch's {@code sum}, as many floats as param, updated in place; start it at
     *     {@code f(initial_accumulator_value)}
     * @param step this step's number, counting from 1: the learning-rate decay uses it
     * @throws IllegalArgumentException if step &lt; 1, or the buffers differ in size, are not whole floats,
     *     overlap, or a written one is read-only
     * @throws IllegalStateException if a buffer's arena is closed
     * @throws WrongThreadException if a buffer is confined to another thread
     * @throws NullPointerException if a buffer is null
     */
    public void step(MemorySegment param, MemorySegment grad, MemorySegment sum, long step) {
        StepChecks.required(sum, SUM, "");
        long elements = StepChecks.elements(step, param, grad, SUM, sum, null, null, null, null);
        stepTyped(step, elements, param, grad, sum, null, null);
    }

    @Override
    StepUpdate<?> newStepUpdate() {
        return stepUpdate(new AdagradKernel.Coefficients(), this::prepare);
    }

    private UpdateKernel<AdagradKernel.Coefficients> prepare(double lr, long step, AdagradKernel.Coefficients c) {
        double clr = lr / (1 + (countedStep(step) - 1) * lrDecay);
        c.weightDecay = (float) weightDecay;
        c.eps = (float) eps;
        c.negativeClr = (float) -clr;
        return kernel;
    }

    @Override
    float initialState(String name) {
        return (float) initialAccumulatorValue;
    }

    @Override
    Map<String, Object> namedHyperParameters() {
        Map<String, Object> named = new LinkedHashMap<>();
        named.put("lr", lr);
        named.put("lr_decay", lrDecay);
        named.put("eps", eps);
        named.put("weight_decay", weightDecay);
        named.put("initial_accumulator_value", initialAccumulatorValue);
        named.put("maximize", maximize);
        return named;
    }

    @Override
    Adagrad build(NamedValues values, VectorWidth vectorWidth, Semantics semantics) {
        return builder().lr(values.number("lr")).lrDecay(values.number("lr_decay"))
                .eps(values.number("eps")).weightDecay(values.number("weight_decay"))
                .initialAccumulatorValue(values.number("initial_accumulator_value"))
                .maximize(values.flag("maximize")).vectorWidth(vectorWidth).semantics(semantics).build();
    }

    @Override
    public String name() {
        return "Adagrad";
    }

    /** {@code [sum]}. */
    @Override
    public List<String> stateNames() {
        return STATE_NAMES;
    }

    @Override
    public double lr() {
        return lr;
    }

    /** {@return PyTorch's {@code lr_decay}: step t runs at lr / (1 + (t − 1) · lr_decay)} */
    public double lrDecay() {
        return lrDecay;
    }

    /** {@return PyTorch's {@code weight_decay}} */
    public double weightDecay() {
        return weightDecay;
    }

    /** {@return PyTorch's {@code initial_accumulator_value}: where each {@code sum} starts} */
    public double initialAccumulatorValue() {
        return initialAccumulatorValue;
    }

    /** {@return PyTorch's {@code eps}} */
    public double eps() {
        return eps;
    }

    /** {@return PyTorch's {@code maximize}} */
    public boolean maximize() {
        return maximize;
    }

    /** Collects Adagrad's hyper-parameters; {@link #build()} validates them with PyTorch's messages. */
    public static final class Builder extends AlgorithmBuilder<Builder> {
        private double lr = 1e-2;
        private double lrDecay;
        private double weightDecay;
        private double initialAccumulatorValue;
        private double eps = 1e-10;

        private Builder() {
        }

        /**
         * The learning rate, ≥ 0; default 1e-2.
         *
         * @param lr the learning rate, ≥ 0; default 1e-2
         * @return this builder
         */
        public Builder lr(double lr) {
            this.lr = lr;
            return this;
        }

        /**
         * The learning-rate decay, ≥ 0; default 0.
         *
         * @param lrDecay the learning-rate decay, ≥ 0; default 0
         * @return this builder
         */
        public Builder lrDecay(double lrDecay) {
            this.lrDecay = lrDecay;
            return this;
        }

        /**
         * L2 penalty added to the gradient, ≥ 0; default 0.
         *
         * @param weightDecay L2 penalty added to the gradient, ≥ 0; default 0
         * @return this builder
         */
        public Builder weightDecay(double weightDecay) {
            this.weightDecay = weightDecay;
            return this;
        }

        /**
         * Where each {@code sum} starts, ≥ 0; default 0.
         *
         * @param initialAccumulatorValue where each {@code sum} starts, ≥ 0; default 0
         * @return this builder
         */
        public Builder initialAccumulatorValue(double initialAccumulatorValue) {
            this.initialAccumulatorValue = initialAccumulatorValue;
            return this;
        }

        /**
         * Added to the denominator for numerical stability, ≥ 0; default 1e-10.
         *
         * @param eps added to the denominator for numerical stability, ≥ 0; default 1e-10
         * @return this builder
         */
        public Builder eps(double eps) {
            this.eps = eps;
            return this;
        }

        @Override
        public Adagrad build() {
            return new Adagrad(this);
        }
    }
}
