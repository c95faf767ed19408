package dev.vecoptim;

import dev.vecoptim.kernel.AdadeltaKernel;
import dev.vecoptim.kernel.Kernels;
import dev.vecoptim.kernel.UpdateKernel;
import java.lang.foreign.MemorySegment;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Adadelta with optional weight decay: PyTorch's {@code torch.optim.Adadelta}, bit for bit equal to PyTorch's
 * CPU result on float32 (2.x and 1.13 give the same bits; see {@link Semantics}).
 *
 * <p>For each element, with p the parameter, g the gradient, sq the {@code square_avg}, acc the
 * {@code acc_delta}, {@code rn} one rounding to float, {@code fma} one rounding and {@code f(x)} the double
 * expression x rounded once to float:
 * <pre>
 * if maximize:          g = −g
 * if weight_decay ≠ 0:  g = fma(p, f(weight_decay), g)
 * sq = fma(rn(f(1 − rho) · g), g, rn(sq · f(rho)))
 * std = rn(sqrt(rn(sq + f(eps))))
 * delta = rn(rn(rn(sqrt(rn(acc + f(eps)))) / std) · g)
 * acc = fma(rn(f(1 − rho) · delta), delta, rn(acc · f(rho)))
 * p = fma(delta, f(−lr), p)
 * </pre>
 * The state buffers start at zero, as PyTorch's do.
 *
 * <p>Defaults as in PyTorch: lr 1.0, rho 0.9, eps 1e-6, weight_decay 0, maximize off. Instances are
 * thread-safe; a step must not run concurrently with another step on the same buffers.
 */
public final class Adadelta extends Algorithm {
    private static final String SQUARE_AVG = "square_avg";
    private static final String ACC_DELTA = "acc_delta";
    private static final List<String> STATE_NAMES = List.of(SQUARE_AVG, ACC_DELTA);

    private final double lr;
    private final double rho;
    private final double eps;
    private final double weightDecay;
    private final boolean maximize;
    private final UpdateKernel<AdadeltaKernel.Coefficients> kernel;

    private Adadelta(Builder builder) {
        HyperParameterChecks.lr(builder.lr);
        if (!(builder.rho >= 0 && builder.rho <= 1)) {
            throw HyperParameterChecks.invalid("rho value", builder.rho);
        }
        HyperParameterChecks.finiteNonNegative("epsilon value", builder.eps);
        HyperParameterChecks.finiteNonNegative("weight_decay value", builder.weightDecay);
        super(builder.vectorWidth, builder.semantics);
        lr = builder.lr;
        rho = builder.rho;
        eps = builder.eps;
        weightDecay = builder.weightDecay;
        maximize = builder.maximize;
        kernel = Kernels.kernel(AdadeltaKernel.FAMILY, vectorBits(),
                new AdadeltaKernel.Flags(maximize, weightDecay != 0));
    }

    /**
     * Starts Adadelta hyper-parameters at PyTorch's defaults.
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
        return new Builder().lr(lr).rho(rho).eps(eps).weightDecay(weightDecay).maximize(maximize)
                .vectorWidth(vectorWidth()).semantics(semantics());
    }

    /**
     * Applies one Adadelta step to one parameter, in place.
     *
     * @param param the parameter, updated in place
     * @param grad its gradient, only read
     * @param squareAvg PyTorch's {@code square_avg}, as many floats as param, updated in place
     * @param accDelta PyTorch's {@code acc_delta}, as many floats as param, updated in place
     * @param step this step's number, counting from 1 (Adadelta's formula does not use it)
     * @throws IllegalArgumentException if step &lt; 1, or the buffers differ in size, are not whole floats,
     *     overlap, or a written one is read-only
     * @throws IllegalStateException if a buffer's arena is closed
     * @throws WrongThreadException if a buffer is confined to another thread
     * @throws NullPointerException if a buffer is null
     */
    public void step(MemorySegment param, MemorySegment grad, MemorySegment squareAvg, MemorySegment accDelta,
                     long step) {
        StepChecks.required(squareAvg, SQUARE_AVG, "");
        StepChecks.required(accDelta, ACC_DELTA, "");
        long elements = StepChecks.elements(step, param, grad, SQUARE_AVG, squareAvg, ACC_DELTA, accDelta, null, null);
        stepTyped(step, elements, param, grad, squareAvg, accDelta, null);
    }

    @Override
    StepUpdate<?> newStepUpdate() {
        return stepUpdate(new AdadeltaKernel.Coefficients(), this::prepare);
    }

    private UpdateKernel<AdadeltaKernel.Coefficients> prepare(double lr, long step, AdadeltaKernel.Coefficients c) {
        c.weightDecay = (float) weightDecay;
        c.rho = (float) rho;
        c.rhoComplement = (float) (1 - rho);
        c.eps = (float) eps;
        c.negativeLr = (float) -lr;
        return kernel;
    }

    @Override
    Map<String, Object> namedHyperParameters() {
        Map<String, Object> named = new LinkedHashMap<>();
        named.put("lr", lr);
        named.put("rho", rho);
        named.put("eps", eps);
        named.put("weight_decay", weightDecay);
        named.put("maximize", maximize);
        return named;
    }

    @Override
    Adadelta build(NamedValues values, VectorWidth vectorWidth, Semantics semantics) {
        return builder().lr(values.number("lr")).rho(values.number("rho"))
                .eps(values.number("eps")).weightDecay(values.number("weight_decay"))
                .maximize(values.flag("maximize")).vectorWidth(vectorWidth).semantics(semantics).build();
    }

    @Override
    public String name() {
        return "Adadelta";
    }

    /** {@code [square_avg, acc_delta]}. */
    @Override
    public List<String> stateNames() {
        return STATE_NAMES;
    }

    /** The factor that scales each update; PyTorch's default of 1.0 leaves Adadelta's own step size. */
    @Override
    public double lr() {
        return lr;
    }

    /** {@return the smoothing constant of both running averages} */
    public double rho() {
        return rho;
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

    /** Collects Adadelta's hyper-parameters; {@link #build()} validates them with PyTorch's messages. */
    public static final class Builder extends AlgorithmBuilder<Builder> {
        private double lr = 1.0;
        private double rho = 0.9;
        private double eps = 1e-6;
        private double weightDecay;

        private Builder() {
        }

        /**
         * The factor that scales each update, ≥ 0; default 1.0.
         *
         * @param lr the factor that scales each update, ≥ 0; default 1.0
         * @return this builder
         */
        public Builder lr(double lr) {
            this.lr = lr;
            return this;
        }

        /**
         * The smoothing constant, in [0, 1]; default 0.9.
         *
         * @param rho the smoothing constant, in [0, 1]; default 0.9
         * @return this builder
         */
        public Builder rho(double rho) {
            this.rho = rho;
            return this;
        }

        /**
         * Added inside both square roots for numerical stability, ≥ 0; default 1e-6.
         *
         * @param eps added inside both square roots for numerical stability, ≥ 0; default 1e-6
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
        public Adadelta build() {
            return new Adadelta(this);
        }
    }
}
