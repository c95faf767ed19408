package dev.vecoptim.kernel;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;

/**
 * A parameter's buffers for kernel tests: param, grad and state, each {@code length} floats, sliced at
 * {@code byteOffset} from a 64-byte aligned base so that tests reach every misalignment; and {@link #SCALARS}
 * floats and as many doubles for the per-parameter scalars of the public API's optimizers (NAdam's float
 * {@code mu_product}, Schedule-Free's double {@code weight_sum}, ...).
 */
public record Buffers(MemorySegment param, MemorySegment grad, MemorySegment[] state, MemorySegment scalars) {
    /** As many scalars as any optimizer keeps, and more. */
    public static final int SCALARS = 4;

    /** Scalar number {@code index} of {@code bytes} bytes: a segment of one float, or of one double. */
    public MemorySegment scalar(int index, int bytes) {
        return bytes == Float.BYTES ? scalars.asSlice((long) index * Float.BYTES, Float.BYTES)
                : scalars.asSlice((long) SCALARS * Float.BYTES + (long) index * Double.BYTES, Double.BYTES);
    }

    public MemorySegment state(int index) {
        return state[index];
    }

    /** Native buffers filled from {@code seed}: the same seed gives the same values. */
    public static Buffers nativeFilled(Arena arena, int length, int stateCount, int byteOffset, long seed) {
        Buffers buffers = allocate(stateCount, () -> arena.allocate(length * 4L + byteOffset, 64)
                .asSlice(byteOffset, length * 4L));
        buffers.fill(seed);
        return buffers;
    }

    /** Heap buffers (over float[]) filled from {@code seed}, sliced at a whole number of floats. */
    public static Buffers heapFilled(int length, int stateCount, int floatOffset, long seed) {
        Buffers buffers = allocate(stateCount, () -> MemorySegment.ofArray(new float[length + floatOffset])
                .asSlice(floatOffset * 4L, length * 4L));
        buffers.fill(seed);
        return buffers;
    }

    private static Buffers allocate(int stateCount, java.util.function.Supplier<MemorySegment> segment) {
        MemorySegment[] state = new MemorySegment[stateCount];
        for (int i = 0; i < stateCount; i++) {
            state[i] = segment.get();
        }
        return new Buffers(segment.get(), segment.get(), state,
                MemorySegment.ofArray(new byte[SCALARS * (Float.BYTES + Double.BYTES)]));
    }

    private void fill(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        TestFloats.fill(param, random, 12);
        TestFloats.fill(grad, random, 8);
        for (MemorySegment s : state) {
            TestFloats.fill(s, random, 12);
        }
        for (int s = 0; s < SCALARS; s++) {
            scalar(s, Float.BYTES).set(TestFloats.FLOAT, 0, TestFloats.coefficient(random));
            scalar(s, Double.BYTES).set(java.lang.foreign.ValueLayout.JAVA_DOUBLE_UNALIGNED, 0,
                    TestFloats.coefficient(random));
        }
    }

    /** Zeroes the state buffers, as PyTorch creates them. */
    public Buffers zeroState() {
        for (MemorySegment s : state) {
            s.fill((byte) 0);
        }
        return this;
    }

    /** Negates every gradient element (flips its sign bit, NaN included). */
    public Buffers negateGrad() {
        for (long i = 0; i < grad.byteSize() / Float.BYTES; i++) {
            grad.setAtIndex(TestFloats.FLOAT, i, -grad.getAtIndex(TestFloats.FLOAT, i));
        }
        return this;
    }

    /** Makes param and grad finite and at most {@code limit} in magnitude (NaN becomes 0). */
    public Buffers finiteInputs(float limit) {
        for (MemorySegment segment : new MemorySegment[] {param, grad}) {
            for (long i = 0; i < segment.byteSize() / Float.BYTES; i++) {
                float x = segment.getAtIndex(TestFloats.FLOAT, i);
                segment.setAtIndex(TestFloats.FLOAT, i, Float.isNaN(x) ? 0 : Math.clamp(x, -limit, limit));
            }
        }
        return this;
    }

    /** A copy in fresh native memory at the same misalignment. */
    public Buffers copy(Arena arena) {
        MemorySegment[] stateCopy = new MemorySegment[state.length];
        for (int i = 0; i < state.length; i++) {
            stateCopy[i] = copy(arena, state[i]);
        }
        return new Buffers(copy(arena, param), copy(arena, grad), stateCopy, copy(arena, scalars));
    }

    private static MemorySegment copy(Arena arena, MemorySegment source) {
        long misalignment = source.isNative() ? source.address() % 64 : 0;
        MemorySegment target = arena.allocate(source.byteSize() + misalignment, 64)
                .asSlice(misalignment, source.byteSize());
        return target.copyFrom(source);
    }

    /** Whether every buffer holds the same bits as {@code other}'s (any NaN equal to any NaN). */
    public boolean sameBits(Buffers other) {
        if (!TestFloats.sameBits(param, other.param) || !TestFloats.sameBits(grad, other.grad)
                || !TestFloats.sameBits(scalars, other.scalars)) {
            return false;
        }
        for (int i = 0; i < state.length; i++) {
            if (!TestFloats.sameBits(state[i], other.state[i])) {
                return false;
            }
        }
        return true;
    }

    public void assertSameBits(String what, Buffers expected) {
        TestFloats.assertSameBits(what + " param", expected.param, param);
        TestFloats.assertSameBits(what + " grad", expected.grad, grad);
        TestFloats.assertSameBits(what + " scalars", expected.scalars, scalars);
        for (int i = 0; i < state.length; i++) {
            TestFloats.assertSameBits(what + " state " + i, expected.state[i], state[i]);
        }
    }
}
