package dev.vecoptim;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

/**
 * A parameter registered in a {@link ParameterGroup}: the caller's value and gradient segments, the state
 * buffers the optimizer allocated for it (PyTorch's names, zero at first), the scalars some optimizers keep
 * beside them (NAdam's {@code mu_product}, ASGD's {@code eta} and {@code mu}), and its own step count, which
 * counts the steps applied to it (PyTorch's {@code state['step']}).
 */
public final class Parameter {
    private final ParameterGroup group;
    private int index;
    private final MemorySegment value;
    private final MemorySegment grad;
    private final long elements;
    private final List<String> stateNames;
    private final List<String> scalarNames;
    /** The state buffers in {@link #stateNames} order, then a float for each of the scalars. */
    private final MemorySegment[] state;
    private long steps;

    /**
     * Allocates the state buffers in {@code stateArena}, 64-byte aligned, at their initial values, and the
     * scalars at those PyTorch would start them at now (the first step starts them again).
     */
    Parameter(ParameterGroup group, int index, MemorySegment value, MemorySegment grad, Arena stateArena) {
        this.group = group;
        this.index = index;
        this.value = value;
        this.grad = grad;
        this.elements = value.byteSize() / Float.BYTES;
        Algorithm algorithm = group.algorithm();
        this.stateNames = algorithm.stateNames();
        this.scalarNames = algorithm.scalarNames();
        this.state = new MemorySegment[stateNames.size() + scalarNames.size()];
        for (int s = 0; s < stateNames.size(); s++) {
            state[s] = stateArena.allocate(value.byteSize(), 64);
            float initial = algorithm.initialState(stateNames.get(s));
            for (long i = 0; initial != 0 && i < elements; i++) {
                state[s].setAtIndex(ValueLayout.JAVA_FLOAT, i, initial);
            }
        }
        for (int s = stateNames.size(); s < state.length; s++) {
            state[s] = stateArena.allocate(ValueLayout.JAVA_FLOAT);
        }
        algorithm.initializeScalars(group.lr(), state);
    }

    /** The parameter's values, updated in place by each step. */
    public MemorySegment value() {
        return value;
    }

    /** Its gradient, read by each step (and written by {@link Optimizer#zeroGrad()} and clipping). */
    public MemorySegment grad() {
        return grad;
    }

    public long elementCount() {
        return elements;
    }

    /** The steps applied to this parameter; its next step is number {@code stepCount() + 1}. */
    public long stepCount() {
        return steps;
    }

    /** Its state buffers' names, in PyTorch's terms and order, e.g. {@code [exp_avg, exp_avg_sq]}. */
    public List<String> stateNames() {
        return stateNames;
    }

    /** The names of its scalars, PyTorch's, e.g. {@code [mu_product]} for NAdam; most optimizers keep none. */
    public List<String> scalarNames() {
        return scalarNames;
    }

    /**
     * A read-only view of one state buffer, e.g. {@code state("exp_avg")}, or of one scalar (a segment of one
     * float), e.g. {@code state("mu_product")}; valid until the optimizer is closed.
     *
     * @throws IllegalArgumentException if this parameter keeps no such buffer or scalar
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
        return state[s].asReadOnly();
    }

    /**
     * The value of one of its scalars, e.g. {@code scalar("mu_product")}.
     *
     * @throws IllegalArgumentException if this parameter keeps no such scalar
     */
    public float scalar(String name) {
        if (!scalarNames.contains(name)) {
            throw new IllegalArgumentException(label() + " keeps no scalar " + name + "; its scalars are "
                    + scalarNames);
        }
        return Algorithm.scalar(state[stateNames.size() + scalarNames.indexOf(name)]);
    }

    public ParameterGroup group() {
        return group;
    }

    /** Its position in its group, from 0; it moves up when a parameter before it is removed. */
    public int index() {
        return index;
    }

    void index(int index) {
        this.index = index;
    }

    String label() {
        return "group " + group.index() + " parameter " + index;
    }

    /** The state buffers, then the scalars: what {@link Algorithm#update} takes. */
    MemorySegment[] stateBuffers() {
        return state;
    }

    void stepCount(long steps) {
        this.steps = steps;
    }

    @Override
    public String toString() {
        return label() + " (" + elements + " floats, " + steps + " steps, state " + stateNames + ")";
    }
}
