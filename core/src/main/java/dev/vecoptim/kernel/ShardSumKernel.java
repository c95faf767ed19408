package dev.vecoptim.kernel;

import java.lang.foreign.MemorySegment;

/**
 * The sum of a shard's copies from every process, each scaled, in order of rank: element {@code i} of the sums is
 * {@code rn(…rn(rn(c₀[i]·f) + rn(c₁[i]·f))… + rn(cₙ₋₁[i]·f))}, where copy {@code k} starts {@code k · stride} floats
 * into the copies. Each product and sum is IEEE's, rounded once (never fused), so every width gives the same bits;
 * the order is fixed, so the sums do not depend on how MPI would have reduced them.
 */
public interface ShardSumKernel {

    KernelFamily<ShardSumKernel, NoFlags> FAMILY = KernelFamily.of(ShardSumKernel.class, ShardSumKernel.class,
            (NoFlags flags, Format format) -> new Scalar(format));

    /**
     * {@return the kernel of width {@code bits} ({@link Vectorization#SCALAR} for the scalar reference) on copies and
     * sums of {@code format}: a 16-bit one at a vector width widens blocks of the copies into float32 scratch
     * ({@link WidenedShardSum})}
     */
    static ShardSumKernel of(int bits, Format format) {
        if (format == Format.FLOAT32 || bits == Vectorization.SCALAR) {
            return Kernels.kernel(FAMILY, bits, format, new NoFlags());
        }
        return new WidenedShardSum(Kernels.kernel(FAMILY, bits, new NoFlags()),
                Kernels.kernel(HalfKernel.FAMILY, bits, new HalfKernel.Flags(format)));
    }

    /**
     * Writes the sums of elements {@code [from, to)} of {@code count ≥ 1} copies, {@code stride} floats apart in
     * {@code copies}, each multiplied by {@code factor}, to the same elements of {@code sums}.
     */
    void addInOrder(MemorySegment copies, long stride, int count, float factor, MemorySegment sums, long from,
                    long to);

    /**
     * The scalar reference: the definition, element by element. On copies and sums of bfloat16 or float16, each copy
     * is widened exactly to float32, the products and sums are float32's, and each sum is rounded once to the dtype.
     */
    final class Scalar implements ShardSumKernel {
        private final Format format;

        public Scalar(Format format) {
            this.format = format;
        }

        @Override
        public void addInOrder(MemorySegment copies, long stride, int count, float factor, MemorySegment sums,
                               long from, long to) {
            for (long i = from; i < to; i++) {
                float sum = format.load(copies, i) * factor;
                for (int copy = 1; copy < count; copy++) {
                    sum += format.load(copies, copy * stride + i) * factor;
                }
                format.store(sums, i, sum);
            }
        }
    }
}
