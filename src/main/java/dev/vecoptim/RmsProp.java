package dev.vecoptim;

import dev.vecoptim.kernel.Kernels;
import dev.vecoptim.kernel.RmsPropKernel;
import dev.vecoptim.kernel.UpdateKernel;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * RMSProp, plain or centered, with optional momentum and weight decay: PyTorch's
 * {@code torch.optim.RMSprop}, bit for bit equal to PyTorch's CPU result on float32: 2.x's by default, or
 * 1.13's ({@link Semantics}).
 *
 * <p>For each element, with p the parameter, g the gradient, sq the {@code square_avg}, ga the
 * {@code grad_avg}, buf the {@code momentum_buffer}, {@code rn} one rounding to float, {@code fma} one
 * rounding and {@code f(x)} the double expression x rounded once to float:
 * <pre>
 * if maximize:          g = −g
 * if weight_decay ≠ 0:  g = fma(p, f(weight_decay), g)
 * sq = fma(rn(f(1 − alpha) · g), g, rn(sq · f(alpha)))
 * if centered:          ga  = lerp(ga, g, f(1 − alpha))                 (PyTorch 2.x: see {@link Semantics})
 *                       ga  = fma(g, f(1 − alpha), rn(ga · f(alpha)))    (PyTorch 1.13)
 *                       avg = rn(sqrt(fma(−ga, ga, sq)))
 * else:                 avg = rn(sqrt(sq))
 * avg = rn(avg + f(eps))
 * if momentum &gt; 0:      buf = rn(rn(buf · f(momentum)) + rn(g / avg))
 *                       p = fma(buf, f(−lr), p)
 * else:                 p = rn(p + rn(rn(f(−lr) · g) / avg))
 * </pre>
 * The state buffers start at zero, as PyTorch's do.
 *
 * <p>Defaults as in PyTorch: lr 1e-2, alpha 0.99, eps 1e-8, weight_decay 0, momentum 0, centered and
 * maximize off. Instances are thread-safe; a step must not run concurrently with another step on the same
 * buffers.
 */
public final class RmsProp extends Algorithm {
    private static final String SQUARE_AVG = "square_avg";
    private static final String GRAD_AVG = "grad_avg";
    private static final String MOMENTUM_BUFFER = "momentum_buffer";

    private final double lr;
    private final double alpha;
    private final double eps;
    private final double weightDecay;
    private final double momentum;
    private final boolean centered;
    private final boolean maximize;
    private final List<String> stateNames;
    private final UpdateKernel<RmsPropKernel.Coefficients> kernel;

    private RmsProp(Builder builder) {
        HyperParameterChecks.lr(builder.lr);
        HyperParameterChecks.finiteNonNegative("epsilon value", builder.eps);
        HyperParameterChecks.finiteNonNegative("momentum value", builder.momentum);
        HyperParameterChecks.finiteNonNegative("weight_decay value", builder.weightDecay);
        HyperParameterChecks.finiteNonNegative("alpha value", builder.alpha);
        super(builder.vectorWidth, builder.semantics);
        lr = builder.lr;
        alpha = builder.alpha;
        eps = builder.eps;
        weightDecay = builder.weightDecay;
        momentum = builder.momentum;
        centered = builder.centered;
        maximize = builder.maximize;
        List<String> names = new ArrayList<>(List.of(SQUARE_AVG));
        if (centered) {
            names.add(GRAD_AVG);
        }
        if (momentum > 0) {
            names.add(MOMENTUM_BUFFER);
        }
        stateNames = List.copyOf(names);
        kernel = Kernels.kernel(RmsPropKernel.FAMILY, vectorBits(),
                new RmsPropKernel.Flags(maximize, weightDecay != 0, centered, momentum > 0,
                        centered && semantics().lerp()));
    }

    /**
     * Starts RMSProp hyper-parameters at PyTorch's defaults.
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
        return new Builder().lr(lr).alpha(alpha).eps(eps).weightDecay(weightDecay).momentum(momentum)
                .centered(centered).maximize(maximize).vectorWidth(vectorWidth())
                .semantics(semantics());
    }

    /**
     * Applies one RMSProp step to one parameter, in place.
     *
     * @param param the parameter, updated in place
     * @param grad its gradient, only read
     * @param squareAvg PyTorch's {@code square_avg}, as many floats as param, updated in place
     * @param gradAvg PyTorch's {@code grad_avg}: needed when centered, else neither read nor written (may
     *     be null)
     * @param momentumBuffer PyTorch's {@code momentum_buffer}: needed when momentum &gt; 0, else neither
     *     read nor written (may be null)
     * @param step this step's number, counting from 1 (RMSProp's formula does not use it)
     * @throws IllegalArgumentException if step &lt; 1, or the buffers differ in size, are not whole floats,
     *     overlap, or a written one is read-only
     * @throws IllegalStateException if a buffer's arena is closed
     * @throws WrongThreadException if a buffer is confined to another thread
     * @throws NullPointerException if a needed buffer is null
     */
    public void step(MemorySegment param, MemorySegment grad, MemorySegment squareAvg, MemorySegment gradAvg,
                     MemorySegment momentumBuffer, long step) {
        StepChecks.required(squareAvg, SQUARE_AVG, "");
        MemorySegment usedGradAvg = centered ? StepChecks.required(gradAvg, GRAD_AVG, " when centered") : null;
        MemorySegment usedMomentumBuffer = momentum > 0
                ? StepChecks.required(momentumBuffer, MOMENTUM_BUFFER, " when momentum > 0")
                : null;
        long elements = StepChecks.elements(step, param, grad, SQUARE_AVG, squareAvg, GRAD_AVG, usedGradAvg,
                MOMENTUM_BUFFER, usedMomentumBuffer);
        stepTyped(step, elements, param, grad, squareAvg, usedGradAvg, usedMomentumBuffer);
    }

    @Override
    StepUpdate<?> newStepUpdate() {
        return stepUpdate(new RmsPropKernel.Coefficients(), this::prepare);
    }

    private UpdateKernel<RmsPropKernel.Coefficients> prepare(double lr, long step, RmsPropKernel.Coefficients c) {
        c.weightDecay = (float) weightDecay;
        c.alpha = (float) alpha;
        c.alphaComplement = (float) (1 - alpha);
        c.eps = (float) eps;
        c.momentum = (float) momentum;
        c.negativeLr = (float) -lr;
        return kernel;
    }

    @Override
    Map<String, Object> namedHyperParameters() {
        Map<String, Object> named = new LinkedHashMap<>();
        named.put("lr", lr);
        named.put("alpha", alpha);
        named.put("eps", eps);
        named.put("weight_decay", weightDecay);
        named.put("momentum", momentum);
        named.put("centered", centered);
        named.put("maximize", maximize);
        return named;
    }

    @Override
    RmsProp build(NamedValues values, VectorWidth vectorWidth, Semantics semantics) {
        return builder().lr(values.number("lr")).alpha(values.number("alpha"))
                .eps(values.number("eps")).weightDecay(values.number("weight_decay"))
                .momentum(values.number("momentum")).centered(values.flag("centered"))
                .maximize(values.flag("maximize")).vectorWidth(vectorWidth).semantics(semantics)
                .build();
    }

    @Override
    public String name() {
        return "RMSprop";
    }

    /** {@code square_avg}, then {@code grad_avg} when centered, then {@code momentum_buffer} with momentum. */
    @Override
    public List<String> stateNames() {
        return stateNames;
    }

    @Override
    public double lr() {
        return lr;
    }

    /** {@return the smoothing constant of the running averages} */
    public double alpha() {
        return alpha;
    }

    /** {@return PyTorch's {@code eps}} */
    public double eps() {
        return eps;
    }

    /** {@return PyTorch's {@code weight_decay}} */
    public double weightDecay() {
        return weightDecay;
    }

    /** {@return PyTorch's {@code momentum}} */
    public double momentum() {
        return momentum;
    }

    /** {@return PyTorch's {@code centered}} */
    public boolean centered() {
        return centered;
    }

    /** {@return PyTorch's {@code maximize}} */
    public boolean maximize() {
        return maximize;
    }

    /** Collects RMSProp's hyper-parameters; {@link #build()} validates them with PyTorch's messages. */
    public static final class Builder extends AlgorithmBuilder<Builder> {
        private double lr = 1e-2;
        private double alpha = 0.99;
        private double eps = 1e-8;
        private double weightDecay;
        private double momentum;
        private boolean centered;

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
         * The smoothing constant, ≥ 0; default 0.99.
         *
         * @param alpha the smoothing constant, ≥ 0; default 0.99
         * @return this builder
         */
        public Builder alpha(double alpha) {
            this.alpha = alpha;
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
         * The momentum factor, ≥ 0; default 0 (no momentum buffer).
         *
         * @param momentum the momentum factor, ≥ 0; default 0 (no momentum buffer)
         * @return this builder
         */
        public Builder momentum(double momentum) {
            this.momentum = momentum;
            return this;
        }

        /**
         * Normalise by the estimated variance of the gradient instead of its second moment.
         *
         * @param centered normalise by the estimated variance of the gradient instead of its second moment
         * @return this builder
         */
        public Builder centered(boolean centered) {
            this.centered = centered;
            return this;
        }

        @Override
        public RmsProp build() {
            return new RmsProp(this);
        }
    }
}
