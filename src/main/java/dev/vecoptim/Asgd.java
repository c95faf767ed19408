package dev.vecoptim;

import dev.vecoptim.kernel.AsgdKernel;
import dev.vecoptim.kernel.Kernels;
import dev.vecoptim.kernel.UpdateKernel;
import java.lang.foreign.MemorySegment;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Averaged stochastic gradient descent: PyTorch's {@code torch.optim.ASGD}, bit for bit equal to PyTorch's CPU
 * result on float32 (1.13 and 2.x compute it alike).
 *
 * <p>Besides its state buffer {@code ax}, the running average of the parameter, each parameter keeps the
 * scalars {@code eta} (its step size) and {@code mu} (the averaging weight), floats as in PyTorch's float32
 * tensors. They start, at step 1, at eta = f(lr) and mu = 1; each step reads them, then sets them for the next
 * one, for step t (every step after 2^24 is 2^24, as in PyTorch's float32 step counter) at that step's lr:
 * <pre>
 * eta = f(lr / (1 + λ·lr·t)^α)
 * mu  = f(1 / max(1, t − t0))
 * </pre>
 * so a learning rate schedule reaches the step size one step late, as in PyTorch. For each element, with p the
 * parameter, g the gradient, {@code rn} one rounding to float, {@code fma} one rounding and {@code f(x)} the
 * double expression x rounded once to float:
 * <pre>
 * if maximize:          g = −g
 * if weight_decay ≠ 0:  g = fma(p, f(weight_decay), g)
 * p = rn(p · f(1 − λ·eta))
 * p = fma(g, −eta, p)
 * if mu ≠ 1:            ax = rn(ax + rn(rn(p − ax) · mu))
 * else:                 ax = p
 * </pre>
 *
 * <p>Defaults as in PyTorch: lr 1e-2, lambd (λ) 1e-4, alpha (α) 0.75, t0 1e6, weight_decay 0, maximize off.
 * Stricter than PyTorch, which checks only lr and weight_decay: lambd and alpha must be finite and ≥ 0 (a
 * negative one turns the step size into NaN or makes it grow without bound) and t0 must not be NaN.
 * Instances are thread-safe; a step must not run concurrently with another step on the same buffers.
 */
public final class Asgd extends Algorithm {
    private static final String AX = "ax";
    private static final String ETA = "eta";
    private static final String MU = "mu";
    private static final List<String> STATE_NAMES = List.of(AX);
    private static final List<String> SCALAR_NAMES = List.of(ETA, MU);

    private final double lr;
    private final double lambd;
    private final double alpha;
    private final double t0;
    private final double weightDecay;
    private final boolean maximize;
    private final UpdateKernel<AsgdKernel.Coefficients> copyingKernel;
    private final UpdateKernel<AsgdKernel.Coefficients> averagingKernel;
    /** Either, as the parameter's {@code mu} says: {@link #averageOrCopy}. */
    private final UpdateKernel<AsgdKernel.Coefficients> kernel = this::averageOrCopy;

    private Asgd(Builder builder) {
        HyperParameterChecks.lr(builder.lr);
        HyperParameterChecks.finiteNonNegative("lambd value", builder.lambd);
        HyperParameterChecks.finiteNonNegative("alpha value", builder.alpha);
        if (Double.isNaN(builder.t0)) {
            throw HyperParameterChecks.invalid("t0 value", builder.t0);
        }
        HyperParameterChecks.finiteNonNegative("weight_decay value", builder.weightDecay);
        super(builder.vectorWidth, builder.semantics);
        lr = builder.lr;
        lambd = builder.lambd;
        alpha = builder.alpha;
        t0 = builder.t0;
        weightDecay = builder.weightDecay;
        maximize = builder.maximize;
        copyingKernel = Kernels.kernel(AsgdKernel.FAMILY, vectorBits(),
                new AsgdKernel.Flags(maximize, weightDecay != 0, false));
        averagingKernel = Kernels.kernel(AsgdKernel.FAMILY, vectorBits(),
                new AsgdKernel.Flags(maximize, weightDecay != 0, true));
    }

    /**
     * Starts ASGD hyper-parameters at PyTorch's defaults.
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
        return new Builder().lr(lr).lambd(lambd).alpha(alpha).t0(t0).weightDecay(weightDecay).maximize(maximize)
                .vectorWidth(vectorWidth()).semantics(semantics());
    }

    /**
     * Applies step number {@code step} of ASGD to one parameter, in place.
     *
     * @param param the parameter, updated in place
     * @param grad its gradient, only read
     * @param ax PyTorch's {@code ax}, as many floats as param, updated in place
     * @param eta PyTorch's {@code eta}: a segment of one float, read, then set for the next step (set to f(lr)
     *     first at step 1)
     * @param mu PyTorch's {@code mu}: a segment of one float, read, then set for the next step (set to 1 first at
     *     step 1)
     * @param step this step's number t, counting from 1: the next step's eta and mu use it
     * @throws IllegalArgumentException if step &lt; 1, or the buffers differ in size, are not whole floats,
     *     overlap, or a written one is read-only, or eta or mu is not one float
     * @throws IllegalStateException if a buffer's arena is closed
     * @throws WrongThreadException if a buffer is confined to another thread
     * @throws NullPointerException if a buffer is null
     */
    public void step(MemorySegment param, MemorySegment grad, MemorySegment ax, MemorySegment eta, MemorySegment mu,
                     long step) {
        StepChecks.required(ax, AX, "");
        long elements = StepChecks.elements(step, param, grad, AX, ax, null, null, null, null);
        StepChecks.scalar(ETA, eta, param, grad, AX, ax, null, null);
        StepChecks.scalar(MU, mu, param, grad, AX, ax, ETA, eta);
        stepTyped(step, elements, param, grad, ax, eta, mu);
    }

    @Override
    StepUpdate<?> newStepUpdate() {
        return stepUpdate(new AsgdKernel.Coefficients(), this::prepare);
    }

    private UpdateKernel<AsgdKernel.Coefficients> prepare(double lr, long step, AsgdKernel.Coefficients c) {
        c.weightDecay = (float) weightDecay;
        c.lambd = lambd;
        return kernel;
    }

    /** Averages {@code ax} with the parameter's own kernel: copies it while the parameter's {@code mu} is 1. */
    private void averageOrCopy(MemorySegment param, MemorySegment grad, MemorySegment[] state,
                               AsgdKernel.Coefficients c, long from, long to) {
        (scalar(state[2]) != 1 ? averagingKernel : copyingKernel).step(param, grad, state, c, from, to);
    }

    private static void initialize(double lr, MemorySegment eta, MemorySegment mu) {
        scalar(eta, (float) lr);
        scalar(mu, 1);
    }

    private void advance(double lr, MemorySegment eta, MemorySegment mu, long step) {
        double t = countedStep(step);
        // StrictMath: Math.pow may differ by an ulp from one JVM or CPU to another; StrictMath never does.
        scalar(eta, (float) (lr / StrictMath.pow(1 + lambd * lr * t, alpha)));
        scalar(mu, (float) (1 / Math.max(1, t - t0)));
    }

    @Override
    void initializeScalars(double lr, MemorySegment[] state) {
        initialize(lr, state[1], state[2]);
    }

    @Override
    void advanceScalars(double lr, MemorySegment[] state, long step) {
        advance(lr, state[1], state[2], step);
    }

    @Override
    Map<String, Object> namedHyperParameters() {
        Map<String, Object> named = new LinkedHashMap<>();
        named.put("lr", lr);
        named.put("lambd", lambd);
        named.put("alpha", alpha);
        named.put("t0", t0);
        named.put("weight_decay", weightDecay);
        named.put("maximize", maximize);
        return named;
    }

    @Override
    Asgd build(NamedValues values, VectorWidth vectorWidth, Semantics semantics) {
        return builder().lr(values.number("lr")).lambd(values.number("lambd")).alpha(values.number("alpha"))
                .t0(values.number("t0")).weightDecay(values.number("weight_decay")).maximize(values.flag("maximize"))
                .vectorWidth(vectorWidth).semantics(semantics).build();
    }

    @Override
    public String name() {
        return "ASGD";
    }

    /** {@code [ax]}: the average of the parameter over the steps since t0. */
    @Override
    public List<String> stateNames() {
        return STATE_NAMES;
    }

    /** {@code [eta, mu]}: the next step's step size and averaging weight. */
    @Override
    public List<String> scalarNames() {
        return SCALAR_NAMES;
    }

    @Override
    public double lr() {
        return lr;
    }

    /** {@return PyTorch's {@code lambd}: the decay term λ} */
    public double lambd() {
        return lambd;
    }

    /** {@return PyTorch's {@code alpha}: the power α of the step size's decay} */
    public double alpha() {
        return alpha;
    }

    /** {@return PyTorch's {@code t0}: the step after which averaging starts} */
    public double t0() {
        return t0;
    }

    /** {@return PyTorch's {@code weight_decay}} */
    public double weightDecay() {
        return weightDecay;
    }

    /** {@return PyTorch's {@code maximize}} */
    public boolean maximize() {
        return maximize;
    }

    /** Collects ASGD's hyper-parameters; {@link #build()} validates them. */
    public static final class Builder extends AlgorithmBuilder<Builder> {
        private double lr = 1e-2;
        private double lambd = 1e-4;
        private double alpha = 0.75;
        private double t0 = 1e6;
        private double weightDecay;

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
         * PyTorch's {@code lambd}, the decay term, ≥ 0; default 1e-4.
         *
         * @param lambd PyTorch's {@code lambd}, the decay term, ≥ 0; default 1e-4
         * @return this builder
         */
        public Builder lambd(double lambd) {
            this.lambd = lambd;
            return this;
        }

        /**
         * PyTorch's {@code alpha}, the power of the step size's decay, ≥ 0; default 0.75.
         *
         * @param alpha PyTorch's {@code alpha}, the power of the step size's decay, ≥ 0; default 0.75
         * @return this builder
         */
        public Builder alpha(double alpha) {
            this.alpha = alpha;
            return this;
        }

        /**
         * PyTorch's {@code t0}, the step after which averaging starts (infinite: never); default 1e6.
         *
         * @param t0 PyTorch's {@code t0}, the step after which averaging starts (infinite: never); default 1e6
         * @return this builder
         */
        public Builder t0(double t0) {
            this.t0 = t0;
            return this;
        }

        /**
         * The weight decay, ≥ 0; default 0.
         *
         * @param weightDecay the weight decay, ≥ 0; default 0
         * @return this builder
         */
        public Builder weightDecay(double weightDecay) {
            this.weightDecay = weightDecay;
            return this;
        }

        /**
         * The ASGD these hyper-parameters make.
         *
         * @throws IllegalArgumentException for an invalid hyper-parameter (PyTorch's message where PyTorch
         *     checks it), or for a vector width wider than the machine's
         * @throws IllegalStateException for an explicit vector width when SIMD is unavailable
         */
        @Override
        public Asgd build() {
            return new Asgd(this);
        }
    }
}
