package dev.vecoptim;

import dev.vecoptim.kernel.HalfKernel;
import dev.vecoptim.kernel.Kernels;
import dev.vecoptim.kernel.NormKernel;
import dev.vecoptim.kernel.ShardSumKernel;
import dev.vecoptim.mpi.Communicator;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * How a {@link ShardedOptimizer} averages a group's gradients over the processes, leaving each process the averages
 * of its own shard: in rank order (each process gathers every process's copy of its shard and sums them,
 * {@link ShardSumKernel}), or in MPI's (the gradients scaled and reduce-scattered; 16-bit ones widened to float32
 * first). Both work a part of each shard at a time, so that their scratch memory (the copies, the widened gradients)
 * holds at most {@code processes · part} elements, about {@value #SCRATCH_ELEMENTS} by default, however large the
 * group: the part changes how many collectives a step calls, never a bit of the averages.
 */
final class GradientAverage {
    /** The elements of scratch memory a default part is cut for: 16 MiB of float32 copies. */
    static final int SCRATCH_ELEMENTS = 1 << 22;
    /** The smallest default part: below it, a collective's latency would outweigh what it moves. */
    private static final int SMALLEST_PART = 1 << 16;

    private final Communicator communicator;
    private final boolean inRankOrder;
    private final int part;
    private final int bits;
    private final NormKernel norm;
    /** The kernels that sum the copies of a shard, by {@link Dtype#ordinal()}: made for a dtype's first group. */
    private final ShardSumKernel[] sums = new ShardSumKernel[Dtype.values().length];
    /** The conversions of each 16-bit dtype, by {@link Dtype#ordinal()}, when summing in MPI's order. */
    private final HalfKernel[] conversions = new HalfKernel[Dtype.values().length];
    /** Every process's copy of a part of this process's shard, when summing in rank order. */
    private MemorySegment copies = MemorySegment.NULL;
    /** A part of every shard of a 16-bit group's gradients widened to float32, when summing in MPI's order. */
    private MemorySegment widened = MemorySegment.NULL;

    /**
     * @param part the most elements of each shard averaged at a time, a positive multiple of {@code alignment}, or 0
     *     for {@link #defaultPart}
     */
    GradientAverage(Communicator communicator, boolean inRankOrder, int part, int alignment, int bits,
                    NormKernel norm) {
        this.communicator = communicator;
        this.inRankOrder = inRankOrder;
        this.part = part > 0 ? part : defaultPart(communicator.size(), alignment);
        this.bits = bits;
        this.norm = norm;
    }

    /**
     * {@return the part of {@value #SCRATCH_ELEMENTS} elements of scratch shared among {@code processes}, a multiple
     * of {@code alignment}, at least {@value #SMALLEST_PART}}
     */
    static int defaultPart(int processes, int alignment) {
        return Math.max(SMALLEST_PART, SCRATCH_ELEMENTS / processes / alignment * alignment);
    }

    /** A group was added: its scratch memory must fit. */
    void groupAdded(ShardedGroup group, Arena arena) {
        Dtype dtype = group.dtype();
        int size = communicator.size();
        long partElements = Math.min(part, group.shards().largest());
        if (inRankOrder) {
            copies = atLeast(copies, size * partElements * dtype.bytes(), arena);
            if (sums[dtype.ordinal()] == null) {
                sums[dtype.ordinal()] = ShardSumKernel.of(bits, dtype.format());
            }
        } else if (dtype != Dtype.FLOAT32) {
            widened = atLeast(widened, size * partElements * Float.BYTES, arena);
            if (conversions[dtype.ordinal()] == null) {
                conversions[dtype.ordinal()] = Kernels.kernel(HalfKernel.FAMILY, bits, new HalfKernel.Flags(
                        dtype.format()));
            }
        }
    }

    private static MemorySegment atLeast(MemorySegment scratch, long bytes, Arena arena) {
        return scratch.byteSize() >= bytes ? scratch : arena.allocate(bytes, 64);
    }

    /** Replaces this process's shard of the group's gradients by their average over every process. */
    void average(ShardedGroup group) {
        int size = communicator.size();
        if (size == 1) {
            return;
        }
        float factor = 1f / size;
        if (!inRankOrder && group.dtype() == Dtype.FLOAT32) {
            norm.scale(group.gradBuffer(), factor, 0, group.shards().elements());
            communicator.reduceScatterSum(group.gradBuffer(), group.shards().counts());
            return;
        }
        int[] counts = group.shards().counts();
        int rank = communicator.rank();
        int[] pieces = new int[size];
        for (int from = 0; from < group.shards().largest(); from += part) {
            for (int p = 0; p < size; p++) {
                pieces[p] = Math.min(part, Math.max(0, counts[p] - from));
            }
            if (inRankOrder) {
                sumCopies(group, counts, from, pieces[rank], factor);
            } else {
                reduceWidened(group, from, pieces, factor);
            }
        }
    }

    /** Gathers every process's copy of elements [from, from + piece) of this shard, and sums them in rank order. */
    private void sumCopies(ShardedGroup group, int[] counts, int from, int piece, float factor) {
        int elementBytes = group.dtype().bytes();
        int size = communicator.size();
        MemorySegment pieceCopies = copies.asSlice(0, (long) size * piece * elementBytes);
        communicator.gatherOwnShard(group.gradBuffer(), counts, from, part, pieceCopies, elementBytes);
        if (piece > 0) {
            sums[group.dtype().ordinal()].addInOrder(pieceCopies, piece, size, factor, group.ownGrads()
                    .asSlice((long) from * elementBytes, (long) piece * elementBytes), 0, piece);
        }
    }

    /**
     * Widens elements [from, from + pieces[p]) of every shard p of a 16-bit group's gradients into float32, one piece
     * after the other, scales and reduce-scatters them, and rounds this process's piece of the sums once to the dtype.
     */
    private void reduceWidened(ShardedGroup group, int from, int[] pieces, float factor) {
        HalfKernel conversions = this.conversions[group.dtype().ordinal()];
        long packed = 0;
        long own = 0;
        for (int p = 0; p < pieces.length; p++) {
            if (p == communicator.rank()) {
                own = packed;
            }
            if (pieces[p] > 0) {
                conversions.widen(group.gradBuffer(), group.shards().start(p) + from, widened, packed, pieces[p]);
                packed += pieces[p];
            }
        }
        MemorySegment floats = widened.asSlice(0, packed * Float.BYTES);
        norm.scale(floats, factor, 0, packed);
        communicator.reduceScatterSum(floats, pieces);
        conversions.narrow(floats, own, group.gradBuffer(), group.shardStart() + from, pieces[communicator.rank()]);
    }
}
