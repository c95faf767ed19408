package dev.vecoptim;

import dev.vecoptim.step.Chunk;
import dev.vecoptim.step.ChunkRunner;
import dev.vecoptim.step.OwnerThreadMemory;
import dev.vecoptim.step.StateMemory;
import dev.vecoptim.step.StepUpdate;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A parameter registered in a {@link ParameterGroup}: its value and gradient segments (the caller's, or slices
 * of memory the optimizer allocated, see {@link ParameterGroup#allocate}), the state buffers the optimizer
 * allocated for it (PyTorch's names, at PyTorch's initial values), the scalars some optimizers keep beside them
 * (NAdam's {@code mu_product}, ASGD's {@code eta} and {@code mu}), and its own step count, which counts the
 * steps applied to it (PyTorch's {@code state['step']}). Its value and gradient hold elements of its
 * {@link #dtype()}, its state buffers of its {@link #stateDtype()}; the scalars are float32, as PyTorch's are. A 16-bit
 * parameter of an optimizer with {@link MasterWeights} also has a master ({@link #masterWeights()}).
 */
public final class Parameter {
    private final ParameterGroup group;
    private int index;
    private final MemorySegment value;
    private final MemorySegment grad;
    private final Dtype dtype;
    private final Dtype stateDtype;
    private final MasterWeights masterWeights;
    private final long elements;
    private final List<String> stateNames;
    private final List<String> scalarNames;
    /** The state buffers in {@link #stateNames} order, then a float for each of the scalars, then the master if any. */
    private final MemorySegment[] state;
    /** The block whose memory this parameter's buffers are slices of, or null for the caller's own memory. */
    private final ParameterBlock block;
    private long steps;
    /** Its own update, for a step in which its step number is not its group's; made on first need. */
    private StepUpdate<?> ownUpdate;
    private Algorithm ownUpdateFor;
    /** This parameter whole, as a layer-wise step prepares it; made on first need. */
    private Chunk<Parameter> whole;

    /**
     * A parameter whose state buffers are {@code buffers} (its own, or its slices of a {@link ParameterBlock}'s, as
     * {@link #newStateBuffers} makes them), with scalars of its own in {@code stateArena} at the values PyTorch would
     * start them at now (the first step starts them again).
     */
    Parameter(ParameterGroup group, int index, Dtype dtype, MemorySegment value, MemorySegment grad,
              MemorySegment[] buffers, Arena stateArena, ParameterBlock block) {
        this(group, index, dtype, value, grad, state(group.algorithm(), buffers, newScalars(group.algorithm(),
                stateArena)), block);
        group.algorithm().initializeScalars(group.lr(), state);
    }

    /** A parameter whose state (buffers, then scalars, then master) is {@code state} as it is. */
    Parameter(ParameterGroup group, int index, Dtype dtype, MemorySegment value, MemorySegment grad,
              MemorySegment[] state, ParameterBlock block) {
        this.group = group;
        this.index = index;
        this.dtype = dtype;
        this.stateDtype = group.algorithm().stateDtype(dtype);
        this.masterWeights = group.algorithm().master(dtype);
        this.value = value;
        this.grad = grad;
        this.elements = value.byteSize() / dtype.bytes();
        this.stateNames = group.algorithm().stateNames();
        this.scalarNames = group.algorithm().scalarNames();
        this.state = state;
        this.block = block;
    }

    /**
     * {@code algorithm}'s state buffers for {@code elements} elements of a parameter of {@code dtype} in
     * {@code memory}, of its state dtype, as they start, then its master's buffer if it has one: buffers 2, 3, ...
     * of a step's ({@link StateMemory}).
     */
    static MemorySegment[] newStateBuffers(Algorithm algorithm, Dtype parameterDtype, long elements,
                                           StateMemory memory) {
        List<String> names = algorithm.stateNames();
        boolean master = algorithm.master(parameterDtype) != MasterWeights.NONE;
        MemorySegment[] buffers = new MemorySegment[names.size() + (master ? 1 : 0)];
        for (int s = 0; s < buffers.length; s++) {
            Dtype dtype = bufferDtype(algorithm, parameterDtype, s);
            buffers[s] = memory.allocate(Math.multiplyExact(elements, dtype.bytes()), 2 + s);
            float initial = s < names.size() ? algorithm.initialState(names.get(s)) : 0;
            if (initial != 0) {
                fill(buffers[s], dtype, initial);
            }
        }
        return buffers;
    }

    /** {@return the dtype of buffer {@code s} of {@link #newStateBuffers}: the state's, or the master's past it} */
    static Dtype bufferDtype(Algorithm algorithm, Dtype parameterDtype, int s) {
        return s < algorithm.stateNames().size() ? algorithm.stateDtype(parameterDtype)
                : algorithm.master(parameterDtype).bufferDtype();
    }

    /** Sets every element of {@code buffer} to {@code value} rounded to {@code dtype}, as PyTorch's full_like does. */
    private static void fill(MemorySegment buffer, Dtype dtype, float value) {
        for (long i = 0; i < buffer.byteSize() / dtype.bytes(); i++) {
            dtype.format().store(buffer, i, value);
        }
    }

    /** Sets the state buffers and scalars to where PyTorch starts them, as before a first step. */
    void startState() {
        Algorithm algorithm = group.algorithm();
        for (int s = 0; s < stateNames.size(); s++) {
            fill(state[s], stateDtype, algorithm.initialState(stateNames.get(s)));
        }
        algorithm.initializeScalars(group.lr(), state);
    }

    private static MemorySegment[] newScalars(Algorithm algorithm, Arena arena) {
        MemorySegment[] scalars = new MemorySegment[algorithm.scalarNames().size()];
        for (int s = 0; s < scalars.length; s++) {
            scalars[s] = algorithm.scalarBytes().get(s) == Double.BYTES ? arena.allocate(ValueLayout.JAVA_DOUBLE)
                    : arena.allocate(ValueLayout.JAVA_FLOAT);
        }
        return scalars;
    }

    /**
     * A step's state segments: the state buffers of {@code buffers} ({@link #newStateBuffers}), the scalars, then
     * the master's buffer, which {@code buffers} has last if at all.
     */
    static MemorySegment[] state(Algorithm algorithm, MemorySegment[] buffers, MemorySegment[] scalars) {
        int kept = algorithm.stateNames().size();
        MemorySegment[] state = Arrays.copyOf(buffers, buffers.length + scalars.length);
        System.arraycopy(scalars, 0, state, kept, scalars.length);
        if (buffers.length > kept) {
            state[state.length - 1] = buffers[kept];
        }
        return state;
    }

    /** Sets the master, if it has one, from its value, exactly: what its first step does before the update. */
    void startMaster() {
        if (masterWeights != MasterWeights.NONE) {
            masterWeights.start(dtype, value, state[state.length - 1], elements, group.algorithm().vectorBits());
        }
    }

    /** {@return the master it keeps: none for a float32 parameter, else its optimizer's {@link Algorithm#masterWeights()}} */
    public MasterWeights masterWeights() {
        return masterWeights;
    }

    /**
     * Copies its float32 master, the value its optimizer steps, into {@code floats}: a {@link MasterWeights#FLOAT32}
     * master as it is, a {@link MasterWeights#SPLIT} one joined from the parameter's upper and its buffer's lower 16
     * bits. Before its first step, which takes the master from the value, this is the value widened exactly. Between
     * steps: a step running meanwhile may leave a mix of two steps' values.
     *
     * @param floats where the {@link #elementCount()} floats go, in native byte order, from its start
     * @throws IllegalStateException if it keeps no master ({@link #masterWeights()} is {@code NONE}), or the
     *     optimizer was closed, which freed the master
     * @throws IllegalArgumentException if {@code floats} is read-only, holds fewer than {@code 4 * elementCount()}
     *     bytes, or overlaps this parameter's value or state; nothing is written then
     */
    public void copyMasterTo(MemorySegment floats) {
        Objects.requireNonNull(floats, "floats");
        if (masterWeights == MasterWeights.NONE) {
            throw new IllegalStateException(label() + " keeps no master: it is " + dtype.pyTorchName()
                    + (dtype == Dtype.FLOAT32 ? "" : " and its optimizer has masterWeights(MasterWeights.NONE)"));
        }
        checkStateKept();
        if (floats.isReadOnly()) {
            throw new IllegalArgumentException("the segment for " + label() + "'s master is read-only");
        }
        if (floats.byteSize() < elements * Float.BYTES) {
            throw new IllegalArgumentException("the segment for " + label() + "'s master holds " + floats.byteSize()
                    + " bytes; its " + elements + " floats need " + elements * Float.BYTES);
        }
        MemorySegment master = floats.asSlice(0, elements * Float.BYTES);
        if (value.asOverlappingSlice(master).isPresent()
                || Arrays.stream(state).anyMatch(own -> own.asOverlappingSlice(master).isPresent())) {
            throw new IllegalArgumentException("the segment for " + label() + "'s master overlaps its value or state");
        }
        masterWeights.copy(dtype, value, masterBuffer(), stepCount() > 0, master, group.algorithm().vectorBits());
    }

    /** {@return its master's buffer (the float32 master, or a split one's lower halves), or null if it has none} */
    MemorySegment masterBuffer() {
        return masterWeights == MasterWeights.NONE ? null : state[state.length - 1];
    }

    /** {@return the parameter's values, updated in place by each step} */
    public MemorySegment value() {
        return value;
    }

    /** {@return its gradient, read by each step (and written by {@link Optimizer#zeroGrad()} and clipping)} */
    public MemorySegment grad() {
        return grad;
    }

    /** {@return how many elements the parameter holds (PyTorch's {@code numel()})} */
    public long elementCount() {
        return elements;
    }

    /** {@return what its value and gradient hold} */
    public Dtype dtype() {
        return dtype;
    }

    /** {@return what its state buffers hold: its dtype, unless its optimizer sets {@link Algorithm#stateDtype()}} */
    public Dtype stateDtype() {
        return stateDtype;
    }

    /** {@return whether its memory is confined to a thread, which then runs every chunk of it} */
    boolean confined() {
        return OwnerThreadMemory.confined(value) || OwnerThreadMemory.confined(grad);
    }

    /** {@return this parameter cut into the chunks {@code runner} steps} */
    List<Chunk<Parameter>> chunks(ChunkRunner<Parameter> runner) {
        return runner.stepChunks(this, elements, confined());
    }

    /** {@return the steps applied to this parameter; its next step is number {@code stepCount() + 1}} */
    public long stepCount() {
        return block != null && block.steppedWhole() && !isWholeBlock() ? block.whole().stepCount() : steps;
    }

    /** {@return its state buffers' names, in PyTorch's terms and order, e.g. {@code [exp_avg, exp_avg_sq]}} */
    public List<String> stateNames() {
        return stateNames;
    }

    /** {@return the names of its scalars, PyTorch's, e.g. {@code [mu_product]} for NAdam; most optimizers keep none} */
    public List<String> scalarNames() {
        return scalarNames;
    }

    /**
     * A read-only view of one state buffer, e.g. {@code state("exp_avg")}, or of one scalar (a segment of one
     * float, or of one double: {@link Algorithm#scalarBytes()}), e.g. {@code state("mu_product")}; valid until the
     * optimizer is closed.
     *
     * @param name the buffer's or scalar's PyTorch name
     * @return a read-only view of it
     * @throws IllegalArgumentException if this parameter keeps no such buffer or scalar
     * @throws IllegalStateException if the optimizer was closed, which freed the state
     */
    public MemorySegment state(String name) {
        int s = stateNames.indexOf(name);
        if (s < 0 && scalarNames.contains(name)) {
            s = stateNames.size() + scalarNames.indexOf(name);
        }
        if (s < 0) {
            throw new IllegalArgumentException(label() + " keeps no " + name + "; it keeps " + stateNames
                    + (scalarNames.isEmpty() ? "" : " and the scalars " + scalarNames));
        }
        checkStateKept();
        return state[s].asReadOnly();
    }

    /**
     * The value of one of its scalars, e.g. {@code scalar("mu_product")}: a float's value for a scalar that
     * PyTorch keeps in float32, a double for one its reference keeps as a Python float.
     *
     * @param name the scalar's PyTorch name
     * @return its value now
     * @throws IllegalArgumentException if this parameter keeps no such scalar
     * @throws IllegalStateException if the optimizer was closed, which freed the state
     */
    public double scalar(String name) {
        if (!scalarNames.contains(name)) {
            throw new IllegalArgumentException(label() + " keeps no scalar " + name + "; its scalars are "
                    + scalarNames);
        }
        checkStateKept();
        return Algorithm.scalar(state[stateNames.size() + scalarNames.indexOf(name)]);
    }

    /** Moves it to its train or eval value if it has stepped (its optimizer has modes): {@link Optimizer#train()}. */
    void moveMode(boolean train) {
        Algorithm algorithm = group.algorithm();
        if (algorithm.hasModes() && stepCount() > 0) {
            algorithm.moveMode(dtype, elementCount(), value(), state, train);
        }
    }

    /** Fails once the optimizer, which owns the state, has been closed and has freed it. */
    private void checkStateKept() {
        if (group.optimizer().isClosed()) {
            throw new IllegalStateException(label() + "'s state was freed when its optimizer was closed");
        }
    }

    /** {@return the group this parameter belongs to} */
    public ParameterGroup group() {
        return group;
    }

    /** {@return its position in its group, from 0; it moves up when a parameter before it is removed} */
    public int index() {
        return index;
    }

    void index(int index) {
        this.index = index;
    }

    String label() {
        return "group " + group.index() + " parameter " + index;
    }

    /** The state buffers, then the scalars, then the master if any: what an {@link StepUpdate} applies to. */
    MemorySegment[] stateBuffers() {
        return state;
    }

    /**
     * Works out this parameter's own update of step number {@code step}, for a step in which its group's update is
     * for another step number.
     */
    void prepareOwnUpdate(long step) {
        Algorithm algorithm = group.algorithm();
        if (ownUpdateFor != algorithm) {
            ownUpdate = algorithm.newStepUpdate(dtype);
            ownUpdateFor = algorithm;
        }
        ownUpdate.prepare(group.lr(), step);
    }

    /**
     * Whether step number {@code step} runs this parameter's own update rather than its group's: when the group's was
     * worked out for another step number, and always for a layer-wise optimizer, whose coefficients are each
     * parameter's.
     */
    boolean ownsUpdate(long step) {
        return group.algorithm().layerwise() || group.prepared(step, dtype) == null;
    }

    /** The update of step number {@code step} for this parameter: its group's, or its own ({@link #ownsUpdate}). */
    StepUpdate<?> update(long step) {
        return ownsUpdate(step) ? ownUpdate : group.prepared(step, dtype);
    }

    /** {@return this parameter whole, one unit of work} */
    Chunk<Parameter> whole() {
        if (whole == null) {
            whole = new Chunk<>(this, 0, elements, 0, confined());
        }
        return whole;
    }

    ParameterBlock block() {
        return block;
    }

    /** Whether this is not a parameter of a group but the {@link ParameterBlock#whole()} of a block. */
    boolean isWholeBlock() {
        return block != null && block.whole() == this;
    }

    /** Sets the step count; a member of a block stepped whole parts the block from its whole first. */
    void stepCount(long steps) {
        if (block != null && !isWholeBlock()) {
            block.partFromWhole();
        }
        this.steps = steps;
    }

    @Override
    public String toString() {
        return label() + " (" + elements + " " + dtype.elements() + ", " + stepCount() + " steps, state " + stateNames + ")";
    }
}
