package dev.vecoptim.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A parameter's buffers for one benchmark: param, grad, up to three state buffers and the optimizer's scalars
 * (one float or one double each), native (64-byte aligned, as the library recommends) or on the heap over
 * {@code float[]}, filled with values of an optimizer in mid-training: parameters near ±0.1, gradients near ±0.01,
 * state and scalars near 1e-4 (or, for the subnormal case, gradients and state below {@link Float#MIN_NORMAL}).
 */
public final class BenchmarkBuffers {
    public final MemorySegment param;
    public final MemorySegment grad;
    /** The workload's state buffers in {@code Algorithm.stateNames()} order, then its scalars. */
    public final MemorySegment[] state;
    public final float[][] arrays;
    /** Param and the state buffers: the buffers a step writes in full. */
    private final int written;

    /**
     * @param heap over {@code float[]} (kept in {@link #arrays}: param, grad, state, float scalars) instead of native
     *     memory; a double scalar over a {@code double[]}
     * @param subnormal gradients and state in the subnormal range, where some CPUs slow down
     */
    public BenchmarkBuffers(Arena arena, Workload workload, int elements, boolean heap, boolean subnormal) {
        written = workload.writtenBuffers();
        java.util.List<Integer> scalarBytes = workload.scalarBytes();
        int count = 1 + written + scalarBytes.size();
        arrays = heap ? new float[count][] : null;
        MemorySegment[] all = new MemorySegment[count];
        for (int b = 0; b < count; b++) {
            float scale = b == 0 ? 0.1f : b == 1 ? 0.01f : 1e-4f;
            if (b > written && scalarBytes.get(b - written - 1) == Double.BYTES) {
                all[b] = heap ? MemorySegment.ofArray(new double[1]) : skewed(arena, Double.BYTES, b);
                all[b].set(ValueLayout.JAVA_DOUBLE_UNALIGNED, 0, scale);
                continue;
            }
            int length = b <= written ? elements : 1;
            if (heap) {
                arrays[b] = new float[length];
            }
            all[b] = heap ? MemorySegment.ofArray(arrays[b]) : skewed(arena, (long) length * Float.BYTES, b);
            fill(all[b], subnormal && b > 0 ? scale * 1e-37f : scale, b, b > 1);
        }
        param = all[0];
        grad = all[1];
        state = java.util.Arrays.copyOfRange(all, 2, count);
    }

    /**
     * 64-byte aligned memory; from 64 KiB on, buffer {@code b} starts {@code 9·b} cache lines into a page of its
     * own, as the optimizer lays out its own buffers: page-aligned buffers walked side by side alias in the
     * caches (Adam at 16M floats ran at 58 steps/s on such buffers, at 90 on skewed ones, here).
     */
    private static MemorySegment skewed(Arena arena, long bytes, int b) {
        return bytes < 1 << 16 ? arena.allocate(bytes, 64) : arena.allocate(bytes + 4096, 4096).asSlice(b * 576L % 4096, bytes);
    }

    /** Cheap deterministic values in [−scale, scale), or [0, scale) when nonNegative: no RNG on 64M floats. */
    private static void fill(MemorySegment segment, float scale, int seed, boolean nonNegative) {
        long n = segment.byteSize() / Float.BYTES;
        for (long i = 0; i < n; i++) {
            long hash = (i + 1) * 0x9E3779B97F4A7C15L + seed * 0xBF58476D1CE4E5B9L;
            float unit = (hash >>> 40) * 0x1p-24f;
            segment.setAtIndex(ValueLayout.JAVA_FLOAT, i, scale * (nonNegative ? unit : 2 * unit - 1));
        }
    }

    /** This parameter's buffers in the order of {@link Workload#writtenBuffers()}: param, then each state buffer. */
    public MemorySegment written(int index) {
        return index == 0 ? param : state[index - 1];
    }

    /** Written buffer {@code index}, or null past the last: the roofline takes four, used or not. */
    public MemorySegment writtenOrNull(int index) {
        return index < written ? written(index) : null;
    }

    /** A copy in fresh native memory, for checking a benchmark's result against the reference. */
    public BenchmarkBuffers(Arena arena, BenchmarkBuffers source) {
        arrays = null;
        written = source.written;
        param = copy(arena, source.param);
        grad = copy(arena, source.grad);
        state = new MemorySegment[source.state.length];
        for (int s = 0; s < state.length; s++) {
            state[s] = copy(arena, source.state[s]);
        }
    }

    private static MemorySegment copy(Arena arena, MemorySegment source) {
        return arena.allocate(source.byteSize(), 64).copyFrom(source);
    }
}
