package dev.vecoptim.kernel;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The {@link ShardSumKernel} on copies and sums of bfloat16 or float16 at a vector width: block by block, every copy's
 * block is widened into float32 scratch memory of its thread (exactly), the float32 kernel sums them there, and each
 * sum is rounded once to the dtype ({@link HalfKernel}). The float32 sums are the scalar reference's, so the bits are
 * too; blocks, as {@link WidenedKernel}'s, keep each loop small enough for C2 to compile whole.
 */
final class WidenedShardSum implements ShardSumKernel {
    /** Elements per block: with 4 copies, 10 KiB of scratch. */
    private static final int BLOCK = 512;
    private static final ThreadLocal<MemorySegment[]> SCRATCH = ThreadLocal.withInitial(
            () -> new MemorySegment[] {MemorySegment.NULL});

    private final ShardSumKernel floats;
    private final HalfKernel conversions;

    WidenedShardSum(ShardSumKernel floats, HalfKernel conversions) {
        this.floats = floats;
        this.conversions = conversions;
    }

    @Override
    public void addInOrder(MemorySegment copies, long stride, int count, float factor, MemorySegment sums, long from,
                           long to) {
        MemorySegment scratch = scratch((count + 1L) * BLOCK * Float.BYTES);
        long sumsAt = (long) count * BLOCK;
        for (long start = from; start < to; start += BLOCK) {
            long elements = Math.min(BLOCK, to - start);
            for (int copy = 0; copy < count; copy++) {
                conversions.widen(copies, copy * stride + start, scratch, (long) copy * BLOCK, elements);
            }
            floats.addInOrder(scratch, BLOCK, count, factor, scratch.asSlice(sumsAt * Float.BYTES), 0, elements);
            conversions.narrow(scratch, sumsAt, sums, start, elements);
        }
    }

    /** This thread's scratch memory, of at least {@code bytes}. */
    private static MemorySegment scratch(long bytes) {
        MemorySegment[] own = SCRATCH.get();
        if (own[0].byteSize() < bytes) {
            own[0] = Arena.ofAuto().allocate(bytes, 64);
        }
        return own[0];
    }
}
