package dev.vecoptim.kernel;

import static dev.vecoptim.kernel.Floats.FLOAT;

import java.lang.foreign.MemorySegment;

/**
 * The sum of a shard's copies from every process, each scaled, in order of rank: element {@code i} of the sums is
 * {@code rn(…rn(rn(c₀[i]·f) + rn(c₁[i]·f))… + rn(cₙ₋₁[i]·f))}, where copy {@code k} starts {@code k · stride} floats
 * into the copies. Each product and sum is IEEE's, rounded once (never fused), so every width gives the same bits;
 * the order is fixed, so the sums do not depend on how MPI would have reduced them.
 */
public interface ShardSumKernel {

    KernelFamily<ShardSumKernel, NoFlags> FAMILY = KernelFamily.of(ShardSumKernel.class, ShardSumKernel.class,
            flags -> new Scalar());

    /**
     * Writes the sums of elements {@code [from, to)} of {@code count ≥ 1} copies, {@code stride} floats apart in
     * {@code copies}, each multiplied by {@code factor}, to the same elements of {@code sums}.
     */
    void addInOrder(MemorySegment copies, long stride, int count, float factor, MemorySegment sums, long from,
                    long to);

    /** The scalar reference: the definition, element by element. */
    final class Scalar implements ShardSumKernel {
        @Override
        public void addInOrder(MemorySegment copies, long stride, int count, float factor, MemorySegment sums,
                               long from, long to) {
            for (long i = from; i < to; i++) {
                float sum = copies.getAtIndex(FLOAT, i) * factor;
                for (int copy = 1; copy < count; copy++) {
                    sum += copies.getAtIndex(FLOAT, copy * stride + i) * factor;
                }
                sums.setAtIndex(FLOAT, i, sum);
            }
        }
    }
}
