package dev.vecoptim;

import dev.vecoptim.kernel.Kernels;
import dev.vecoptim.kernel.RpropKernel;
import dev.vecoptim.kernel.UpdateKernel;
import java.lang.foreign.MemorySegment;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Resilient backpropagation: PyTorch's {@code torch.optim.Rprop}, bit for bit equal to PyTorch's CPU result on
 * float32 (2.x and 1.13 give the same bits; see {@link Semantics}). Only the gradient's sign moves a parameter,
 * by a step size of its own that grows while the sign holds and shrinks when it flips.
 *
 * <p>For each element, with p the parameter, g the gradient, prev the {@code prev}, s the {@code step_size},
 * {@code rn} one rounding to float, {@code fma} one rounding and {@code f(x)} the double x rounded to float:
 * <pre>
 * if maximize:  g = −g
 * on step 1:    prev = 0, s = f(lr)      (PyTorch creates them then, with the lr of that step)
 * c = rn(g · prev)
 * factor = f(etaplus) if c &gt; 0;  f(etaminus) if c &lt; 0;  1 if c is 0 or NaN, or if f(etaminus) is 0
 * s = rn(s · factor), then f(step_size_min) if s &lt; it, then f(step_size_max) if s &gt; it
 *                           (PyTorch's clamp: a step size of −0, from lr = −0.0, stays −0 against bounds of 0)
 * if factor = f(etaminus):  g = 0
 * prev = g
 * p = fma(−sign(g), s, p)     (sign(NaN) = 0: a NaN gradient leaves p as it is, and is kept in prev)
 * </pre>
 * The learning rate is used once, as every step size's start; changing it later changes nothing.
 *
 * <p>Defaults as in PyTorch: lr 1e-2, etas (0.5, 1.2), step_sizes (1e-6, 50), maximize off. Instances are
 * thread-safe; a step must not run concurrently with another step on the same buffers.
 */
public final class Rprop extends Algorithm {
    private static final String PREV = "prev";
    private static final String STEP_SIZE = "step_size";
    private static final List<String> STATE_NAMES = List.of(PREV, STEP_SIZE);

    private final double lr;
    private final double etaMinus;
    private final double etaPlus;
    private final double stepSizeMin;
    private final double stepSizeMax;
    private final boolean maximize;
    private final UpdateKernel<RpropKernel.Coefficients> firstStepKernel;
    private final UpdateKernel<RpropKernel.Coefficients> kernel;

    private Rprop(Builder builder) {
        HyperParameterChecks.lr(builder.lr);
        if (!(0 < builder.etaMinus && builder.etaMinus < 1 && 1 < builder.etaPlus)
                || builder.etaPlus == Double.POSITIVE_INFINITY) {
            throw new IllegalArgumentException("Invalid eta values: " + PythonFloat.repr(builder.etaMinus) + ", "
                    + PythonFloat.repr(builder.etaPlus));
        }
        // PyTorch checks none; a minimum above the maximum, or a negative or NaN one, is a mistake, never a choice.
        if (!(0 <= builder.stepSizeMin && builder.stepSizeMin <= builder.stepSizeMax)
                || builder.stepSizeMin == Double.POSITIVE_INFINITY) {
            throw new IllegalArgumentException("Invalid step_sizes values: " + PythonFloat.repr(builder.stepSizeMin)
                    + ", " + PythonFloat.repr(builder.stepSizeMax) + " (need 0 <= min <= max, min finite)");
        }
        super(builder.vectorWidth, builder.semantics);
        lr = builder.lr;
        etaMinus = builder.etaMinus;
        etaPlus = builder.etaPlus;
        stepSizeMin = builder.stepSizeMin;
        stepSizeMax = builder.stepSizeMax;
        maximize = builder.maximize;
        kernel = Kernels.kernel(RpropKernel.FAMILY, vectorBits(), new RpropKernel.Flags(maximize, false));
        firstStepKernel = Kernels.kernel(RpropKernel.FAMILY, vectorBits(), new RpropKernel.Flags(maximize, true));
    }

    /**
     * Starts Rprop hyper-parameters at PyTorch's defaults.
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
        return new Builder().lr(lr).etas(etaMinus, etaPlus).stepSizes(stepSizeMin, stepSizeMax).maximize(maximize)
                .vectorWidth(vectorWidth()).semantics(semantics());
    }

    /**
     * Applies step number {@code step} of Rprop to one parameter, in place.
     *
     * @param param the parameter, updated in place
     * @param grad its gradient, only read
     * @param prev PyTorch's {@code prev}, as many floats as param, updated in place (not read on step 1)
     * @param stepSize PyTorch's {@code step_size}, as many floats as param, updated in place (not read on step 1,
     *     where every step size starts at lr)
     * @param step this step's number, counting from 1
     * @throws IllegalArgumentException if step &lt; 1, or the buffers differ in size, are not whole floats,
     *     overlap, or a written one is read-only
     * @throws IllegalStateException if a buffer's arena is closed
     * @throws WrongThreadException if a buffer is confined to another thread
     * @throws NullPointerException if a buffer is null
     */
    public void step(MemorySegment param, MemorySegment grad, MemorySegment prev, MemorySegment stepSize, long step) {
        StepChecks.required(prev, PREV, "");
        StepChecks.required(stepSize, STEP_SIZE, "");
        long elements = StepChecks.elements(step, param, grad, PREV, prev, STEP_SIZE, stepSize, null, null);
        stepTyped(step, elements, param, grad, prev, stepSize, null);
    }

    @Override
    StepUpdate<?> newStepUpdate() {
        return stepUpdate(new RpropKernel.Coefficients(), this::prepare);
    }

    private UpdateKernel<RpropKernel.Coefficients> prepare(double lr, long step, RpropKernel.Coefficients c) {
        c.etaMinus = (float) etaMinus;
        c.etaPlus = (float) etaPlus;
        c.stepSizeMin = (float) stepSizeMin;
        c.stepSizeMax = (float) stepSizeMax;
        c.initialStepSize = (float) lr;
        return step == 1 ? firstStepKernel : kernel;
    }

    /** {@code step_size} starts at lr: what a parameter registered now would start from, were lr unchanged. */
    @Override
    float initialState(String name) {
        return name.equals(STEP_SIZE) ? (float) lr : 0;
    }

    @Override
    Map<String, Object> namedHyperParameters() {
        Map<String, Object> named = new LinkedHashMap<>();
        named.put("lr", lr);
        named.put("etas", new double[] {etaMinus, etaPlus});
        named.put("step_sizes", new double[] {stepSizeMin, stepSizeMax});
        named.put("maximize", maximize);
        return named;
    }

    @Override
    Rprop build(NamedValues values, VectorWidth vectorWidth, Semantics semantics) {
        double[] etas = values.pair("etas");
        double[] stepSizes = values.pair("step_sizes");
        return builder().lr(values.number("lr")).etas(etas[0], etas[1])
                .stepSizes(stepSizes[0], stepSizes[1]).maximize(values.flag("maximize")).vectorWidth(vectorWidth)
                .semantics(semantics).build();
    }

    @Override
    public String name() {
        return "Rprop";
    }

    /** {@code [prev, step_size]}. */
    @Override
    public List<String> stateNames() {
        return STATE_NAMES;
    }

    /** Where every step size starts, at a parameter's first step. */
    @Override
    public double lr() {
        return lr;
    }

    /** {@return the first of PyTorch's {@code etas}: the factor of a step size whose gradient changed sign} */
    public double etaMinus() {
        return etaMinus;
    }

    /** {@return the second of PyTorch's {@code etas}: the factor of a step size whose gradient kept its sign} */
    public double etaPlus() {
        return etaPlus;
    }

    /** {@return the first of PyTorch's {@code step_sizes}: the smallest step size} */
    public double stepSizeMin() {
        return stepSizeMin;
    }

    /** {@return the second of PyTorch's {@code step_sizes}: the largest step size} */
    public double stepSizeMax() {
        return stepSizeMax;
    }

    /** {@return PyTorch's {@code maximize}} */
    public boolean maximize() {
        return maximize;
    }

    /** Collects Rprop's hyper-parameters; {@link #build()} validates them with PyTorch's messages. */
    public static final class Builder extends AlgorithmBuilder<Builder> {
        private double lr = 1e-2;
        private double etaMinus = 0.5;
        private double etaPlus = 1.2;
        private double stepSizeMin = 1e-6;
        private double stepSizeMax = 50;

        private Builder() {
        }

        /**
         * Every step size's start, ≥ 0; default 1e-2.
         *
         * @param lr every step size's start, ≥ 0; default 1e-2
         * @return this builder
         */
        public Builder lr(double lr) {
            this.lr = lr;
            return this;
        }

        /**
         * PyTorch's {@code etas}: 0 &lt; etaminus &lt; 1 &lt; etaplus (finite); default (0.5, 1.2).
         *
         * @param etaPlus PyTorch's {@code etas}: 0 &lt; etaminus &lt; 1 &lt; etaplus (finite); default (0.5, 1.2)
         * @param etaMinus PyTorch's {@code etas}: 0 &lt; etaminus &lt; 1 &lt; etaplus (finite); default (0.5, 1.2)
         * @return this builder
         */
        public Builder etas(double etaMinus, double etaPlus) {
            this.etaMinus = etaMinus;
            this.etaPlus = etaPlus;
            return this;
        }

        /**
         * PyTorch's {@code step_sizes}: 0 ≤ min ≤ max, min finite, max may be infinite; default (1e-6, 50).
         *
         * @param stepSizeMin PyTorch's {@code step_sizes}: 0 ≤ min ≤ max, min finite, max may be infinite; default
         *     (1e-6, 50)
         * @param stepSizeMax PyTorch's {@code step_sizes}: 0 ≤ min ≤ max, min finite, max may be infinite; default
         *     (1e-6, 50)
         * @return this builder
         */
        public Builder stepSizes(double stepSizeMin, double stepSizeMax) {
            this.stepSizeMin = stepSizeMin;
            this.stepSizeMax = stepSizeMax;
            return this;
        }

        @Override
        public Rprop build() {
            return new Rprop(this);
        }
    }
}
