package dev.vecoptim;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

/**
 * A parameter registered in a {@link ParameterGroup}: the caller's value and gradient segments, the state
 * buffers the optimizer allocated for it (PyTorch's names, zero at first), and its own step count, which
 * counts the steps applied to it (PyTorch's {@code state['step']}).
 */
public final class Parameter {
    private final ParameterGroup group;
    private int index;
    private final MemorySegment value;
    private final MemorySegment grad;
    private final long elements;
    private final List<String> stateNames;
    private final MemorySegment[] state;
    private long steps;

    /** Allocates the state buffers in {@code stateArena}, 64-byte aligned, at their initial values. */
    Parameter(ParameterGroup group, int index, MemorySegment value, MemorySegment grad, Arena stateArena) {
        this.group = group;
        this.index = index;
        this.value = value;
        this.grad = grad;
        this.elements = value.byteSize() / Float.BYTES;
        this.stateNames = group.algorithm().stateNames();
        this.state = new MemorySegment[stateNames.size()];
        for (int s = 0; s < state.length; s++) {
            state[s] = stateArena.allocate(value.byteSize(), 64);
            float initial = group.algorithm().initialState(stateNames.get(s));
            for (long i = 0; initial != 0 && i < elements; i++) {
                state[s].setAtIndex(ValueLayout.JAVA_FLOAT, i, initial);
            }
        }
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

    /**
     * A read-only view of one state buffer, e.g. {@code state("exp_avg")}; valid until the optimizer is
     * closed.
     *
     * @throws IllegalArgumentException if this parameter keeps no such buffer
     */
    public MemorySegment state(String name) {
        int s = stateNames.indexOf(name);
        if (s < 0) {
            throw new IllegalArgumentException(label() + " keeps no " + name + "; it keeps " + stateNames);
        }
        return state[s].asReadOnly();
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
