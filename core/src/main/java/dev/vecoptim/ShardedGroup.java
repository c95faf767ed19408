package dev.vecoptim;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/**
 * A group of a {@link ShardedOptimizer}: parameters that share hyper-parameters, laid out one after another in one
 * buffer of values and one of gradients, which every process holds whole, and the state of this process's shard of
 * them. Hyper-parameters and schedules are set as on a {@link ParameterGroup}, the same on every process.
 */
public final class ShardedGroup {
    private final int index;
    private final int rank;
    private final ParameterGroup shard;
    private final Parameter ownShard;
    private final Shards shards;
    private final Dtype dtype;
    private final long[] sizes;
    private final MemorySegment values;
    private final MemorySegment grads;
    private final List<MemorySegment> parameterValues;
    private final List<MemorySegment> parameterGrads;

    ShardedGroup(int index, ParameterGroup shard, Shards shards, int rank, Dtype dtype, long[] sizes,
                 Arena arena) {
        this.index = index;
        this.rank = rank;
        this.shard = shard;
        this.shards = shards;
        this.dtype = dtype;
        this.sizes = sizes;
        int elementBytes = dtype.bytes();
        values = arena.allocate(shards.elements() * elementBytes, 64);
        grads = arena.allocate(shards.elements() * elementBytes, 64);
        long from = shards.start(rank) * elementBytes;
        long bytes = (long) shards.count(rank) * elementBytes;
        ownShard = shard.add(dtype, values.asSlice(from, bytes), grads.asSlice(from, bytes));
        List<MemorySegment> valueSlices = new ArrayList<>(sizes.length);
        List<MemorySegment> gradSlices = new ArrayList<>(sizes.length);
        long offset = 0;
        for (long size : sizes) {
            valueSlices.add(values.asSlice(offset * elementBytes, size * elementBytes));
            gradSlices.add(grads.asSlice(offset * elementBytes, size * elementBytes));
            offset += size;
        }
        parameterValues = Collections.unmodifiableList(valueSlices);
        parameterGrads = Collections.unmodifiableList(gradSlices);
    }

    /** {@return its position among the optimizer's groups, from 0} */
    public int index() {
        return index;
    }

    /** {@return what its values and gradients hold} */
    public Dtype dtype() {
        return dtype;
    }

    /**
     * {@return each parameter's values, in the order of the sizes the group was added with: slices of one buffer,
     * which every step leaves the same on every process}
     */
    public List<MemorySegment> values() {
        return parameterValues;
    }

    /**
     * {@return each parameter's gradient, as {@link #values()}: fill them before a step; after it, this process's
     * shard holds the averaged gradients (every shard does at ZeRO stage 1)}
     */
    public List<MemorySegment> grads() {
        return parameterGrads;
    }

    /** {@return where this process's shard starts in the group's buffers, in elements from the first parameter's} */
    public long shardStart() {
        return shards.start(rank);
    }

    /** {@return how many elements this process's shard holds, and so how many each of its state buffers holds} */
    public long shardElements() {
        return ownShard.elementCount();
    }

    /**
     * This process's shard of a state buffer, by PyTorch's name ({@code exp_avg}, ...): element {@code i} belongs to
     * float {@link #shardStart()} + {@code i} of the group.
     *
     * @param name a state buffer of the group's optimizer
     * @return its shard
     * @throws IllegalArgumentException if the optimizer keeps no such buffer
     */
    public MemorySegment state(String name) {
        return ownShard.state(name);
    }

    /** {@return the hyper-parameters the next step uses, with the current learning rate} */
    public Algorithm hyperParameters() {
        return shard.hyperParameters();
    }

    /**
     * Replaces the hyper-parameters from the next step on, as {@link ParameterGroup#hyperParameters(Algorithm)}.
     *
     * @param replacement the same optimizer with the same flags, other numbers
     * @throws IllegalArgumentException if they are of another optimizer, or keep other state buffers
     */
    public void hyperParameters(Algorithm replacement) {
        shard.hyperParameters(replacement);
    }

    /** {@return the learning rate of the next step} */
    public double lr() {
        return shard.lr();
    }

    /**
     * Sets the learning rate from the next step on (a schedule, if any, overrides it at every step).
     *
     * @param lr the learning rate, ≥ 0
     * @throws IllegalArgumentException if it is negative, NaN or infinite
     */
    public void lr(double lr) {
        shard.lr(lr);
    }

    /**
     * Sets the learning rate before every step to {@code schedule.lr(steps completed)}; null removes it.
     *
     * @param schedule the learning rate as a function of the optimizer's completed steps
     */
    public void schedule(LearningRateSchedule schedule) {
        shard.schedule(schedule);
    }

    /** {@return the group's learning-rate schedule, if one was set} */
    public Optional<LearningRateSchedule> schedule() {
        return shard.schedule();
    }

    /** {@return the group as messages name it: its position, dtype and parameters' sizes} */
    @Override
    public String toString() {
        return "group " + index + " of " + dtype + " parameters " + sizes();
    }

    ParameterGroup shard() {
        return shard;
    }

    Shards shards() {
        return shards;
    }

    /** The group's values, all parameters in one segment. */
    MemorySegment valueBuffer() {
        return values;
    }

    /** The group's gradients, all parameters in one segment. */
    MemorySegment gradBuffer() {
        return grads;
    }

    /** This process's shard of the gradients. */
    MemorySegment ownGrads() {
        return ownShard.grad();
    }

    /** {@return the parameters' sizes, as the group was added with them} */
    String sizes() {
        return java.util.Arrays.toString(sizes);
    }

    long[] sizeArray() {
        return sizes.clone();
    }

    /** This process's shard as a parameter of the optimizer that steps it. */
    Parameter ownShard() {
        return ownShard;
    }
}
