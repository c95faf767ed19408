package dev.vecoptim;

import dev.vecoptim.kernel.Format;
import dev.vecoptim.kernel.KernelFamily;
import dev.vecoptim.kernel.Kernels;
import dev.vecoptim.kernel.NoFlags;
import dev.vecoptim.kernel.NormKernel;
import dev.vecoptim.kernel.ScalarOperands;
import dev.vecoptim.kernel.StochasticRounding;
import dev.vecoptim.kernel.Storage;
import dev.vecoptim.kernel.UpdateKernel;
import dev.vecoptim.kernel.Vectorization;
import dev.vecoptim.step.StepChecks;
import dev.vecoptim.step.StepUpdate;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.StringJoiner;

/**
 * The hyper-parameters of one of vecoptim's optimizers (the registry {@link Optimizers} names them all): immutable,
 * validated when built, and able to apply their update to one parameter ({@link #step}) or, inside an
 * {@link Optimizer}, to every parameter of a {@link ParameterGroup}. Each optimizer's class holds all that
 * is particular to it: its hyper-parameters and their checks, its formula, its state buffers and scalars and
 * how they start, and its hyper-parameters by PyTorch's names, from which this class derives equality,
 * {@code toString} and the {@code with...} copies. Only this package defines optimizers.
 */
public abstract class Algorithm {
    /** Where PyTorch's float32 step count stops: 2^24 + 1 rounds back to 2^24 ({@link #countedStep}). */
    static final long LAST_COUNTED_STEP = 1L << 24;

    private final VectorWidth vectorWidth;
    private final Semantics semantics;
    private final boolean fused;
    private final Dtype stateDtype;
    private final MasterWeights masterWeights;
    private final StochasticRounding stochasticRounding;
    private final int vectorBits;
    private final NormKernel norms;
    /**
     * Each thread's updates for steps called directly, one per {@link Dtype}, each made on first need: a direct step
     * allocates nothing.
     */
    private final ThreadLocal<StepUpdate<?>[]> directUpdates =
            ThreadLocal.withInitial(() -> new StepUpdate<?>[Dtype.values().length]);
    /**
     * The thread that built this configuration, and its update for direct steps: the usual caller finds its update
     * in a field rather than a {@link ThreadLocal} lookup, a fixed cost that a step of a few thousand floats shows.
     * Only that thread reads or writes {@code builderUpdate}.
     */
    private final Thread builder = Thread.currentThread();
    private final StepUpdate<?>[] builderUpdates = new StepUpdate<?>[Dtype.values().length];

    /**
     * @throws IllegalArgumentException for a width wider than the machine's, or stochastic rounding of state not
     *     bfloat16
     * @throws IllegalStateException for an explicit width when SIMD is unavailable
     */
    Algorithm(AlgorithmBuilder<?> settings) {
        this.vectorWidth = Objects.requireNonNull(settings.vectorWidth, "vectorWidth");
        this.semantics = Objects.requireNonNull(settings.semantics, "semantics");
        this.fused = settings.fused;
        this.stateDtype = settings.stateDtype;
        this.masterWeights = settings.masterWeights;
        this.stochasticRounding = settings.stochasticRounding;
        if (stochasticRounding != null && stateDtype != Dtype.BFLOAT16) {
            throw new IllegalArgumentException("stochastic rounding rounds bfloat16 state: it needs"
                    + " stateDtype(Dtype.BFLOAT16), not " + (stateDtype == null ? "the parameters' dtype"
                    : stateDtype.pyTorchName()));
        }
        this.vectorBits = vectorWidth.resolveBits();
        this.norms = Kernels.kernel(NormKernel.FAMILY, Vectorization.normBits(vectorBits), new NoFlags());
    }

    /**
     * {@return the class name of its PyTorch implementation, one of {@link Optimizers#pyTorchNames()}: torch.optim's
     * ({@code AdamW} for Adam's AdamW), or for an optimizer from outside it its reference implementation's}
     */
    public abstract String name();

    /** {@return the learning rate} */
    public abstract double lr();

    /**
     * The hyper-parameters as PyTorch's constructor takes them and its {@code param_groups} hold them, by PyTorch's
     * names and in its order: numbers as {@code Double}, flags as {@code Boolean}, pairs ({@code betas},
     * {@code etas}, {@code step_sizes}) as a list of two {@code Double}s. {@code getattr(torch.optim, name())(params,
     * **pyTorchHyperParameters())} builds the same optimizer in Python (for an optimizer from outside
     * {@code torch.optim}, its reference implementation's class does).
     *
     * @return an unmodifiable map from PyTorch's name of each hyper-parameter to its value
     */
    public final Map<String, Object> pyTorchHyperParameters() {
        Map<String, Object> named = new LinkedHashMap<>();
        namedHyperParameters().forEach((name, value) -> named.put(name,
                value instanceof double[] pair ? List.of(pair[0], pair[1]) : value));
        return Collections.unmodifiableMap(named);
    }

    /**
     * The same optimizer and hyper-parameters with another learning rate, validated as {@code build()} does
     * (each optimizer's {@code toBuilder()} gives a builder of its own type, to change anything else).
     *
     * @param lr the new learning rate, ≥ 0
     * @return a copy at that learning rate
     */
    public final Algorithm withLr(double lr) {
        Map<String, Object> named = new LinkedHashMap<>(namedHyperParameters());
        named.put("lr", lr);
        return withNamedHyperParameters(named);
    }

    /**
     * The same with another {@code momentum}, or β1 for an optimizer of {@code betas}: what PyTorch's CyclicLR and
     * OneCycleLR set at each step when they cycle the momentum.
     *
     * @throws IllegalArgumentException for an optimizer of neither, in PyTorch's words
     */
    final Algorithm withMomentum(double momentum) {
        Map<String, Object> named = new LinkedHashMap<>(namedHyperParameters());
        if (named.containsKey("momentum")) {
            named.put("momentum", momentum);
        } else if (named.get("betas") instanceof double[] betas) {
            double[] cycled = betas.clone();
            cycled[0] = momentum;
            named.put("betas", cycled);
        } else {
            throw new IllegalArgumentException("optimizer must support momentum or beta1 with `cycle_momentum` option"
                    + " enabled: " + name() + " has neither");
        }
        return withNamedHyperParameters(named);
    }

    /**
     * The same hyper-parameters at another vector width: the same bits, at another speed.
     *
     * @param vectorWidth the width to run at
     * @return a copy at that width
     * @throws IllegalArgumentException for a width wider than the machine's
     * @throws IllegalStateException for an explicit width when SIMD is unavailable
     */
    public final Algorithm withVectorWidth(VectorWidth vectorWidth) {
        return rebuilt(namedHyperParameters(), vectorWidth, semantics);
    }

    /**
     * The same hyper-parameters, rounding updates of 16-bit tensors once or after every operation
     * ({@link #fused()}).
     *
     * @param fused whether to round once
     * @return a copy with that choice
     */
    public final Algorithm withFused(boolean fused) {
        return toBuilder().fused(fused).build();
    }

    /**
     * A builder holding these hyper-parameters and settings, to change some of them; each optimizer's own gives a
     * builder of its type.
     *
     * @return a new builder
     */
    public abstract AlgorithmBuilder<?> toBuilder();

    /**
     * The same hyper-parameters, reproducing another PyTorch's bits.
     *
     * @param semantics which PyTorch to reproduce
     * @return a copy with those semantics
     */
    public final Algorithm withSemantics(Semantics semantics) {
        return rebuilt(namedHyperParameters(), vectorWidth, semantics);
    }

    /**
     * The state buffers this configuration keeps per parameter, by PyTorch's names and in the order the
     * optimizer allocates them, e.g. {@code [exp_avg, exp_avg_sq]} for Adam. The same list at every call: a
     * step allocates nothing.
     *
     * @return the state buffers' names, in order
     */
    public abstract List<String> stateNames();

    /** {@return the vector width asked for} */
    public final VectorWidth vectorWidth() {
        return vectorWidth;
    }

    /** {@return which PyTorch's bits the update reproduces} */
    public final Semantics semantics() {
        return semantics;
    }

    /**
     * How updates of {@link Dtype#BFLOAT16} and {@link Dtype#FLOAT16} tensors round (float32 tensors are updated
     * alike either way):
     * <ul>
     * <li>false, the default: as PyTorch's default single-tensor step, each operation of the formula rounds its
     *     result to the tensor's dtype, as ATen does (where an ATen operation computes in float internally, such as
     *     {@code lerp_}, {@code addcmul_} and {@code addcdiv_} on all but the last {@code n % 32} elements of a
     *     tensor, it rounds once). Golden vectors of both PyTorch versions check every optimizer; the update runs the
     *     scalar reference loop, several times slower than float32's vector loop.
     * <li>true: every element is widened to float32, stepped by the float32 formula and each result rounded once
     *     to the tensor's dtype when it is stored, to nearest, ties to even; on the vector loop, with about half the
     *     bytes of float32 to move. For Adam and AdamW this is PyTorch 2.x's {@code fused=True} step on such tensors,
     *     bit for bit. PyTorch's fused SGD and Adagrad differ from it (2.6's fused SGD on 16-bit tensors writes only
     *     some elements; its Adagrad rounds some coefficients to 16 bits, by position), and its other optimizers
     *     have no fused step: for them this is vecoptim's own rounding, not PyTorch's.
     * </ul>
     *
     * @return whether updates of 16-bit tensors round once
     */
    public final boolean fused() {
        return fused;
    }

    /**
     * The dtype of the state buffers it keeps for each parameter, or null for the parameter's own, as PyTorch keeps
     * them. A state dtype other than the parameter's (bfloat16 state for float32 parameters halves its memory) makes
     * the update compute in float32 on the widened state and round each stored result once, to nearest, ties to
     * even, whatever {@link #fused()} says: vecoptim's own update, which PyTorch has not. A state dict written with it
     * holds the state in that dtype; PyTorch's {@code load_state_dict} casts it to the parameter's.
     *
     * @return the state buffers' dtype, or null for the parameter's
     */
    public final Dtype stateDtype() {
        return stateDtype;
    }

    /**
     * {@return the dtype of the state of a parameter of {@code dtype}: {@link #stateDtype()}, else float32 where it
     * has a master, else its own}
     */
    final Dtype stateDtype(Dtype dtype) {
        return stateDtype != null ? stateDtype : master(dtype) != MasterWeights.NONE ? Dtype.FLOAT32 : dtype;
    }

    /**
     * Whether it keeps a float32 master of each 16-bit parameter, and how; {@link MasterWeights#NONE}, the default,
     * for none. See {@link MasterWeights}.
     *
     * @return the master weights it keeps
     */
    public final MasterWeights masterWeights() {
        return masterWeights;
    }

    /**
     * The seed of the stochastic rounding of its bfloat16 state ({@link AlgorithmBuilder#stochasticRounding}), or
     * empty where the state rounds to nearest, ties to even.
     *
     * @return the seed, if the state rounds stochastically
     */
    public final OptionalLong stochasticRoundingSeed() {
        return stochasticRounding == null ? OptionalLong.empty() : OptionalLong.of(stochasticRounding.seed());
    }

    /** {@return how its state rounds stochastically, or null for to nearest} */
    final StochasticRounding stochasticRounding() {
        return stochasticRounding;
    }

    /** {@return the master a parameter of {@code dtype} has: none for a float32 one} */
    final MasterWeights master(Dtype dtype) {
        return dtype == Dtype.FLOAT32 ? MasterWeights.NONE : masterWeights;
    }

    /** {@return the loop this configuration runs on this JVM for float32 tensors, and which PyTorch's bits it gives} */
    public final Implementation implementation() {
        return implementation(Dtype.FLOAT32);
    }

    /**
     * The loop this configuration runs on this JVM for tensors of {@code dtype}, and what it gives the bits of: on
     * 16-bit tensors the scalar reference loop unless {@link #fused()}.
     *
     * @param dtype the tensors' dtype
     * @return the loop and what its bits are
     */
    public final Implementation implementation(Dtype dtype) {
        if (master(dtype) != MasterWeights.NONE) {
            return Implementation.of(vectorBits, "the float32 step of " + reference() + " on a float32 master, the "
                    + dtype.pyTorchName() + " parameter " + (masterWeights == MasterWeights.SPLIT
                    ? "its upper 16 bits" : "its rounding"));
        }
        if (stateDtype(dtype) != dtype) {
            return Implementation.of(vectorBits, "the float32 step of " + reference() + ", its state rounded once"
                    + (stochasticRounding != null ? " stochastically" : "") + " to " + stateDtype.pyTorchName());
        }
        if (dtype == Dtype.FLOAT32) {
            return Implementation.of(vectorBits, reference());
        }
        if (!fused) {
            return Implementation.of(0, reference() + "'s single-tensor step on " + dtype.pyTorchName() + " tensors");
        }
        boolean pyTorchFused = semantics == Semantics.PYTORCH_2 && hasPyTorchFusedStep();
        return Implementation.of(vectorBits, pyTorchFused ? reference() + "'s fused step on " + dtype.pyTorchName()
                + " tensors" : "the float32 step of " + reference() + " rounded once to " + dtype.pyTorchName());
    }

    /** What the update reproduces bit for bit: PyTorch's version of {@link #semantics()}, or a named reference. */
    abstract String reference();

    /**
     * Whether PyTorch 2.x's {@code fused=True} step on 16-bit tensors is the float32 step rounded once at each store,
     * which {@link #fused()} runs (Adam's and AdamW's is; recorded by {@code make_golden.py --fused}).
     */
    boolean hasPyTorchFusedStep() {
        return false;
    }

    /** Whether this optimizer is one of {@code torch.optim}'s, reproduced as {@link #semantics()} says. */
    abstract boolean reproducesPyTorch();

    /**
     * Whether its state counts steps ({@code step} in PyTorch's state, which files store): its declaration says
     * {@code keeps no step} where it does not, as for SGD.
     */
    abstract boolean keepsStep();

    /**
     * Whether PyTorch creates its state when the optimizer is built rather than at the first step (its declaration
     * says {@code eager state}, as Adagrad's does), so that a state dict holds it before any step.
     */
    abstract boolean eagerState();

    /** {@return the kernels this optimizer's steps run: {@code <Name>Kernel.FAMILY}} */
    abstract KernelFamily<?, ?> kernelFamily();

    /**
     * The scalars this optimizer keeps per parameter beside its state buffers, by PyTorch's names: where PyTorch
     * keeps a 0-dimensional float32 tensor ({@code mu_product} for NAdam, {@code eta} and {@code mu} for ASGD),
     * vecoptim keeps a segment of one float; where a reference keeps a Python float, a segment of one double
     * ({@link #scalarBytes()}). Empty for most optimizers. At step 1 they are set to PyTorch's
     * initial values before the update, whatever they hold, as PyTorch creates them at the first step.
     *
     * @return the scalars' names, in order; empty for most optimizers
     */
    public List<String> scalarNames() {
        return List.of();
    }

    /**
     * The size of each of {@link #scalarNames()}, in order: {@link Float#BYTES} where PyTorch keeps a 0-dimensional
     * float32 tensor, {@link Double#BYTES} where the reference keeps a Python float (a double) that it never rounds to
     * float32. A segment of exactly that size holds it.
     *
     * @return each scalar's size in bytes, 4 or 8, in order; empty for most optimizers
     */
    public List<Integer> scalarBytes() {
        return List.of();
    }

    /**
     * Applies step number {@code step} to one parameter, in place, with its state buffers in
     * {@link #stateNames()} order and then its scalars in {@link #scalarNames()} order: what each optimizer's own
     * {@code step} method does, for code that handles any optimizer, e.g.
     * {@code algorithm.step(t, param, grad, expAvg, expAvgSq)}.
     *
     * @param step this step's number, counting from 1
     * @param state as many buffers as {@link #stateNames()} names, each as many floats as param, then one segment
     *     per name of {@link #scalarNames()}, of one float or, where the reference keeps a double, one double (an
     *     array passed here is not kept)
     * @param param the parameter, updated in place
     * @param grad its gradient, read only
     * @throws IllegalArgumentException if step &lt; 1, there are not as many state buffers as state and scalar
     *     names, or the buffers differ in size, are not whole floats, overlap, or a written one is read-only
     * @throws IllegalStateException if a buffer's arena is closed
     * @throws WrongThreadException if a buffer is confined to another thread
     * @throws NullPointerException if a buffer is null
     */
    public final void step(long step, MemorySegment param, MemorySegment grad, MemorySegment... state) {
        step(Dtype.FLOAT32, step, param, grad, state);
    }

    /**
     * {@link #step(long, MemorySegment, MemorySegment, MemorySegment...)} on tensors of {@code dtype}: the parameter,
     * its gradient and its state buffers hold elements of that dtype (as PyTorch's state is {@code zeros_like} the
     * parameter), the scalars stay as they are; {@link #fused()} says how the update rounds.
     *
     * @param dtype what the parameter, gradient and state buffers hold
     * @param step this step's number, counting from 1
     * @param param the parameter, updated in place
     * @param grad its gradient, read only
     * @param state as many buffers as {@link #stateNames()} names, each as many elements as param, then one segment
     *     per name of {@link #scalarNames()} (one float, or one double where the reference keeps one), then, for a
     *     16-bit dtype under {@link #masterWeights()}, the master's buffer: as many float32s as param (or bfloat16s
     *     holding a split master's lower halves), which step 1 sets from param (an array passed here is not kept)
     * @throws IllegalArgumentException if step &lt; 1, there are not as many state buffers as state and scalar
     *     names (and master), or the buffers differ in size, are not whole elements, overlap, or a written one is
     *     read-only; or if this optimizer keeps split masters and dtype is float16
     * @throws IllegalStateException if a buffer's arena is closed
     * @throws WrongThreadException if a buffer is confined to another thread
     * @throws NullPointerException if dtype or a buffer is null
     */
    public final void step(Dtype dtype, long step, MemorySegment param, MemorySegment grad,
                           MemorySegment... state) {
        Objects.requireNonNull(dtype, "dtype");
        MasterWeights master = master(dtype);
        long elements = StepChecks.elements(step, dtype.bytes(), stateDtype(dtype).bytes(),
                master == MasterWeights.NONE ? 0 : master.bufferDtype().bytes(), param, grad, stateNames(),
                scalarNames(), scalarBytes(), state);
        StepUpdate<?> update = directUpdate(dtype);
        if (step == 1 && master != MasterWeights.NONE) {
            master.start(dtype, param, state[state.length - 1], elements, vectorBits);
        }
        stepChecked(update, step, param, grad, state, elements);
    }

    /**
     * A typed step over buffers already checked: {@code a}, {@code b}, {@code c} are its state buffers and then
     * its scalars, in {@link #stateNames()} and {@link #scalarNames()} order, with null for those this
     * configuration does not keep (and for the positions past them). Lays them out in this thread's array, which it
     * empties after, so that a typed step allocates nothing and keeps no reference to the caller's memory.
     */
    final void stepTyped(long step, long elements, MemorySegment param, MemorySegment grad, MemorySegment a,
                         MemorySegment b, MemorySegment c, MemorySegment d) {
        StepUpdate<?> update = directUpdate(Dtype.FLOAT32);
        MemorySegment[] state = update.typedState();
        keep(state, keep(state, keep(state, keep(state, 0, a), b), c), d);
        try {
            stepChecked(update, step, param, grad, state, elements);
        } finally {
            java.util.Arrays.fill(state, null);
        }
    }

    /** {@return this thread's update for direct steps on tensors of {@code dtype}} */
    private StepUpdate<?> directUpdate(Dtype dtype) {
        StepUpdate<?>[] updates = Thread.currentThread() == builder ? builderUpdates : directUpdates.get();
        StepUpdate<?> update = updates[dtype.ordinal()];
        if (update == null) {
            update = newStepUpdate(dtype);
            updates[dtype.ordinal()] = update;
        }
        return update;
    }

    /** Puts {@code buffer}, unless null, at {@code kept} in {@code state}; returns how many are kept after. */
    private static int keep(MemorySegment[] state, int kept, MemorySegment buffer) {
        if (buffer != null) {
            state[kept] = buffer;
            return kept + 1;
        }
        return kept;
    }

    private void stepChecked(StepUpdate<?> update, long step, MemorySegment param, MemorySegment grad,
                             MemorySegment[] state, long elements) {
        if (step == 1) {
            initializeScalars(lr(), state);
        }
        update.prepare(lr(), step);
        update.prepareParameter(param, grad, state, elements);
        update.apply(param, grad, state, 0, elements);
        advanceScalars(lr(), state, step);
    }

    /**
     * The step number PyTorch's formulas see at step {@code step}: PyTorch counts in a float32 tensor, where
     * 2^24 + 1 rounds back to 2^24, so from there on every step is step 2^24 to them.
     */
    static double countedStep(long step) {
        return Math.min(step, LAST_COUNTED_STEP);
    }

    /** {@code beta} to the power of the step number PyTorch's formulas see at step {@code step}. */
    static double power(double beta, long step) {
        // StrictMath: Math.pow may differ by an ulp from one JVM or CPU to another; StrictMath never does.
        return StrictMath.pow(beta, countedStep(step));
    }

    /** The names given, without the nulls: the state buffers a configuration keeps, in order. */
    static List<String> kept(String... names) {
        return Arrays.stream(names).filter(Objects::nonNull).toList();
    }

    /** The width the kernels of this configuration run at: 0 for the scalar loops. */
    final int vectorBits() {
        return vectorBits;
    }

    /**
     * A new holder for one step number's update: its coefficients and kernel, prepared by
     * {@link StepUpdate#prepare} and applied to any number of parameters and chunks.
     */
    abstract StepUpdate<?> newStepUpdate();

    /**
     * Whether stepping tensors of {@code dtype} one after another as one range gives each the bits of stepping it
     * alone: not for PyTorch's single-tensor step on 16-bit tensors, which rounds the last {@code n % 32} elements of
     * each tensor its own way.
     */
    final boolean positionIndependent(Dtype dtype) {
        return !layerwise() && (dtype == Dtype.FLOAT32 && stateDtype(dtype) == dtype || storesOnce(dtype) && stochasticRounding == null);
    }

    /**
     * Whether its update of a parameter depends on norms of the whole parameter (a trust ratio): an
     * {@link Optimizer} then works each parameter's norms out whole, one parameter per thread, before any chunk of
     * it steps (a step reads the parameter and its gradient once more for them), and a {@link ShardedOptimizer}
     * refuses it, since no shard holds a whole parameter. False for an element-wise optimizer.
     *
     * @return whether its update is layer-wise
     */
    public boolean layerwise() {
        return false;
    }

    /**
     * How many of a step's buffers a layer-wise update reads once more, whole, before it steps a parameter: the
     * parameter and the gradient for norms of them, and the state too where it computes the update again from it;
     * 0 for an element-wise update, or a layer-wise one that this configuration does not adapt. Bytes a step moves
     * beyond an element-wise one's, which the benchmarks' roofline counts.
     *
     * @return the buffers read before the step, 0 to 4
     */
    public int wholeParameterReads() {
        return 0;
    }

    /**
     * Whether its parameters have two values, one that gradients are taken at and one to evaluate (Schedule-Free's y
     * and x), between which {@link Optimizer#train()} and {@link Optimizer#eval()} move them, as {@link #toTrain} and
     * {@link #toEval} move one parameter: {@code p = lerp(p, z, W)}, z its first state buffer, W a weight of the
     * hyper-parameters. False for most optimizers, whose parameters have one value.
     *
     * @return whether it has train and eval modes
     */
    public boolean hasModes() {
        return false;
    }

    /**
     * The state its reference keeps in each parameter group rather than per parameter (a step count, or
     * Schedule-Free's {@code k}, {@code weight_sum} and {@code lr_max}), by the group entry's name, in order: each entry is the per-parameter
     * state named, {@code step} for the step count. vecoptim keeps it per parameter, and a state dict holds it both
     * ways ({@link GroupState}). Empty for most optimizers.
     */
    Map<String, String> groupEntries() {
        return Map.of();
    }

    /** The weight W of {@link #hasModes()}'s lerp: to the train value if {@code training}, else to the eval value. */
    double modeWeight(boolean training) {
        throw new IllegalStateException(name() + " has no train and eval modes");
    }

    /**
     * Moves one parameter from its train value to its eval value ({@link #hasModes()}), in place, as the reference's
     * {@code eval()} does: for a parameter that has stepped, with its state buffers and scalars (and master) as
     * {@link #step(Dtype, long, MemorySegment, MemorySegment, MemorySegment...)} takes them, none written.
     *
     * @param dtype what the parameter and its state buffers hold
     * @param param the parameter, moved in place
     * @param state its state, as a step takes it
     * @throws IllegalStateException for an optimizer without modes, or if a buffer's arena is closed
     * @throws IllegalArgumentException if the buffers are not as a step takes them
     * @throws WrongThreadException if a buffer is confined to another thread
     * @throws NullPointerException if dtype or a buffer is null
     */
    public final void toEval(Dtype dtype, MemorySegment param, MemorySegment... state) {
        moveMode(dtype, param, state, false);
    }

    /**
     * Moves one parameter from its eval value back to its train value ({@link #hasModes()}), in place, as the
     * reference's {@code train()} does; as {@link #toEval}.
     *
     * @param dtype what the parameter and its state buffers hold
     * @param param the parameter, moved in place
     * @param state its state, as a step takes it
     * @throws IllegalStateException for an optimizer without modes, or if a buffer's arena is closed
     * @throws IllegalArgumentException if the buffers are not as a step takes them
     * @throws WrongThreadException if a buffer is confined to another thread
     * @throws NullPointerException if dtype or a buffer is null
     */
    public final void toTrain(Dtype dtype, MemorySegment param, MemorySegment... state) {
        moveMode(dtype, param, state, true);
    }

    private void moveMode(Dtype dtype, MemorySegment param, MemorySegment[] state, boolean training) {
        Objects.requireNonNull(dtype, "dtype");
        if (!hasModes()) {
            modeWeight(training);
        }
        MasterWeights master = master(dtype);
        long elements = StepChecks.elementsWithoutGradient(dtype.bytes(), stateDtype(dtype).bytes(),
                master == MasterWeights.NONE ? 0 : master.bufferDtype().bytes(), param, stateNames(), scalarNames(),
                scalarBytes(), state);
        moveMode(dtype, elements, param, state, training);
    }

    /** {@link #toEval} or {@link #toTrain} of buffers already checked, of a parameter that has stepped. */
    final void moveMode(Dtype dtype, long elements, MemorySegment param, MemorySegment[] state, boolean training) {
        int buffers = stateNames().size() + scalarNames().size();
        ModeSwitch.apply(this, dtype, elements, param, state[0], state.length > buffers ? state[buffers] : null,
                training);
    }

    /** Whether the update of a parameter of {@code dtype} computes in float32 and rounds each stored result once. */
    private boolean storesOnce(Dtype dtype) {
        return fused || stateDtype(dtype) != dtype || master(dtype) != MasterWeights.NONE || stochasticRounding != null;
    }

    /**
     * A new holder for one step number's update on tensors of {@code dtype}: the float32 update on float32 tensors;
     * on 16-bit ones the float32 update rounded once at each store if {@link #fused()}, else PyTorch's single-tensor
     * update on them.
     *
     * @throws IllegalArgumentException for split master weights of a float16 parameter
     */
    final StepUpdate<?> newStepUpdate(Dtype dtype) {
        if (dtype == Dtype.FLOAT32 && stateDtype(dtype) == dtype) {
            return newStepUpdate();
        }
        if (master(dtype) == MasterWeights.SPLIT && dtype != Dtype.BFLOAT16) {
            throw new IllegalArgumentException("split master weights are for bfloat16 parameters, whose upper 16 bits"
                    + " are a float32's, not for " + dtype.pyTorchName() + " ones; MasterWeights.FLOAT32 keeps a"
                    + " float32 copy of any 16-bit parameter");
        }
        return storesOnce(dtype) ? storedUpdate(new Storage(dtype.format(), dtype.format(),
                stateDtype(dtype).format(), master(dtype).kernel(), stochasticRounding)) : scalarUpdate(dtype.format());
    }

    /**
     * Its update on tensors of {@code dtype} by its scalar reference: PyTorch's single-tensor step on such tensors
     * (or its reference's, for an optimizer from outside {@code torch.optim}).
     */
    abstract StepUpdate<?> scalarUpdate(Format dtype);

    /**
     * Its float32 update on buffers stored as {@code storage} says: each element widened, stepped in float32 and
     * rounded once to its buffer's dtype when stored, at this configuration's width. On bfloat16 and float16
     * buffers this is PyTorch 2.x's {@code fused=True} Adam and AdamW ({@code make_golden.py --fused}).
     */
    final StepUpdate<?> storedUpdate(Storage storage) {
        return newStepUpdate().stored(storage, vectorBits, stateNames().size());
    }

    /** {@return how many kernels its steps choose between: one, unless its kernel depends on the step} */
    int variants() {
        return 1;
    }

    /** {@return which of its {@link #variants()} kernels step {@code step} runs} */
    int variant(long step) {
        return 0;
    }

    /** A {@link StepUpdate} of these coefficients prepared by {@code preparation}, for this configuration. */
    final <C> StepUpdate<C> stepUpdate(C coefficients, StepUpdate.Preparation<C> preparation) {
        return new StepUpdate<>(coefficients, preparation, stateNames().size() + scalarNames().size());
    }

    /** How an optimizer works out a step's coefficients for tensors whose operands {@code operands} describes. */
    interface Coefficients<C> {
        void workOut(double lr, long step, C coefficients, ScalarOperands operands);
    }

    /**
     * {@link #scalarUpdate(Format)} for an optimizer whose scalar reference runs on {@code dtype}: its coefficients
     * worked out for that dtype's operands, under its semantics, and its scalar kernel for each step number.
     */
    final <C> StepUpdate<C> scalarUpdate(Format dtype, C coefficients, Coefficients<C> workOut,
                                         java.util.function.LongFunction<UpdateKernel<C>> kernel) {
        ScalarOperands operands = new ScalarOperands(dtype, semantics == Semantics.PYTORCH_1_13);
        return stepUpdate(coefficients, (lr, step, c) -> {
            workOut.workOut(lr, step, c, operands);
            return kernel.apply(step);
        });
    }

    /** Sets the scalars, after the state buffers in {@code state}, to the values PyTorch starts them at. */
    void initializeScalars(double lr, MemorySegment[] state) {
    }

    /** Moves the scalars, after the state buffers in {@code state}, past step {@code step} at learning rate lr. */
    void advanceScalars(double lr, MemorySegment[] state, long step) {
    }

    /** PyTorch's norms at this configuration's width, made once: what a layer-wise update's coefficients sum with. */
    final NormKernel norms() {
        return norms;
    }

    /** The value a scalar's segment holds: a double if it has 8 bytes, else a float. */
    static double scalar(MemorySegment scalar) {
        return scalar.byteSize() == Double.BYTES ? scalar.get(ValueLayout.JAVA_DOUBLE_UNALIGNED, 0)
                : scalar.get(ValueLayout.JAVA_FLOAT_UNALIGNED, 0);
    }

    /** Sets a scalar's segment to {@code value}: as a double if it has 8 bytes, else rounded to a float. */
    static void scalar(MemorySegment scalar, double value) {
        if (scalar.byteSize() == Double.BYTES) {
            scalar.set(ValueLayout.JAVA_DOUBLE_UNALIGNED, 0, value);
        } else {
            scalar.set(ValueLayout.JAVA_FLOAT_UNALIGNED, 0, (float) value);
        }
    }

    /**
     * Whether {@code value} is one that scalar number {@code s} can hold exactly: any double for a double's, a float's
     * value for a float's; a file holding another was not written by vecoptim or PyTorch.
     */
    final boolean scalarHolds(int s, double value) {
        return scalarBytes().get(s) == Double.BYTES
                || Double.doubleToRawLongBits((float) value) == Double.doubleToRawLongBits(value);
    }

    /** The value the state buffer {@code name} starts at, PyTorch's; 0 unless the optimizer says otherwise. */
    float initialState(String name) {
        return 0;
    }

    /**
     * These hyper-parameters as PyTorch's {@code param_groups} entries, in PyTorch's order: a {@link Double}, a
     * {@link Boolean}, or a {@code double[]} for a tuple such as {@code betas}. Checkpoints store them so.
     */
    abstract Map<String, Object> namedHyperParameters();

    /**
     * The {@code param_groups} entries that newer PyTorch writes and that say which optimizer this is rather than
     * tune it (Adam's {@code decoupled_weight_decay}, which PyTorch 2.7 writes, true for AdamW): a state dict's must
     * equal them; they are neither restored nor written.
     */
    abstract Map<String, Object> identifyingEntries();

    /**
     * Hyper-parameters of the same optimizer and vector width with exactly the entries {@code named}, of the
     * types {@link #namedHyperParameters()} gives, validated as {@code build()} does.
     *
     * @throws IllegalArgumentException if an entry is missing, extra or of another type, or a value is invalid
     */
    final Algorithm withNamedHyperParameters(Map<String, Object> named) {
        return rebuilt(named, vectorWidth, semantics);
    }

    private Algorithm rebuilt(Map<String, Object> named, VectorWidth vectorWidth, Semantics semantics) {
        NamedValues values = new NamedValues(name(), named);
        return values.allRead(build(values, Objects.requireNonNull(vectorWidth, "vectorWidth"),
                Objects.requireNonNull(semantics, "semantics")));
    }

    /**
     * The same optimizer (Adam or AdamW, say) built anew from every entry of {@code values}, read by PyTorch's
     * names as {@link #namedHyperParameters()} gives them, at a width and under a semantics.
     */
    abstract Algorithm build(NamedValues values, VectorWidth vectorWidth, Semantics semantics);

    /**
     * Equal: the same optimizer, hyper-parameters (bit for bit), vector width, semantics, {@link #fused()},
     * {@link #stateDtype()}, {@link #masterWeights()} and {@link #stochasticRoundingSeed()}.
     */
    @Override
    public final boolean equals(Object other) {
        if (!(other instanceof Algorithm that) || getClass() != that.getClass() || !name().equals(that.name())
                || vectorWidth != that.vectorWidth || semantics != that.semantics || fused != that.fused
                || stateDtype != that.stateDtype || masterWeights != that.masterWeights
                || !Objects.equals(stochasticRounding, that.stochasticRounding)) {
            return false;
        }
        Map<String, Object> named = namedHyperParameters();
        Map<String, Object> thatNamed = that.namedHyperParameters();
        return named.keySet().equals(thatNamed.keySet()) && named.entrySet().stream()
                .allMatch(entry -> Objects.deepEquals(entry.getValue(), thatNamed.get(entry.getKey())));
    }

    @Override
    public final int hashCode() {
        return Objects.hash(name(), vectorWidth, semantics, fused, stateDtype, masterWeights, stochasticRounding,
                Arrays.deepHashCode(namedHyperParameters().values().toArray()));
    }

    /**
     * PyTorch's name and hyper-parameters in Python's notation, then the width and semantics, {@code fused=True}
     * when {@link #fused()}, the {@link #stateDtype()}, {@link #masterWeights()} and
     * {@link #stochasticRoundingSeed()} when set, e.g. {@code Adam(lr=0.001, betas=(0.9, 0.999),
     * ..., vector_width=PREFERRED, semantics=PYTORCH_2)}.
     */
    @Override
    public final String toString() {
        StringJoiner text = new StringJoiner(", ", name() + "(", ")");
        namedHyperParameters().forEach((name, value) -> text.add(name + "=" + NamedValues.repr(value)));
        text.add("vector_width=" + vectorWidth).add("semantics=" + semantics);
        if (fused) {
            text.add("fused=True");
        }
        if (stateDtype != null) {
            text.add("state_dtype=" + stateDtype.pyTorchName());
        }
        if (masterWeights != MasterWeights.NONE) {
            text.add("master_weights=" + masterWeights);
        }
        if (stochasticRounding != null) {
            text.add("stochastic_rounding_seed=" + stochasticRounding.seed());
        }
        return text.toString();
    }
}
