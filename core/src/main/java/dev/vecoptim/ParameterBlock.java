package dev.vecoptim;

import dev.vecoptim.step.StateMemory;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Parameters that {@link ParameterGroup#allocate} laid out one after another: the values are one segment,
 * the gradients another, and each state buffer one more, every parameter a slice of each at the same offset.
 * While its parameters have made the same steps and hold the same scalars, and none was removed, the block is
 * stepped as one parameter ({@link #whole()}): one kernel call per chunk however many parameters it holds.
 * Element by element that is the same update, so the bits are those of stepping each parameter alone.
 */
final class ParameterBlock {
    private final List<Parameter> members;
    /** The block as one parameter of the same group: its buffers, and the first member's scalars. */
    private final Parameter whole;
    /** A member was removed: its range belongs to no parameter any more, so the block is never stepped whole. */
    private boolean broken;
    /** Whether the step is planned to update {@link #whole()} rather than each member. */
    private boolean steppedWhole;

    /**
     * Parameters of {@code elements[i]} elements of {@code dtype} each, numbered in their group from {@code firstIndex}, in memory of
     * {@code arena}: values and gradients zero, state as it starts.
     *
     * @throws ArithmeticException if the sizes add up beyond what a segment can hold
     */
    ParameterBlock(ParameterGroup group, int firstIndex, Dtype dtype, long[] elements, StateMemory memory,
                   Arena arena) {
        long total = 0;
        for (long count : elements) {
            total = Math.addExact(total, count);
        }
        MemorySegment values = memory.allocate(Math.multiplyExact(total, dtype.bytes()), 0);
        MemorySegment grads = memory.allocate(total * dtype.bytes(), 1);
        MemorySegment[] buffers = Parameter.newStateBuffers(group.algorithm(), dtype, total, memory);
        List<Parameter> parameters = new ArrayList<>(elements.length);
        long offset = 0;
        for (long count : elements) {
            long from = offset * dtype.bytes();
            long bytes = count * dtype.bytes();
            MemorySegment[] slices = new MemorySegment[buffers.length];
            for (int s = 0; s < buffers.length; s++) {
                int bufferBytes = Parameter.bufferDtype(group.algorithm(), dtype, s).bytes();
                slices[s] = buffers[s].asSlice(offset * bufferBytes, count * bufferBytes);
            }
            parameters.add(new Parameter(group, firstIndex + parameters.size(), dtype, values.asSlice(from, bytes),
                    grads.asSlice(from, bytes), slices, arena, this));
            offset += count;
        }
        members = Collections.unmodifiableList(parameters);
        // The whole steps the first member's scalars (shareScalars copies them to the others).
        int kept = group.algorithm().stateNames().size();
        MemorySegment[] scalars = parameters.isEmpty() ? new MemorySegment[group.algorithm().scalarNames().size()]
                : java.util.Arrays.copyOfRange(parameters.getFirst().stateBuffers(), kept,
                        kept + group.algorithm().scalarNames().size());
        whole = new Parameter(group, -1, dtype, values, grads, Parameter.state(group.algorithm(), buffers, scalars),
                this);
    }

    List<Parameter> members() {
        return members;
    }

    Parameter whole() {
        return whole;
    }

    /**
     * A member was removed: each member is stepped alone from now on. Parted here, not left to the next plan,
     * which asks the block only at its first member, which may be the one removed.
     */
    void breakUp() {
        partFromWhole();
        broken = true;
    }

    /**
     * Ends stepping the block whole, if it was: while it is, only {@link #whole()} counts the steps, and its
     * members read their count from it; now each member keeps its own again.
     */
    void partFromWhole() {
        if (steppedWhole) {
            steppedWhole = false;
            for (Parameter member : members) {
                member.stepCount(whole.stepCount());
            }
        }
    }

    /**
     * After a step of the whole: the first member's scalars, which the whole steps, copied to every other member,
     * so that each member holds what stepping it alone would have given it (optimizers without scalars: nothing).
     */
    void shareScalars() {
        MemorySegment[] stepped = whole.stateBuffers();
        int first = whole.stateNames().size();
        int end = first + whole.scalarNames().size();
        for (int m = 1; first < end && m < members.size(); m++) {
            MemorySegment[] state = members.get(m).stateBuffers();
            for (int s = first; s < end; s++) {
                Algorithm.scalar(state[s], Algorithm.scalar(stepped[s]));
            }
        }
    }

    boolean steppedWhole() {
        return steppedWhole;
    }

    /**
     * Plans the step of this block: {@link #whole()} when stepping it is stepping each member (none removed,
     * every one at the same step count with the same scalars, bit for bit), in which case the whole is given
     * the members' step count; else each member alone.
     *
     * @return whether the whole is stepped
     */
    boolean planWhole() {
        partFromWhole();
        steppedWhole = wholeStandsForMembers();
        return steppedWhole;
    }

    private boolean wholeStandsForMembers() {
        if (broken || members.isEmpty() || !whole.group().algorithm().positionIndependent(whole.dtype())) {
            return false;
        }
        Parameter first = members.getFirst();
        int buffers = first.stateNames().size();
        for (Parameter member : members) {
            if (member.stepCount() != first.stepCount()) {
                return false;
            }
            for (int s = buffers; s < buffers + first.scalarNames().size(); s++) {
                if (Double.doubleToRawLongBits(Algorithm.scalar(member.stateBuffers()[s]))
                        != Double.doubleToRawLongBits(Algorithm.scalar(first.stateBuffers()[s]))) {
                    return false;
                }
            }
        }
        whole.stepCount(first.stepCount());
        return true;
    }
}
