package dev.vecoptim.kernel;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * An update that computes in float32 on buffers stored in other dtypes ({@link Storage}): block by block, it widens
 * the parameter, the gradient and the state buffers into float32 scratch memory of its thread, runs the float32
 * kernel there, and stores the parameter and the state buffers back, each element rounded once to its buffer's dtype,
 * to nearest, ties to even ({@link HalfKernel}). The float32 kernels are element-wise, so every element gets exactly
 * the float32 update of its widened values, rounded once at the store, at every width, block and chunk boundary.
 * With a {@link Master}, the parameter's float32 value is read from and written to the master, and the parameter
 * set from it: the master is the step's last state segment, after the buffers and the per-parameter scalars.
 *
 * <p>Why blocks of scratch, not one loop that converts as it loads and stores: C2 stops inlining into a method once
 * its parse has made 18,000 nodes ({@code NodeCountInliningCutoff}, fixed in a product JVM), and each Vector API call
 * makes 400 to 700 before its intrinsic folds them (rounding a vector to bfloat16 with NaNs handled: 4,100, measured
 * with {@code -XX:+LogCompilation}). A bfloat16 Adam in one loop makes about 55 such calls; past the cutoff the calls
 * left are not inlined, their vectors are boxed, and the loop ran at 3.5 ns an element against float32's 0.19. A
 * conversion loop and a float32 kernel each stay far below the cutoff.
 *
 * @param <C> the float32 kernel's coefficients
 */
public final class WidenedKernel<C> implements UpdateKernel<C> {
    /**
     * Elements per block: four buffers' float32 scratch is 8 KiB, inside any L1 data cache. Smaller blocks let the
     * memory traffic of large tensors overlap the arithmetic better, larger ones cost less per call: bfloat16 Adam
     * at 4M elements ran at 0.69, 0.63, 0.80 and 1.15 ns an element with blocks of 256, 512, 1,024 and 4,096, and
     * at 4K at 0.66, 0.53, 0.49 and 0.54.
     */
    static final int BLOCK = 512;
    /** Each thread's scratch of no owner, and confined to it: of the kind of the memory it widens ({@link ScratchMemory}). */
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(() -> new Scratch(Arena.ofAuto()));
    // Never closed: freed when the JVM exits, at most one a thread.
    private static final ThreadLocal<Scratch> CONFINED_SCRATCH = ThreadLocal.withInitial(
            () -> new Scratch(Arena.ofConfined()));

    private final UpdateKernel<C> floats;
    private final int buffers;
    /** Each buffer's conversions, or null where it is float32 and is copied. */
    private final HalfKernel param;
    private final HalfKernel grad;
    private final HalfKernel state;
    private final Master master;
    private final StochasticRounding stochastic;
    /**
     * Under stochastic rounding, each state buffer's hash key for the step {@link #atStep} named last: written by the
     * thread that prepares a step, before the chunks that read it run.
     */
    private final int[] keys;

    private WidenedKernel(UpdateKernel<C> floats, int bits, Storage storage, int buffers) {
        this.floats = floats;
        this.buffers = buffers;
        this.master = storage.master();
        this.stochastic = storage.stochastic();
        this.keys = new int[buffers];
        this.param = conversions(bits, storage.param());
        this.grad = conversions(bits, storage.grad());
        this.state = conversions(bits, storage.state());
    }

    /**
     * The update {@code floats} computes, on buffers stored as {@code storage} says: {@code floats} itself where
     * that is all float32.
     *
     * @param floats a float32 kernel
     * @param bits the width of the conversions, {@link Vectorization#SCALAR} for the scalar reference's
     * @param buffers how many of the {@code state} segments a step is given are buffers (of the parameter's size);
     *     the one-float segments after them hold per-parameter scalars and are passed as they are, and the last is
     *     the master, if any
     */
    public static <C> UpdateKernel<C> of(UpdateKernel<C> floats, int bits, Storage storage, int buffers) {
        if (storage.equals(Storage.of(Format.FLOAT32))) {
            return floats;
        }
        if (buffers < 0) {
            throw new IllegalArgumentException("a negative number of state buffers: " + buffers);
        }
        return new WidenedKernel<>(floats, bits, storage, buffers);
    }

    private static HalfKernel conversions(int bits, Format dtype) {
        return dtype == Format.FLOAT32 ? null : Kernels.kernel(HalfKernel.FAMILY, bits, new HalfKernel.Flags(dtype));
    }

    /** Makes the coming steps those of step number {@code step}, whose number stochastic rounding hashes. */
    public void atStep(long step) {
        for (int b = 0; stochastic != null && b < buffers; b++) {
            keys[b] = stochastic.key(step, b);
        }
    }

    @Override
    public void step(MemorySegment param, MemorySegment grad, MemorySegment[] state, C coefficients, long from,
                     long to) {
        Scratch scratch = scratch(param);
        MemorySegment floatParam = scratch.block(0);
        MemorySegment masterValue = masterValue(state);
        MemorySegment[] floatState = floatState(scratch, state);
        try {
            for (long start = from; start < to; start += BLOCK) {
                long count = Math.min(BLOCK, to - start);
                widenBlock(param, masterValue, grad, state, scratch, floatState, start, count);
                floats.step(floatParam, scratch.block(1), floatState, coefficients, 0, count);
                narrowParam(floatParam, param, masterValue, start, count);
                for (int b = 0; b < buffers; b++) {
                    if (stochastic != null) {
                        this.state.narrowStochastic(floatState[b], 0, state[b], start, count, keys[b]);
                    } else {
                        narrow(this.state, floatState[b], state[b], start, count);
                    }
                }
            }
        } finally {
            // The scratch must not keep the caller's segments (and their memory) reachable.
            Arrays.fill(floatState, buffers, floatState.length, null);
        }
    }

    /**
     * The float32 kernel's preparation of the parameter (its master, if any), the gradient and the state buffers
     * widened block by block, the blocks in order: the float32 values it would step.
     */
    @Override
    public void prepareParameter(MemorySegment param, MemorySegment grad, MemorySegment[] state, C coefficients,
                                 long from, long to, boolean first, boolean last) {
        Scratch scratch = scratch(param);
        MemorySegment masterValue = masterValue(state);
        MemorySegment[] floatState = floatState(scratch, state);
        try {
            for (long start = from; start < to; start += BLOCK) {
                long count = Math.min(BLOCK, to - start);
                widenBlock(param, masterValue, grad, state, scratch, floatState, start, count);
                floats.prepareParameter(scratch.block(0), scratch.block(1), floatState, coefficients, 0, count,
                        first && start == from, last && start + count == to);
            }
        } finally {
            Arrays.fill(floatState, buffers, floatState.length, null);
        }
    }

    /**
     * This thread's scratch of the kind of {@code param}'s memory: a loop over confined memory and scratch of no owner
     * is compiled again and again (bfloat16 Adam, fused, over confined buffers of 4K: 18 ns an element, against 2.0
     * with confined scratch).
     */
    private static Scratch scratch(MemorySegment param) {
        return (ScratchMemory.confined(param) ? CONFINED_SCRATCH : SCRATCH).get();
    }

    /** The master in a step's state, its last segment, or null without one. */
    private MemorySegment masterValue(MemorySegment[] state) {
        return master == Master.NONE ? null : state[state.length - 1];
    }

    /**
     * This thread's array for the float32 kernel's state: its blocks for the buffers, the per-parameter scalars
     * after them as they are, the master left out.
     */
    private MemorySegment[] floatState(Scratch scratch, MemorySegment[] state) {
        MemorySegment[] floatState = scratch.state(state.length - (master == Master.NONE ? 0 : 1));
        for (int b = 0; b < buffers; b++) {
            floatState[b] = scratch.block(2 + b);
        }
        System.arraycopy(state, buffers, floatState, buffers, floatState.length - buffers);
        return floatState;
    }

    /**
     * Widens a block: the parameter's float32 values (its master's, if any) into block 0, the gradient into block 1,
     * each state buffer into its block of {@code floatState}.
     */
    private void widenBlock(MemorySegment param, MemorySegment masterValue, MemorySegment grad, MemorySegment[] state,
                            Scratch scratch, MemorySegment[] floatState, long start, long count) {
        widenParam(param, masterValue, start, scratch.block(0), count);
        widen(this.grad, grad, start, scratch.block(1), count);
        for (int b = 0; b < buffers; b++) {
            widen(this.state, state[b], start, floatState[b], count);
        }
    }

    private void widenParam(MemorySegment param, MemorySegment masterValue, long index, MemorySegment floats,
                            long count) {
        switch (master) {
            case NONE -> widen(this.param, param, index, floats, count);
            case FLOAT32 -> widen(null, masterValue, index, floats, count);
            case SPLIT -> this.param.join(param, masterValue, index, floats, 0, count);
        }
    }

    private void narrowParam(MemorySegment floats, MemorySegment param, MemorySegment masterValue, long index,
                             long count) {
        switch (master) {
            case NONE -> narrow(this.param, floats, param, index, count);
            case FLOAT32 -> {
                narrow(null, floats, masterValue, index, count);
                narrow(this.param, floats, param, index, count);
            }
            case SPLIT -> this.param.split(floats, 0, param, masterValue, index, count);
        }
    }

    private static void widen(HalfKernel conversions, MemorySegment stored, long index, MemorySegment floats,
                              long count) {
        if (conversions == null) {
            MemorySegment.copy(stored, index * Float.BYTES, floats, 0, count * Float.BYTES);
        } else {
            conversions.widen(stored, index, floats, 0, count);
        }
    }

    private static void narrow(HalfKernel conversions, MemorySegment floats, MemorySegment stored, long index,
                               long count) {
        if (conversions == null) {
            MemorySegment.copy(floats, 0, stored, index * Float.BYTES, count * Float.BYTES);
        } else {
            conversions.narrow(floats, 0, stored, index, count);
        }
    }

    /** A thread's float32 blocks, made on first need and kept while the thread lives. */
    private static final class Scratch {
        private final Arena arena;
        private MemorySegment[] blocks = new MemorySegment[0];
        private MemorySegment[][] stateArrays = new MemorySegment[0][];

        Scratch(Arena arena) {
            this.arena = arena;
        }

        MemorySegment block(int index) {
            if (index >= blocks.length) {
                MemorySegment[] grown = Arrays.copyOf(blocks, index + 1);
                for (int k = blocks.length; k < grown.length; k++) {
                    grown[k] = arena.allocate((long) BLOCK * Float.BYTES, 64);
                }
                blocks = grown;
            }
            return blocks[index];
        }

        /** An array for a step's {@code length} state segments, the same one for every step of this length. */
        MemorySegment[] state(int length) {
            if (length >= stateArrays.length) {
                stateArrays = Arrays.copyOf(stateArrays, length + 1);
            }
            if (stateArrays[length] == null) {
                stateArrays[length] = new MemorySegment[length];
            }
            return stateArrays[length];
        }
    }
}
