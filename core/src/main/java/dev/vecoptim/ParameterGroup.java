package dev.vecoptim;

import dev.vecoptim.kernel.StochasticRounding;
import dev.vecoptim.step.StepUpdate;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Parameters that share hyper-parameters, as in PyTorch's {@code param_groups} (for example, biases without
 * weight decay). The hyper-parameters may change between steps, the learning rate in particular, directly or
 * through a {@link LearningRateSchedule}; a change that would add or drop a state buffer (momentum on or off,
 * centered, amsgrad) is refused once the group has parameters.
 */
public final class ParameterGroup {
    private final Optimizer optimizer;
    private final int index;
    private final List<Parameter> parameters = new ArrayList<>();
    private Algorithm hyperParameters;
    private double lr;
    /** {@link #hyperParameters()}'s answer, made again only when the learning rate has changed since. */
    private Algorithm atLr;
    private LearningRateSchedule schedule;
    /**
     * Per {@link Dtype}: the step number {@link #prepared} is for in the step being made (0 while nothing is
     * prepared), and the update of that step number, made for {@link #preparedFor} and kept while it stays.
     */
    private final long[] preparedStep = new long[Dtype.values().length];
    private final StepUpdate<?>[] prepared = new StepUpdate<?>[Dtype.values().length];
    private final Algorithm[] preparedFor = new Algorithm[Dtype.values().length];

    ParameterGroup(Optimizer optimizer, int index, Algorithm hyperParameters) {
        this.optimizer = optimizer;
        this.index = index;
        this.hyperParameters = hyperParameters;
        this.lr = hyperParameters.lr();
    }

    /**
     * Registers a parameter: its value and gradient, as many floats each. The optimizer allocates its
     * state buffers (zeroed, 64-byte aligned) and frees them when it is closed; value and gradient stay the
     * caller's. A segment of a confined arena is stepped on its owner thread only.
     *
     * @param value the parameter's floats, updated in place by each step
     * @param grad its gradient, as many floats
     * @return the registered parameter, with its state at PyTorch's initial values
     * @throws IllegalArgumentException if the sizes differ or are not whole floats, the value is read-only,
     *     or either overlaps itself or a buffer already registered
     * @throws IllegalStateException if a segment's arena is closed, or the optimizer is
     * @throws WrongThreadException if a segment is confined to another thread
     */
    public Parameter add(MemorySegment value, MemorySegment grad) {
        return add(Dtype.FLOAT32, value, grad);
    }

    /**
     * {@link #add(MemorySegment, MemorySegment)} for a parameter of {@code dtype}: its value, its gradient and the
     * state buffers the optimizer allocates for it hold elements of that dtype (as PyTorch's state is
     * {@code zeros_like} the parameter); {@link Algorithm#fused()} says how its updates round.
     *
     * @param dtype what the value and gradient hold
     * @param value the parameter's elements, updated in place by each step
     * @param grad its gradient, as many elements
     * @return the registered parameter, with its state at PyTorch's initial values
     * @throws IllegalArgumentException as {@link #add(MemorySegment, MemorySegment)} does, or for split master
     *     weights of a float16 parameter
     * @throws IllegalStateException if a segment's arena is closed, or the optimizer is
     * @throws WrongThreadException if a segment is confined to another thread
     */
    public Parameter add(Dtype dtype, MemorySegment value, MemorySegment grad) {
        return optimizer.register(this, Objects.requireNonNull(dtype, "dtype"), Objects.requireNonNull(value, "value"),
                Objects.requireNonNull(grad, "grad"));
    }

    /**
     * Allocates parameters of {@code floats[0]}, {@code floats[1]}, ... floats and registers them, their values
     * and gradients (zero at first; fill them through {@link Parameter#value()} and {@link Parameter#grad()})
     * in memory the optimizer owns and frees when it is closed: flat storage, as PyTorch's FSDP and Apex lay a
     * model out. The values of all of them are one segment, one after another in this order (unaligned, except
     * the first, which is 64-byte aligned), and so are the gradients and each state buffer; large ones start at
     * different offsets within a page, so that they do not alias in the CPU's caches. As long as they
     * have made the same steps and none was removed, a step updates them as one range: one fused loop however
     * many parameters there are, with the same bits as stepping each alone. Checkpoints save their state, not
     * their values, as for any parameter. Memory you bring with {@link #add} costs a little per parameter per
     * step instead (about 0.2 µs here, which matters for parameters of a few hundred floats).
     *
     * @param floats each new parameter's size in floats, ≥ 0
     * @return the new parameters, in the order of {@code floats}
     * @throws IllegalArgumentException if a size is negative
     * @throws ArithmeticException if the sizes add up beyond what a segment can hold
     * @throws IllegalStateException if the optimizer is closed
     */
    public List<Parameter> allocate(long... floats) {
        return allocate(Dtype.FLOAT32, floats);
    }

    /**
     * {@link #allocate(long...)} for parameters of {@code dtype}, whose values, gradients and state buffers hold
     * elements of that dtype. Under {@link Algorithm#fused()} they are stepped as one range as float32 ones are; a
     * 16-bit single-tensor step rounds the last {@code n % 32} elements of each tensor its own way, so there each
     * parameter is stepped alone, at the same cost per parameter as memory you bring.
     *
     * @param dtype what the parameters hold
     * @param elements each new parameter's size in elements, ≥ 0
     * @return the new parameters, in the order of {@code elements}
     * @throws IllegalArgumentException if a size is negative, or this group's optimizer has no single-tensor step on
     *     such tensors
     * @throws ArithmeticException if the sizes add up beyond what a segment can hold
     * @throws IllegalStateException if the optimizer is closed
     */
    public List<Parameter> allocate(Dtype dtype, long... elements) {
        return optimizer.allocate(this, Objects.requireNonNull(dtype, "dtype"), elements.clone());
    }

    /**
     * Removes a parameter of this group: the optimizer no longer steps, clips, checks or saves it, and no
     * longer touches its value and gradient, so they may be freed. The parameters after it move up one
     * place. Its state buffers stay readable until the optimizer is closed, which is also when their memory
     * is freed (it shares one arena with every other state buffer).
     *
     * @param parameter a parameter of this group
     * @throws IllegalArgumentException if it is not a parameter of this group
     * @throws IllegalStateException if the optimizer is closed
     */
    public void remove(Parameter parameter) {
        optimizer.unregister(this, Objects.requireNonNull(parameter, "parameter"));
    }

    /** {@return this group's parameters, in the order they were added} */
    public List<Parameter> parameters() {
        return Collections.unmodifiableList(parameters);
    }

    /** {@return its position among the optimizer's groups, from 0} */
    public int index() {
        return index;
    }

    /** {@return the hyper-parameters the next step uses, with the current learning rate} */
    public Algorithm hyperParameters() {
        if (atLr == null || atLr.lr() != lr) {
            atLr = lr == hyperParameters.lr() ? hyperParameters : hyperParameters.withLr(lr);
        }
        return atLr;
    }

    /**
     * Replaces the hyper-parameters from the next step on.
     *
     * @param replacement the same optimizer with the same flags, other numbers
     * @throws IllegalArgumentException if they are of another optimizer, or keep other state buffers than
     *     this group's parameters already have
     */
    public void hyperParameters(Algorithm replacement) {
        Objects.requireNonNull(replacement, "replacement");
        optimizer.enter("hyperParameters()");
        try {
            optimizer.checkOpen();
            optimizer.checkFamily(replacement);
            if (!parameters.isEmpty() && !replacement.stateNames().equals(hyperParameters.stateNames())) {
                throw new IllegalArgumentException("group " + index + "'s parameters keep "
                        + hyperParameters.stateNames() + ", and " + replacement + " would keep "
                        + replacement.stateNames() + "; such a change needs a new optimizer");
            }
            if (!parameters.isEmpty() && replacement.fused() != hyperParameters.fused()) {
                throw new IllegalArgumentException("group " + index + "'s parameters are planned for fused="
                        + hyperParameters.fused() + ", and " + replacement + " has fused=" + replacement.fused()
                        + "; such a change needs a new optimizer");
            }
            if (!parameters.isEmpty() && replacement.stateDtype() != hyperParameters.stateDtype()) {
                throw new IllegalArgumentException("group " + index + "'s parameters keep their state in "
                        + hyperParameters.stateDtype() + ", and " + replacement + " in " + replacement.stateDtype()
                        + "; such a change needs a new optimizer");
            }
            if (!parameters.isEmpty() && replacement.masterWeights() != hyperParameters.masterWeights()) {
                throw new IllegalArgumentException("group " + index + "'s parameters keep master weights "
                        + hyperParameters.masterWeights() + ", and " + replacement + " keeps "
                        + replacement.masterWeights() + "; such a change needs a new optimizer");
            }
            if (!parameters.isEmpty() && !Objects.equals(replacement.stochasticRounding(),
                    hyperParameters.stochasticRounding())) {
                throw new IllegalArgumentException("group " + index + "'s parameters round their state "
                        + StochasticRounding.describe(hyperParameters.stochasticRounding()) + ", and " + replacement
                        + " " + StochasticRounding.describe(replacement.stochasticRounding())
                        + "; such a change needs a new optimizer");
            }
            restore(replacement);
        } finally {
            optimizer.exit();
        }
    }

    /** {@return the learning rate of the next step} */
    public double lr() {
        return lr;
    }

    /**
     * Sets the learning rate from the next step on (a schedule, if any, overrides it at every step).
     *
     * @param lr the learning rate, ≥ 0
     * @throws IllegalArgumentException if it is negative, NaN or infinite
     */
    public void lr(double lr) {
        HyperParameterChecks.lr(lr);
        optimizer.enter("lr()");
        try {
            this.lr = lr;
        } finally {
            optimizer.exit();
        }
    }

    /**
     * Sets the learning rate before every step to {@code schedule.lr(steps completed)}; null removes it.
     *
     * @param schedule the learning rate as a function of the optimizer's completed steps
     */
    public void schedule(LearningRateSchedule schedule) {
        optimizer.enter("schedule()");
        try {
            checkCycledMomentum(schedule);
            this.schedule = schedule;
        } finally {
            optimizer.exit();
        }
    }

    /**
     * Refuses a schedule that cycles the momentum of an optimizer it cannot: one of neither momentum nor betas, β1
     * under PyTorch 1.13's CyclicLR, or a momentum whose range would change the state the parameters keep (SGD keeps
     * a {@code momentum_buffer} only while its momentum is not 0).
     */
    private void checkCycledMomentum(LearningRateSchedule schedule) {
        ChainedSchedule.Momentum momentum = schedule == null ? null : ChainedSchedule.cycledMomentum(schedule);
        if (momentum == null) {
            return;
        }
        boolean betas = hyperParameters.namedHyperParameters().containsKey("betas");
        if (betas && !momentum.betasUnder113() && hyperParameters.semantics() == Semantics.PYTORCH_1_13) {
            throw new IllegalArgumentException("optimizer must support momentum with `cycle_momentum` option enabled"
                    + " (PyTorch 1.13's CyclicLR): " + hyperParameters.name() + " has betas");
        }
        for (double bound : new double[] {momentum.lowest(), momentum.highest()}) {
            Algorithm cycled = hyperParameters.withMomentum(bound);
            if (!cycled.stateNames().equals(hyperParameters.stateNames())) {
                throw new IllegalArgumentException("group " + index + "'s parameters keep "
                        + hyperParameters.stateNames() + ", and at momentum " + bound + " " + hyperParameters.name()
                        + " keeps " + cycled.stateNames() + ": build it with a momentum the schedule keeps, or cycle"
                        + " none");
            }
        }
    }

    /**
     * The hyper-parameters of the step after {@code completedSteps} at the momentum the schedule cycles, checked; or
     * null when it cycles none.
     */
    Algorithm cycledForStep(long completedSteps) {
        if (schedule == null) {
            return null;
        }
        java.util.OptionalDouble momentum = schedule.momentum(completedSteps);
        if (momentum.isEmpty()) {
            return null;
        }
        String at = " from group " + index + "'s schedule at step " + (completedSteps + 1);
        Algorithm cycled;
        try {
            cycled = hyperParameters.withMomentum(momentum.getAsDouble());
        } catch (IllegalArgumentException invalid) {
            throw new IllegalArgumentException(invalid.getMessage() + at, invalid);
        }
        // A schedule restored from a file was not checked by schedule(): its momentum must not change the state.
        if (!cycled.stateNames().equals(hyperParameters.stateNames())) {
            throw new IllegalArgumentException("momentum " + momentum.getAsDouble() + " would make " + cycled.name()
                    + " keep " + cycled.stateNames() + " where group " + index + "'s parameters keep "
                    + hyperParameters.stateNames() + at + "; nothing was changed");
        }
        return cycled;
    }

    /** Sets the momentum of the step about to start ({@link #cycledForStep}), as PyTorch's scheduler sets it. */
    void setCycledForStep(Algorithm cycled) {
        if (cycled != null) {
            hyperParameters = cycled;
            atLr = null;
        }
    }

    /** {@return the group's learning-rate schedule, if one was set} */
    public Optional<LearningRateSchedule> schedule() {
        return Optional.ofNullable(schedule);
    }

    /** The learning rate the step after {@code completedSteps} uses: the schedule's, checked, or the set one. */
    double lrForStep(long completedSteps) {
        if (schedule == null) {
            return lr;
        }
        double scheduled = schedule.lr(completedSteps);
        try {
            return HyperParameterChecks.lr(scheduled);
        } catch (IllegalArgumentException invalid) {
            throw new IllegalArgumentException(invalid.getMessage() + " from group " + index + "'s schedule at step "
                    + (completedSteps + 1), invalid);
        }
    }

    /** Starts a step at this learning rate, with nothing {@link #prepare}d for it yet. */
    void setLrForStep(double lr) {
        this.lr = lr;
        java.util.Arrays.fill(preparedStep, 0);
    }

    /**
     * Works out the update of step number {@code step} at this step's learning rate, unless this step already did
     * for another step number: the parameters of a group usually share their step count, and one that does not
     * works out its own ({@link Parameter#prepareOwnUpdate}).
     */
    void prepare(long step, Dtype dtype) {
        int d = dtype.ordinal();
        if (preparedStep[d] == 0) {
            if (preparedFor[d] != hyperParameters) {
                prepared[d] = hyperParameters.newStepUpdate(dtype);
                preparedFor[d] = hyperParameters;
            }
            prepared[d].prepare(lr, step);
            preparedStep[d] = step;
        }
    }

    /** The update on {@code dtype} {@link #prepare} worked out, if it was for step number {@code step}; else null. */
    StepUpdate<?> prepared(long step, Dtype dtype) {
        return step == preparedStep[dtype.ordinal()] ? prepared[dtype.ordinal()] : null;
    }

    /** Sets a schedule a load restored; the caller holds the optimizer. */
    void restoreSchedule(LearningRateSchedule restored) {
        schedule = restored;
    }

    /** Sets hyper-parameters already checked against this group's, and their learning rate. */
    void restore(Algorithm replacement) {
        hyperParameters = replacement;
        lr = replacement.lr();
        atLr = null;
    }

    Algorithm algorithm() {
        return hyperParameters;
    }

    /** Whether {@code parameter} is one of this group's (not removed). */
    boolean holds(Parameter parameter) {
        int index = parameter.index();
        return index >= 0 && index < parameters.size() && parameters.get(index) == parameter;
    }

    Optimizer optimizer() {
        return optimizer;
    }

    List<Parameter> mutableParameters() {
        return parameters;
    }

    @Override
    public String toString() {
        return "group " + index + ": " + hyperParameters() + ", " + parameters.size() + " parameters";
    }
}
