package dev.vecoptim.kernel;

import static dev.vecoptim.kernel.Floats.FLOAT;

import java.lang.foreign.MemorySegment;

/**
 * The averages of {@code torch.optim.swa_utils.AveragedModel}, on float32 elements {@code [from, to)} of an average
 * {@code a} and the current values {@code c}, in place on {@code a}:
 * <ul>
 * <li>{@link #swa}: {@code a = rn(a + rn(rn(c − a) / n))}, {@code n} the float32 count of averages after this one
 *     ({@code get_swa_avg_fn}'s {@code (current − averaged) / (num_averaged + 1)}, a float32 division);
 * <li>{@link #ema}: {@code a = lerp(a, c, w)}, ATen's lerp with the float32 weight {@code w = 1 − decay}
 *     ({@code get_ema_multi_avg_fn}'s {@code _foreach_lerp_}, {@link Lerp#of}), 2.x's or 1.13's, which round
 *     weights of −0.5 and under otherwise.
 * </ul>
 * Every width gives the scalar reference's bits: each operation is IEEE's, and the lerp's fused forms are the same.
 */
public interface AverageKernel {

    KernelFamily<AverageKernel, NoFlags> FAMILY = KernelFamily.of(AverageKernel.class, AverageKernel.class,
            (NoFlags flags) -> new Scalar());

    /** {@code averaged[i] = rn(a + rn(rn(c − a) / count))} over {@code [from, to)}. */
    void swa(MemorySegment averaged, MemorySegment current, float count, long from, long to);

    /** {@code averaged[i] = lerp(a, c, weight)} over {@code [from, to)}, as PyTorch 2.x or 1.13 rounds it. */
    void ema(MemorySegment averaged, MemorySegment current, float weight, boolean pyTorch113, long from, long to);

    /** The scalar reference: the definitions, element by element. */
    final class Scalar implements AverageKernel {
        @Override
        public void swa(MemorySegment averaged, MemorySegment current, float count, long from, long to) {
            for (long i = from; i < to; i++) {
                float a = averaged.getAtIndex(FLOAT, i);
                averaged.setAtIndex(FLOAT, i, a + (current.getAtIndex(FLOAT, i) - a) / count);
            }
        }

        @Override
        public void ema(MemorySegment averaged, MemorySegment current, float weight, boolean pyTorch113, long from,
                        long to) {
            boolean lowWeight = Lerp.lowWeight(weight, pyTorch113);
            for (long i = from; i < to; i++) {
                averaged.setAtIndex(FLOAT, i, Lerp.of(averaged.getAtIndex(FLOAT, i), current.getAtIndex(FLOAT, i),
                        weight, lowWeight));
            }
        }
    }
}
