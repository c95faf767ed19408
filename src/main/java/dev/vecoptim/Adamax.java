package dev.vecoptim;

import dev.vecoptim.kernel.AdamaxKernel;
import dev.vecoptim.kernel.Kernels;
import dev.vecoptim.kernel.UpdateKernel;
import java.lang.foreign.MemorySegment;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Adamax, Adam with the infinity norm, with optional weight decay: PyTorch's {@code torch.optim.Adamax}, bit
 * for bit equal to PyTorch's CPU result on float32: 2.x's by default, or 1.13's ({@link Semantics}).
 *
 * <p>For step t (from 1; every step after 2^24 is 2^24, as in PyTorch's float32 step counter), in double:
 * clr = lr / (1 − β1^t). For each element, with p the parameter, g the gradient, m the {@code exp_avg}, u the
 * {@code exp_inf}, {@code rn} one rounding to float, {@code fma} one rounding and {@code f(x)} the double
 * expression x rounded once to float:
 * <pre>
 * if maximize:          g = −g
 * if weight_decay ≠ 0:  g = fma(p, f(weight_decay), g)
 * m = lerp(m, g, f(1 − β1))                    (PyTorch 2.x: see {@link Semantics})
 * m = fma(g, f(1 − β1), rn(m · f(β1)))         (PyTorch 1.13)
 * u = max(rn(u · f(β2)), rn(|g| + f(eps)))     (NaN wins)
 * p = rn(p + rn(rn(f(−clr) · m) / u))
 * </pre>
 * The state buffers start at zero, as PyTorch's do.
 *
 * <p>Defaults as in PyTorch: lr 2e-3, betas (0.9, 0.999), eps 1e-8, weight_decay 0, maximize off. Instances
 * are thread-safe; a step must not run concurrently with another step on the same buffers.
 */
public final class Adamax extends Algorithm {
    private static final String EXP_AVG = "exp_avg";
    private static final String EXP_INF = "exp_inf";
    private static final List<String> STATE_NAMES = List.of(EXP_AVG, EXP_INF);

    private final double lr;
    private final double beta1;
    private final double beta2;
    private final double eps;
    private final double weightDecay;
    private final boolean maximize;
    private final UpdateKernel<AdamaxKernel.Coefficients> kernel;

    private Adamax(Builder builder) {
        HyperParameterChecks.lr(builder.lr);
        HyperParameterChecks.finiteNonNegative("epsilon value", builder.eps);
        HyperParameterChecks.betas(builder.beta1, builder.beta2);
        HyperParameterChecks.finiteNonNegative("weight_decay value", builder.weightDecay);
        super(builder.vectorWidth, builder.semantics);
        lr = builder.lr;
        beta1 = builder.beta1;
        beta2 = builder.beta2;
        eps = builder.eps;
        weightDecay = builder.weightDecay;
        maximize = builder.maximize;
        kernel = Kernels.kernel(AdamaxKernel.FAMILY, vectorBits(),
                new AdamaxKernel.Flags(maximize, weightDecay != 0, semantics().lerp()));
    }

    /**
     * Starts Adamax hyper-parameters at PyTorch's defaults.
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
        return new Builder().lr(lr).betas(beta1, beta2).eps(eps).weightDecay(weightDecay).maximize(maximize)
                .vectorWidth(vectorWidth()).semantics(semantics());
    }

    /**
     * Applies step number {@code step} of Adamax to one parameter, in place.
     *
     * @param param the parameter, updated in place
     * @param grad its gradient, only read
     * @param expAvg PyTorch's {@code exp_avg}, as many floats as param, updated in place
     * @param expInf PyTorch's {@code exp_inf}, as many floats as param, updated in place
     * @param step this step's number t, counting from 1: the bias correction uses it
     * @throws IllegalArgumentException if step &lt; 1, or the buffers differ in size, are not whole floats,
     *     overlap, or a written one is read-only
     * @throws IllegalStateException if a buffer's arena is closed
     * @throws WrongThreadException if a buffer is confined to another thread
     * @throws NullPointerException if a buffer is null
     */
    public void step(MemorySegment param, MemorySegment grad, MemorySegment expAvg, MemorySegment expInf, long step) {
        StepChecks.required(expAvg, EXP_AVG, "");
        StepChecks.required(expInf, EXP_INF, "");
        long elements = StepChecks.elements(step, param, grad, EXP_AVG, expAvg, EXP_INF, expInf, null, null);
        stepTyped(step, elements, param, grad, expAvg, expInf, null);
    }

    @Override
    StepUpdate<?> newStepUpdate() {
        return stepUpdate(new AdamaxKernel.Coefficients(), this::prepare);
    }

    private UpdateKernel<AdamaxKernel.Coefficients> prepare(double lr, long step, AdamaxKernel.Coefficients c) {
        double clr = lr / (1 - power(beta1, step));
        c.weightDecay = (float) weightDecay;
        c.beta1 = (float) beta1;
        c.beta1Complement = (float) (1 - beta1);
        c.beta2 = (float) beta2;
        c.eps = (float) eps;
        c.negativeClr = (float) -clr;
        return kernel;
    }

    @Override
    Map<String, Object> namedHyperParameters() {
        Map<String, Object> named = new LinkedHashMap<>();
        named.put("lr", lr);
        named.put("betas", new double[] {beta1, beta2});
        named.put("eps", eps);
        named.put("weight_decay", weightDecay);
        named.put("maximize", maximize);
        return named;
    }

    @Override
    Adamax build(NamedValues values, VectorWidth vectorWidth, Semantics semantics) {
        double[] betas = values.pair("betas");
        return builder().lr(values.number("lr")).betas(betas[0], betas[1])
                .eps(values.number("eps")).weightDecay(values.number("weight_decay"))
                .maximize(values.flag("maximize")).vectorWidth(vectorWidth).semantics(semantics).build();
    }

    @Override
    public String name() {
        return "Adamax";
    }

    /** {@code [exp_avg, exp_inf]}. */
    @Override
    public List<String> stateNames() {
        return STATE_NAMES;
    }

    @Override
    public double lr() {
        return lr;
    }

    /** {@return the first of PyTorch's {@code betas}: the decay of the first moment} */
    public double beta1() {
        return beta1;
    }

    /** {@return the second of PyTorch's {@code betas}: the decay of the infinity norm} */
    public double beta2() {
        return beta2;
    }

    /** {@return PyTorch's {@code eps}} */
    public double eps() {
        return eps;
    }

    /** {@return PyTorch's {@code weight_decay}} */
    public double weightDecay() {
        return weightDecay;
    }

    /** {@return PyTorch's {@code maximize}} */
    public boolean maximize() {
        return maximize;
    }

    /** Collects Adamax's hyper-parameters; {@link #build()} validates them with PyTorch's messages. */
    public static final class Builder extends AlgorithmBuilder<Builder> {
        private double lr = 2e-3;
        private double beta1 = 0.9;
        private double beta2 = 0.999;
        private double eps = 1e-8;
        private double weightDecay;

        private Builder() {
        }

        /**
         * The learning rate, ≥ 0; default 2e-3.
         *
         * @param lr the learning rate, ≥ 0; default 2e-3
         * @return this builder
         */
        public Builder lr(double lr) {
            this.lr = lr;
            return this;
        }

        /**
         * PyTorch's {@code betas}: the decay rates of the moment and the norm, each in [0, 1); default (0.9, 0.999).
         *
         * @param beta1 PyTorch's {@code betas}: the decay rates of the moment and the norm, each in [0, 1); default
         *     (0.9, 0.999)
         * @param beta2 PyTorch's {@code betas}: the decay rates of the moment and the norm, each in [0, 1); default
         *     (0.9, 0.999)
         * @return this builder
         */
        public Builder betas(double beta1, double beta2) {
            this.beta1 = beta1;
            this.beta2 = beta2;
            return this;
        }

        /**
         * Added to the norm for numerical stability, ≥ 0; default 1e-8.
         *
         * @param eps added to the norm for numerical stability, ≥ 0; default 1e-8
         * @return this builder
         */
        public Builder eps(double eps) {
            this.eps = eps;
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

        @Override
        public Adamax build() {
            return new Adamax(this);
        }
    }
}
