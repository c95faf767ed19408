package dev.vecoptim;

import dev.vecoptim.kernel.Kernels;
import dev.vecoptim.kernel.NoFlags;
import dev.vecoptim.kernel.NormKernel;
import dev.vecoptim.kernel.Vectorization;
import java.util.ArrayList;
import java.util.List;

/**
 * The global L2 norm of all gradients and clipping by it, as {@code torch.nn.utils.clip_grad_norm_}
 * (norm type 2) but computed in double, in an order fixed by the data alone: each parameter is cut into
 * blocks of {@value #BLOCK} floats, each block's sum of squares is the {@link NormKernel}'s, and the block
 * sums are added parameter by parameter, block by block. Threads, thresholds and vector widths therefore
 * never change the result.
 */
final class GradientNorm {
    static final long BLOCK = 1 << 16;

    private final NormKernel kernel = Kernels.kernel(NormKernel.FAMILY,
            Vectorization.normBits(VectorWidth.PREFERRED.resolveBits()), new NoFlags());

    /** Every parameter cut into blocks, in registration order; block {@code i}'s sum of squares is sums[i]. */
    private final List<Chunk> blocks = new ArrayList<>();
    private double[] sums = new double[0];

    /** Adds a parameter's blocks after the others'. */
    void add(Parameter parameter) {
        blocks.addAll(ChunkRunner.cut(parameter, BLOCK, blocks.size()));
        sums = new double[blocks.size()];
    }

    /** Forgets a parameter's blocks and numbers the others again. */
    void remove(Parameter parameter) {
        List<Chunk> kept = new ArrayList<>();
        for (Chunk block : blocks) {
            if (block.parameter() != parameter) {
                kept.add(new Chunk(block.parameter(), block.from(), block.to(), kept.size(), block.confined()));
            }
        }
        blocks.clear();
        blocks.addAll(kept);
        sums = new double[blocks.size()];
    }

    /** Σ g² over every gradient; each block's sum is kept for {@link #firstNonFinite}. */
    double sumOfSquares(long elements, ChunkRunner runner) {
        runner.run(blocks, elements, block ->
                sums[block.index()] = kernel.sumOfSquares(block.parameter().grad(), block.from(), block.to()));
        double total = 0;
        for (double sum : sums) {
            total += sum;
        }
        return total;
    }

    /** The first parameter, in order, whose gradient is not finite, after {@link #sumOfSquares}; or null. */
    Parameter firstNonFinite() {
        for (int b = 0; b < sums.length; b++) {
            if (!Double.isFinite(sums[b])) {
                return blocks.get(b).parameter();
            }
        }
        return null;
    }

    /**
     * PyTorch's clipping coefficient {@code max_norm / (total_norm + 1e-6)}, clamped to at most 1: NaN stays
     * NaN and an infinite norm gives 0, as PyTorch's do.
     */
    static double clipCoefficient(double norm, double maxNorm) {
        double coefficient = maxNorm / (norm + 1e-6);
        return coefficient > 1 ? 1 : coefficient;
    }

    /** {@code g = rn(g · factor)} for every gradient. */
    void scale(List<Chunk> chunks, long elements, float factor, ChunkRunner runner) {
        runner.run(chunks, elements, chunk -> kernel.scale(chunk.parameter().grad(), factor, chunk.from(), chunk.to()));
    }
}
