package dev.vecoptim;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * A parameter registered in a {@link ParameterGroup}: the caller's value and gradient segments, the state
 * buffers the optimizer allocated for it (PyTorch's names, zero at first), and its own step count, which
 * counts the steps applied to it (PyTorch's {@code state['step']}).
 */
public final class Parameter {
    /** A thread that is no segment's owner: a segment it may access is not confined to one thread. */
    private static final Thread ANY_OTHER_THREAD = new Thread(() -> { });

    private final ParameterGroup group;
    private int index;
    private final MemorySegment value;
    private final MemorySegment grad;
    private final long elements;
    private final List<String> stateNames;
    private final MemorySegment[] state;
    private final boolean confined;
    private final List<Chunk> stepChunks;
    private final List<Chunk> normBlocks;
    private final double[] blockSums;
    private long steps;

    Parameter(ParameterGroup group, int index, MemorySegment value, MemorySegment grad, Arena stateArena,
              long chunkLength) {
        this.group = group;
        this.index = index;
        this.value = value;
        this.grad = grad;
        this.elements = value.byteSize() / Float.BYTES;
        this.stateNames = group.algorithm().stateNames();
        this.state = new MemorySegment[stateNames.size()];
        for (int s = 0; s < state.length; s++) {
            state[s] = stateArena.allocate(value.byteSize(), 64);
        }
        this.confined = !value.isAccessibleBy(ANY_OTHER_THREAD) || !grad.isAccessibleBy(ANY_OTHER_THREAD);
        this.stepChunks = chunks(chunkLength);
        this.normBlocks = chunks(GradientNorm.BLOCK);
        this.blockSums = new double[normBlocks.size()];
    }

    private List<Chunk> chunks(long length) {
        List<Chunk> chunks = new ArrayList<>();
        for (long from = 0; from < elements; from += length) {
            chunks.add(new Chunk(this, from, Math.min(elements, from + length), chunks.size()));
        }
        return List.copyOf(chunks);
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

    boolean confined() {
        return confined;
    }

    List<Chunk> stepChunks() {
        return stepChunks;
    }

    List<Chunk> normBlocks() {
        return normBlocks;
    }

    double[] blockSums() {
        return blockSums;
    }

    void stepCount(long steps) {
        this.steps = steps;
    }

    @Override
    public String toString() {
        return label() + " (" + elements + " floats, " + steps + " steps, state " + stateNames + ")";
    }
}
