package dev.vecoptim;

import dev.vecoptim.kernel.Kernels;
import dev.vecoptim.kernel.SgdKernel;
import dev.vecoptim.kernel.UpdateKernel;
import java.lang.foreign.MemorySegment;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Stochastic gradient descent with optional momentum (heavy-ball or Nesterov), weight decay and dampening:
 * PyTorch's {@code torch.optim.SGD}, bit for bit equal to PyTorch's CPU result on float32 (2.x and 1.13 give
 * the same bits; see {@link Semantics}).
 *
 * <p>Immutable hyper-parameters plus the update itself. For each element, with p the parameter, g the
 * gradient, buf the {@code momentum_buffer}, {@code fma} one rounding and {@code f(x)} the double
 * expression x rounded once to float:
 * <pre>
 * if maximize:          g = −g
 * if weight_decay ≠ 0:  g = fma(p, f(weight_decay), g)
 * if momentum ≠ 0:
 *     if step = 1:      buf = g
 *     else:             buf = fma(g, f(1 − dampening), rn(buf · f(momentum)))
 *     if nesterov:      g = fma(buf, f(momentum), g)
 *     else:             g = buf
 * p = fma(g, f(−lr), p)
 * </pre>
 *
 * <p>Defaults as in PyTorch 2.x: lr 1e-3 ({@link #builder()}; 1.13 had no default, {@link #builder(double)});
 * momentum 0, dampening 0, weight_decay 0, nesterov and maximize off. Instances are thread-safe; a step must not run
 * concurrently with another step on the
 * same buffers.
 */
public final class Sgd extends Algorithm {
    private static final String MOMENTUM_BUFFER = "momentum_buffer";

    private final double lr;
    private final double momentum;
    private final double dampening;
    private final double weightDecay;
    private final boolean nesterov;
    private final boolean maximize;
    private final List<String> stateNames;
    private final UpdateKernel<SgdKernel.Coefficients> firstStepKernel;
    private final UpdateKernel<SgdKernel.Coefficients> kernel;

    private Sgd(Builder builder) {
        HyperParameterChecks.lr(builder.lr);
        HyperParameterChecks.finiteNonNegative("momentum value", builder.momentum);
        HyperParameterChecks.finite("dampening value", builder.dampening);
        HyperParameterChecks.finiteNonNegative("weight_decay value", builder.weightDecay);
        if (builder.nesterov && (builder.momentum <= 0 || builder.dampening != 0)) {
            throw new IllegalArgumentException("Nesterov momentum requires a momentum and zero dampening");
        }
        super(builder.vectorWidth, builder.semantics);
        lr = builder.lr;
        momentum = builder.momentum;
        dampening = builder.dampening;
        weightDecay = builder.weightDecay;
        nesterov = builder.nesterov;
        maximize = builder.maximize;
        boolean withMomentum = momentum != 0;
        stateNames = withMomentum ? List.of(MOMENTUM_BUFFER) : List.of();
        kernel = Kernels.kernel(SgdKernel.FAMILY, vectorBits(),
                new SgdKernel.Flags(maximize, weightDecay != 0, withMomentum, nesterov, false));
        firstStepKernel = withMomentum
                ? Kernels.kernel(SgdKernel.FAMILY, vectorBits(), new SgdKernel.Flags(maximize, weightDecay != 0, true,
                        nesterov, true))
                : kernel;
    }

    /**
     * Starts SGD hyper-parameters at PyTorch 2.x's defaults: lr 1e-3.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder(1e-3);
    }

    /**
     * Starts SGD hyper-parameters with a learning rate, as PyTorch 1.13 demanded.
     *
     * @param lr the learning rate, ≥ 0
     * @return a new builder
     */
    public static Builder builder(double lr) {
        return new Builder(lr);
    }

    /**
     * A builder holding these hyper-parameters, to change some of them.
     *
     * @return a new builder
     */
    public Builder toBuilder() {
        return new Builder(lr).momentum(momentum).dampening(dampening).weightDecay(weightDecay)
                .nesterov(nesterov).maximize(maximize).vectorWidth(vectorWidth())
                .semantics(semantics());
    }

    /**
     * Applies one SGD step to one parameter, in place.
     *
     * @param param the parameter, updated in place
     * @param grad its gradient, only read
     * @param momentumBuffer PyTorch's {@code momentum_buffer}, as many floats as param, updated in place;
     *     needed when momentum ≠ 0 (its content is ignored on step 1, where it is set to the gradient), and
     *     neither read nor written (it may be null) when momentum = 0
     * @param step this step's number, counting from 1
     * @throws IllegalArgumentException if step &lt; 1, or the buffers differ in size, are not whole floats,
     *     overlap, or a written one is read-only
     * @throws IllegalStateException if a buffer's arena is closed
     * @throws WrongThreadException if a buffer is confined to another thread
     * @throws NullPointerException if a needed buffer is null
     */
    public void step(MemorySegment param, MemorySegment grad, MemorySegment momentumBuffer, long step) {
        MemorySegment buffer = momentum != 0
                ? StepChecks.required(momentumBuffer, MOMENTUM_BUFFER, " when momentum != 0")
                : null;
        long elements = StepChecks.elements(step, param, grad, MOMENTUM_BUFFER, buffer, null, null, null, null);
        stepTyped(step, elements, param, grad, buffer, null, null);
    }

    @Override
    StepUpdate<?> newStepUpdate() {
        return stepUpdate(new SgdKernel.Coefficients(), this::prepare);
    }

    private UpdateKernel<SgdKernel.Coefficients> prepare(double lr, long step, SgdKernel.Coefficients c) {
        c.weightDecay = (float) weightDecay;
        c.momentum = (float) momentum;
        c.dampeningComplement = (float) (1 - dampening);
        c.negativeLr = (float) -lr;
        return step == 1 ? firstStepKernel : kernel;
    }

    @Override
    Map<String, Object> namedHyperParameters() {
        Map<String, Object> named = new LinkedHashMap<>();
        named.put("lr", lr);
        named.put("momentum", momentum);
        named.put("dampening", dampening);
        named.put("weight_decay", weightDecay);
        named.put("nesterov", nesterov);
        named.put("maximize", maximize);
        return named;
    }

    @Override
    Sgd build(NamedValues values, VectorWidth vectorWidth, Semantics semantics) {
        return builder(values.number("lr")).momentum(values.number("momentum"))
                .dampening(values.number("dampening")).weightDecay(values.number("weight_decay"))
                .nesterov(values.flag("nesterov")).maximize(values.flag("maximize")).vectorWidth(vectorWidth)
                .semantics(semantics).build();
    }

    @Override
    public String name() {
        return "SGD";
    }

    /** {@code [momentum_buffer]} with momentum, else none. */
    @Override
    public List<String> stateNames() {
        return stateNames;
    }

    @Override
    public double lr() {
        return lr;
    }

    /** {@return PyTorch's {@code momentum}} */
    public double momentum() {
        return momentum;
    }

    /** {@return PyTorch's {@code dampening}} */
    public double dampening() {
        return dampening;
    }

    /** {@return PyTorch's {@code weight_decay}} */
    public double weightDecay() {
        return weightDecay;
    }

    /** {@return PyTorch's {@code nesterov}} */
    public boolean nesterov() {
        return nesterov;
    }

    /** {@return PyTorch's {@code maximize}} */
    public boolean maximize() {
        return maximize;
    }

    /** Collects SGD's hyper-parameters; {@link #build()} validates them with PyTorch's messages. */
    public static final class Builder extends AlgorithmBuilder<Builder> {
        private double lr;
        private double momentum;
        private double dampening;
        private double weightDecay;
        private boolean nesterov;

        private Builder(double lr) {
            this.lr = lr;
        }

        /**
         * The learning rate, ≥ 0.
         *
         * @param lr the learning rate, ≥ 0
         * @return this builder
         */
        public Builder lr(double lr) {
            this.lr = lr;
            return this;
        }

        /**
         * The momentum factor μ, ≥ 0; 0 (the default) keeps no momentum buffer.
         *
         * @param momentum the momentum factor μ, ≥ 0; 0 (the default) keeps no momentum buffer
         * @return this builder
         */
        public Builder momentum(double momentum) {
            this.momentum = momentum;
            return this;
        }

        /**
         * Dampening of the gradient's contribution to the momentum buffer; default 0.
         *
         * @param dampening dampening of the gradient's contribution to the momentum buffer; default 0
         * @return this builder
         */
        public Builder dampening(double dampening) {
            this.dampening = dampening;
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
         * Nesterov momentum; needs momentum &gt; 0 and dampening 0.
         *
         * @param nesterov nesterov momentum; needs momentum &gt; 0 and dampening 0
         * @return this builder
         */
        public Builder nesterov(boolean nesterov) {
            this.nesterov = nesterov;
            return this;
        }

        @Override
        public Sgd build() {
            return new Sgd(this);
        }
    }
}
