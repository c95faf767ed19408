package dev.vecoptim.kernel;

import static dev.vecoptim.kernel.Floats.FLOAT;

import java.lang.foreign.MemorySegment;

/**
 * The passes of gradient clipping by norm over {@code [from, to)} of a float32 segment.
 *
 * <p>{@link #sumOfSquares} is defined so that it does not depend on the vector width: each square is exact in
 * double; element {@code from + i} is added, in order, to partial sum {@code i mod 16}; the 16 partial sums
 * are then added in order 0 to 15. Every implementation gives the same bits.
 *
 * <p>{@link #pyTorchSumOfSquares} is PyTorch's float32 sum of squares of a whole tensor, the one inside
 * {@code torch.linalg.vector_norm} (and so {@code clip_grad_norm_}) on its AVX2 kernels, learned from PyTorch
 * 1.13.1 and 2.6 on recorded cases: element {@code from + i} of the first {@code 8·⌊n/8⌋} is added to lane
 * {@code i mod 8} ({@code rn(lane + rn(g·g))}, or {@code fma(g, g, lane)} where PyTorch 1.13's build fused it);
 * the 8 lanes are added in order 0 to 7; then the last {@code n mod 8} elements are added in order, plainly while
 * a whole group of 4 of them remains, and fused for the last {@code n mod 4} (what the compiler made of its tail
 * loop). Every implementation gives the same bits. On a 16-bit gradient PyTorch computes the same float32 sum of
 * its widened elements ({@link Scalar#pyTorchSumOfSquares(MemorySegment, Format, long, long, boolean)}).
 */
public interface NormKernel {

    KernelFamily<NormKernel, NoFlags> FAMILY = KernelFamily.of(NormKernel.class, NormKernel.class, flags -> new Scalar());

    /** Number of partial sums: the elements of one vector of the widest width. */
    int PARTIAL_SUMS = Vectorization.NORM_PARTIAL_SUMS;

    /** Σ g² over the range, in double, in the order above; NaN or +∞ when any g is. */
    double sumOfSquares(MemorySegment grad, long from, long to);

    /** {@code g = rn(g · factor)} over the range. */
    void scale(MemorySegment grad, float factor, long from, long to);

    /** PyTorch's float32 Σ g² over the tensor {@code [from, to)}, as above; {@code laneFma} for PyTorch 1.13's. */
    float pyTorchSumOfSquares(MemorySegment grad, long from, long to, boolean laneFma);

    /** The lanes PyTorch's sum of squares keeps. */
    int PYTORCH_LANES = 8;

    /**
     * {@link #pyTorchSumOfSquares} of two tensors of the same size given in consecutive ranges: adds the squares of
     * {@code [from, to)} of each, a multiple of 8 elements that starts at a multiple of 8 from the tensors' start, to
     * its 8 lanes, PyTorch's; {@link Scalar#pyTorchTotal} adds them up with a tensor's last {@code n mod 8} elements.
     * Two at once because each lane's additions are a chain, which PyTorch's order forbids to split: the two tensors'
     * chains overlap (a layer-wise step of 4K floats at 512 bits: 0.20 ns an element so, 0.32 with one tensor after
     * the other).
     */
    void addPyTorchLanes(MemorySegment x, float[] xLanes, MemorySegment y, float[] yLanes, long from, long to,
                         boolean laneFma);

    /**
     * The scalar reference of {@link NormKernel}, written as its definition: each of the 16 partial sums in a
     * strided pass of its own (no array of sums: a step allocates nothing), then the partial sums in order.
     */
    final class Scalar implements NormKernel {
        @Override
        public double sumOfSquares(MemorySegment grad, long from, long to) {
            double total = 0;
            for (int partial = 0; partial < PARTIAL_SUMS; partial++) {
                double sum = 0;
                for (long i = from + partial; i < to; i += PARTIAL_SUMS) {
                    double g = grad.getAtIndex(FLOAT, i);
                    sum = Math.fma(g, g, sum);
                }
                total += sum;
            }
            return total;
        }

        @Override
        public void scale(MemorySegment grad, float factor, long from, long to) {
            for (long i = from; i < to; i++) {
                grad.setAtIndex(FLOAT, i, grad.getAtIndex(FLOAT, i) * factor);
            }
        }

        /** Each lane in a strided pass of its own, then the lanes in order, then the tail. */
        @Override
        public float pyTorchSumOfSquares(MemorySegment grad, long from, long to, boolean laneFma) {
            return pyTorchSumOfSquares(grad, Format.FLOAT32, from, to, laneFma);
        }

        /** {@link #pyTorchSumOfSquares(MemorySegment, long, long, boolean)} of a gradient of {@code format}, widened. */
        public static float pyTorchSumOfSquares(MemorySegment grad, Format format, long from, long to,
                                                boolean laneFma) {
            long lanesEnd = from + (to - from) / PYTORCH_LANES * PYTORCH_LANES;
            float sum = 0;
            for (int lane = 0; lane < PYTORCH_LANES; lane++) {
                float partial = 0;
                for (long i = from + lane; i < lanesEnd; i += PYTORCH_LANES) {
                    float g = format.load(grad, i);
                    partial = laneFma ? Math.fma(g, g, partial) : partial + g * g;
                }
                sum = lane == 0 ? partial : sum + partial;
            }
            return pyTorchTail(sum, grad, format, lanesEnd, to);
        }

        /**
         * PyTorch 1.13's sum of squares of a float16 tensor ({@code torch.norm}'s), which its kernels compute in float16,
         * in order: {@code sum = rn16(sum + rn16(g · g))} (measured with 1.13.1 on 600 tensors of 1 to 3,001
         * elements, every one equal); {@code sum} the sum of the elements before {@code from}, which {@code grad}
         * holds as {@code format} (float16 values, or float32 ones that float16 holds exactly).
         */
        public static float pyTorch113Float16SumOfSquares(float sum, MemorySegment grad, Format format, long from,
                                                          long to) {
            for (long i = from; i < to; i++) {
                float g = format.load(grad, i);
                sum = Format.FLOAT16.round(sum + Format.FLOAT16.round(g * g));
            }
            return sum;
        }

        /** Adds the squares of {@code [from, to)}, fewer than 8, to {@code sum} as PyTorch's tail loop does. */
        static float pyTorchTail(float sum, MemorySegment grad, Format format, long from, long to) {
            long plainEnd = from + (to - from) / 4 * 4;
            for (long i = from; i < to; i++) {
                float g = format.load(grad, i);
                sum = i < plainEnd ? sum + g * g : Math.fma(g, g, sum);
            }
            return sum;
        }

        @Override
        public void addPyTorchLanes(MemorySegment x, float[] xLanes, MemorySegment y, float[] yLanes, long from,
                                    long to, boolean laneFma) {
            addPyTorchLanes(x, Format.FLOAT32, from, to, xLanes, laneFma);
            addPyTorchLanes(y, Format.FLOAT32, from, to, yLanes, laneFma);
        }

        /**
         * Adds the squares of {@code [from, to)} of one tensor of {@code format}, widened, to its {@code lanes}, as
         * {@link #addPyTorchLanes(MemorySegment, float[], MemorySegment, float[], long, long, boolean)} does: in one
         * pass, element {@code from + i} to lane {@code i mod 8}.
         */
        public static void addPyTorchLanes(MemorySegment grad, Format format, long from, long to, float[] lanes,
                                           boolean laneFma) {
            for (long i = from; i < to; i++) {
                int lane = (int) ((i - from) % PYTORCH_LANES);
                float g = format.load(grad, i);
                lanes[lane] = laneFma ? Math.fma(g, g, lanes[lane]) : lanes[lane] + g * g;
            }
        }

        /**
         * {@code torch.norm} of a tensor of {@code dtype} whose squares {@code lanes} hold ({@link #addPyTorchLanes}),
         * its last {@code [lanesEnd, to)} still in {@code tensor} as {@code storage}: the square root of their total,
         * rounded to the dtype; with {@code float16Sequential} (PyTorch 1.13 on float16), lane 0 holds the whole
         * sum ({@link #pyTorch113Float16SumOfSquares}).
         */
        public static float pyTorchNorm(float[] lanes, MemorySegment tensor, Format storage, long lanesEnd, long to,
                                        Format dtype, boolean float16Sequential) {
            float sumOfSquares = float16Sequential ? lanes[0] : pyTorchTotal(lanes, tensor, storage, lanesEnd, to);
            return dtype.round((float) Math.sqrt(sumOfSquares));
        }

        /** The sum of PyTorch's {@code lanes} in order, then the squares of its tail {@code [from, to)}, fewer than 8. */
        public static float pyTorchTotal(float[] lanes, MemorySegment grad, Format format, long from, long to) {
            float sum = lanes[0];
            for (int lane = 1; lane < PYTORCH_LANES; lane++) {
                sum += lanes[lane];
            }
            return pyTorchTail(sum, grad, format, from, to);
        }

        /** {@code g = rn(g · factor)} over the range of a gradient of {@code format}, in float32, rounded to it. */
        public static void scale(MemorySegment grad, Format format, float factor, long from, long to) {
            for (long i = from; i < to; i++) {
                format.store(grad, i, format.load(grad, i) * factor);
            }
        }
    }
}
