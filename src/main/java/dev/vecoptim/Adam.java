package dev.vecoptim;

import dev.vecoptim.kernel.AdamKernel;
import dev.vecoptim.kernel.Kernels;
import dev.vecoptim.kernel.UpdateKernel;
import dev.vecoptim.kernel.WeightDecay;
import java.lang.foreign.MemorySegment;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Adam, with optional AMSGrad and either L2 weight decay (PyTorch's {@code torch.optim.Adam}) or decoupled
 * weight decay (PyTorch's {@code torch.optim.AdamW}, built with {@link #adamWBuilder()}), bit for bit equal
 * to PyTorch's CPU result on float32: 2.x's by default, or 1.13's ({@link Semantics}).
 *
 * <p>For step t (from 1; every step after 2^24 is 2^24, as in PyTorch's float32 step counter), in double:
 * bc1 = 1 − β1^t, bc2 = 1 − β2^t, step_size = lr / bc1. For each element, with p the parameter, g the
 * gradient, m the {@code exp_avg}, v the {@code exp_avg_sq}, vmax the {@code max_exp_avg_sq}, {@code rn} one
 * rounding to float, {@code fma} one rounding and {@code f(x)} the double expression x rounded once to float:
 * <pre>
 * if maximize:               g = −g
 * if AdamW:                  p = rn(p · f(1 − lr · weight_decay))
 * else if weight_decay ≠ 0:  g = fma(p, f(weight_decay), g)
 * m = lerp(m, g, f(1 − β1))                    (PyTorch 2.x: see {@link Semantics})
 * m = fma(g, f(1 − β1), rn(m · f(β1)))         (PyTorch 1.13)
 * v = fma(rn(f(1 − β2) · g), g, rn(v · f(β2)))
 * if amsgrad:                vmax = max(vmax, v)   (NaN wins);  v̂ = vmax
 * else:                      v̂ = v
 * denom = rn(rn(rn(sqrt(v̂)) / f(sqrt(bc2))) + f(eps))
 * p = rn(p + rn(rn(f(−step_size) · m) / denom))
 * </pre>
 * The state buffers start at zero, as PyTorch's do.
 *
 * <p>Defaults as in PyTorch: lr 1e-3, betas (0.9, 0.999), eps 1e-8, amsgrad and maximize off; weight_decay
 * 0 for Adam and 1e-2 for AdamW. Instances are thread-safe; a step must not run concurrently with another
 * step on the same buffers.
 */
public final class Adam extends Algorithm {
    private static final String EXP_AVG = "exp_avg";
    private static final String EXP_AVG_SQ = "exp_avg_sq";
    private static final String MAX_EXP_AVG_SQ = "max_exp_avg_sq";

    private final double lr;
    private final double beta1;
    private final double beta2;
    private final double eps;
    private final double weightDecay;
    private final boolean amsgrad;
    private final boolean maximize;
    private final boolean decoupledWeightDecay;
    private final List<String> stateNames;
    private final UpdateKernel<AdamKernel.Coefficients> kernel;

    private Adam(Builder builder) {
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
        amsgrad = builder.amsgrad;
        maximize = builder.maximize;
        decoupledWeightDecay = builder.decoupledWeightDecay;
        stateNames = amsgrad ? List.of(EXP_AVG, EXP_AVG_SQ, MAX_EXP_AVG_SQ) : List.of(EXP_AVG, EXP_AVG_SQ);
        kernel = Kernels.kernel(AdamKernel.FAMILY, vectorBits(), new AdamKernel.Flags(maximize,
                WeightDecay.of(weightDecay, decoupledWeightDecay), amsgrad, semantics().lerp()));
    }

    /**
     * Starts Adam hyper-parameters at PyTorch's defaults ({@code torch.optim.Adam}).
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder(false, 0);
    }

    /**
     * Starts AdamW hyper-parameters at PyTorch's defaults ({@code torch.optim.AdamW}: weight_decay 1e-2).
     *
     * @return a new builder
     */
    public static Builder adamWBuilder() {
        return new Builder(true, 1e-2);
    }

    /**
     * A builder holding these hyper-parameters, to change some of them.
     *
     * @return a new builder
     */
    public Builder toBuilder() {
        return new Builder(decoupledWeightDecay, weightDecay).lr(lr).betas(beta1, beta2).eps(eps)
                .amsgrad(amsgrad).maximize(maximize).vectorWidth(vectorWidth())
                .semantics(semantics());
    }

    /**
     * Applies step number {@code step} of Adam to one parameter, in place.
     *
     * @param param the parameter, updated in place
     * @param grad its gradient, only read
     * @param expAvg PyTorch's {@code exp_avg}, as many floats as param, updated in place
     * @param expAvgSq PyTorch's {@code exp_avg_sq}, as many floats as param, updated in place
     * @param maxExpAvgSq PyTorch's {@code max_exp_avg_sq}: needed with amsgrad, else neither read nor
     *     written (may be null)
     * @param step this step's number t, counting from 1: the bias corrections use it
     * @throws IllegalArgumentException if step &lt; 1, or the buffers differ in size, are not whole floats,
     *     overlap, or a written one is read-only
     * @throws IllegalStateException if a buffer's arena is closed
     * @throws WrongThreadException if a buffer is confined to another thread
     * @throws NullPointerException if a needed buffer is null
     */
    public void step(MemorySegment param, MemorySegment grad, MemorySegment expAvg, MemorySegment expAvgSq,
                     MemorySegment maxExpAvgSq, long step) {
        StepChecks.required(expAvg, EXP_AVG, "");
        StepChecks.required(expAvgSq, EXP_AVG_SQ, "");
        MemorySegment usedMax = amsgrad ? StepChecks.required(maxExpAvgSq, MAX_EXP_AVG_SQ, " with amsgrad") : null;
        long elements = StepChecks.elements(step, param, grad, EXP_AVG, expAvg, EXP_AVG_SQ, expAvgSq,
                MAX_EXP_AVG_SQ, usedMax);
        stepTyped(step, elements, param, grad, expAvg, expAvgSq, usedMax);
    }

    @Override
    StepUpdate<?> newStepUpdate() {
        return stepUpdate(new AdamKernel.Coefficients(), this::prepare);
    }

    private UpdateKernel<AdamKernel.Coefficients> prepare(double lr, long step, AdamKernel.Coefficients c) {
        double biasCorrection1 = 1 - power(beta1, step);
        double biasCorrection2 = 1 - power(beta2, step);
        c.weightDecay = (float) weightDecay;
        c.decayFactor = (float) (1 - lr * weightDecay);
        c.beta1 = (float) beta1;
        c.beta1Complement = (float) (1 - beta1);
        c.beta2 = (float) beta2;
        c.beta2Complement = (float) (1 - beta2);
        c.biasCorrection2Sqrt = (float) Math.sqrt(biasCorrection2);
        c.eps = (float) eps;
        c.negativeStepSize = (float) -(lr / biasCorrection1);
        return kernel;
    }

    @Override
    Map<String, Object> namedHyperParameters() {
        Map<String, Object> named = new LinkedHashMap<>();
        named.put("lr", lr);
        named.put("betas", new double[] {beta1, beta2});
        named.put("eps", eps);
        named.put("weight_decay", weightDecay);
        named.put("amsgrad", amsgrad);
        named.put("maximize", maximize);
        return named;
    }

    @Override
    Adam build(NamedValues values, VectorWidth vectorWidth, Semantics semantics) {
        double[] betas = values.pair("betas");
        return new Builder(decoupledWeightDecay, 0).lr(values.number("lr")).betas(betas[0], betas[1])
                .eps(values.number("eps")).weightDecay(values.number("weight_decay")).amsgrad(values.flag("amsgrad"))
                .maximize(values.flag("maximize")).vectorWidth(vectorWidth).semantics(semantics).build();
    }

    /** {@code Adam}, or {@code AdamW} with decoupled weight decay. */
    @Override
    public String name() {
        return decoupledWeightDecay ? "AdamW" : "Adam";
    }

    /** {@code exp_avg}, {@code exp_avg_sq}, then {@code max_exp_avg_sq} with amsgrad. */
    @Override
    public List<String> stateNames() {
        return stateNames;
    }

    @Override
    public double lr() {
        return lr;
    }

    /** {@return the first of PyTorch's {@code betas}: the decay of the first moment} */
    public double beta1() {
        return beta1;
    }

    /** {@return the second of PyTorch's {@code betas}: the decay of the second moment} */
    public double beta2() {
        return beta2;
    }

    /** {@return PyTorch's {@code eps}} */
    public double eps() {
        return eps;
    }

    /** {@return PyTorch's {@code weight_decay}: L2 for Adam, decoupled for AdamW} */
    public double weightDecay() {
        return weightDecay;
    }

    /** {@return PyTorch's {@code amsgrad}} */
    public boolean amsgrad() {
        return amsgrad;
    }

    /** {@return PyTorch's {@code maximize}} */
    public boolean maximize() {
        return maximize;
    }

    /** {@return true for AdamW: weight decay scales the parameter instead of adding to the gradient} */
    public boolean decoupledWeightDecay() {
        return decoupledWeightDecay;
    }

    /** Collects Adam's or AdamW's hyper-parameters; {@link #build()} validates them with PyTorch's messages. */
    public static final class Builder extends AlgorithmBuilder<Builder> {
        private final boolean decoupledWeightDecay;
        private double lr = 1e-3;
        private double beta1 = 0.9;
        private double beta2 = 0.999;
        private double eps = 1e-8;
        private double weightDecay;
        private boolean amsgrad;

        private Builder(boolean decoupledWeightDecay, double weightDecay) {
            this.decoupledWeightDecay = decoupledWeightDecay;
            this.weightDecay = weightDecay;
        }

        /**
         * The learning rate, ≥ 0; default 1e-3.
         *
         * @param lr the learning rate, ≥ 0; default 1e-3
         * @return this builder
         */
        public Builder lr(double lr) {
            this.lr = lr;
            return this;
        }

        /**
         * PyTorch's {@code betas}: the moments' decay rates, each in [0, 1); default (0.9, 0.999).
         *
         * @param beta1 PyTorch's {@code betas}: the moments' decay rates, each in [0, 1); default (0.9, 0.999)
         * @param beta2 PyTorch's {@code betas}: the moments' decay rates, each in [0, 1); default (0.9, 0.999)
         * @return this builder
         */
        public Builder betas(double beta1, double beta2) {
            this.beta1 = beta1;
            this.beta2 = beta2;
            return this;
        }

        /**
         * Added to the denominator for numerical stability, ≥ 0; default 1e-8.
         *
         * @param eps added to the denominator for numerical stability, ≥ 0; default 1e-8
         * @return this builder
         */
        public Builder eps(double eps) {
            this.eps = eps;
            return this;
        }

        /**
         * Weight decay, ≥ 0: L2 for Adam (default 0), decoupled for AdamW (default 1e-2).
         *
         * @param weightDecay weight decay, ≥ 0: L2 for Adam (default 0), decoupled for AdamW (default 1e-2)
         * @return this builder
         */
        public Builder weightDecay(double weightDecay) {
            this.weightDecay = weightDecay;
            return this;
        }

        /**
         * Normalise by the running maximum of the second moment (AMSGrad).
         *
         * @param amsgrad normalise by the running maximum of the second moment (AMSGrad)
         * @return this builder
         */
        public Builder amsgrad(boolean amsgrad) {
            this.amsgrad = amsgrad;
            return this;
        }

        @Override
        public Adam build() {
            return new Adam(this);
        }
    }
}
