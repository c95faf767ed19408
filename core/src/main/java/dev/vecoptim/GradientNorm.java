package dev.vecoptim;

import dev.vecoptim.kernel.Format;
import dev.vecoptim.kernel.HalfKernel;
import dev.vecoptim.kernel.Kernels;
import dev.vecoptim.kernel.NoFlags;
import dev.vecoptim.kernel.NormKernel;
import dev.vecoptim.kernel.Vectorization;
import dev.vecoptim.step.Chunk;
import dev.vecoptim.step.ChunkRunner;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The global L2 norm of all gradients, two ways, and clipping by it.
 *
 * <ul>
 * <li>{@link #pyTorchNorm}: {@code torch.nn.utils.clip_grad_norm_}'s own, bit for bit: each parameter's norm is
 *     PyTorch's float32 reduction of its gradient ({@link NormKernel#pyTorchSumOfSquares}, one parameter per
 *     thread), and the total is the same reduction of those norms, in PyTorch's order of parameters (group by
 *     group). What clipping uses.
 * <li>{@link #sumOfSquares}: in double, in an order fixed by the data alone (each parameter cut into blocks of
 *     {@value #BLOCK} floats, block sums added parameter by parameter): a gradient's square never overflows it,
 *     so it tells a non-finite gradient from a large one, which the non-finite policies need. A 16-bit gradient
 *     is widened to float32 ({@value #WIDENED} elements at a time), exactly, and summed so.
 * </ul>
 * On 16-bit gradients PyTorch computes each norm as the same float32 reduction of the widened elements, its square
 * root rounded to the gradient's dtype; the norms are stacked in their dtype when they share one (the total is then
 * of it, and so is the clipping coefficient's arithmetic), in float32 when they do not; each gradient is multiplied
 * by the coefficient in float32 and rounded to its dtype ({@code clip-<version>-<dtype>.bin}, recorded).
 * Threads, thresholds and vector widths change neither.
 */
final class GradientNorm {
    static final long BLOCK = 1 << 16;
    /** Why PyTorch 1.13's clipping of float16 gradients is refused. */
    static final String PYTORCH_113_FLOAT16 = "PyTorch 1.13 clips no float16 gradients as vecoptim can reproduce"
            + " (alone it refuses: \"clamp_max_scalar_cpu\" not implemented for 'Half'; among others it sums their"
            + " squares in float16)";
    /** The float32 scratch a 16-bit gradient is widened into: 2 KiB per thread, inside any L1 data cache. */
    private static final int WIDENED = 512;
    private static final ThreadLocal<MemorySegment> SCRATCH = ThreadLocal.withInitial(
            () -> Arena.ofAuto().allocate((long) WIDENED * Float.BYTES, 64));

    private final NormKernel kernel = Kernels.kernel(NormKernel.FAMILY,
            Vectorization.normBits(VectorWidth.PREFERRED.resolveBits()), new NoFlags());

    /** Every parameter cut into blocks, in registration order; block {@code i}'s sum of squares is sums[i]. */
    private final List<Chunk<Parameter>> blocks = new ArrayList<>();
    private double[] sums = new double[0];
    // What a pass does to a chunk, made once: a lambda that captured the pass's arguments would be an allocation
    // per pass. The arguments are set in these fields before the pass, which the runner publishes to its threads.
    private boolean runLaneFma;
    private boolean runRoundsFactor;
    private float runFactor;
    private final ChunkRunner.Action<Parameter> sumBlock = block -> this.sums[block.index()] = sumOfSquares(
            block.parameter(), block.from(), block.to());
    private final ChunkRunner.Action<Parameter> normOfWhole = whole -> this.stack.norms()[whole.index()] =
            pyTorchNorm(kernel, whole.parameter().grad(), whole.parameter().dtype().format(), runLaneFma);
    private final ChunkRunner.Action<Parameter> scaleChunk = chunk -> scale(kernel, chunk.parameter().grad(),
            chunk.parameter().dtype().format(), runFactor, runRoundsFactor, chunk.from(), chunk.to());

    /** Every parameter, in registration order. */
    private final List<Parameter> parameters = new ArrayList<>();
    /** Every parameter whole, in PyTorch's order (group by group). */
    private final List<Chunk<Parameter>> wholes = new ArrayList<>();
    private boolean wholesOrdered = true;
    /** The norms of the wholes, in their order, stacked as PyTorch stacks them. */
    private NormStack stack = new NormStack(List.of());

    /** Adds a parameter's blocks after the others'. */
    void add(Parameter parameter) {
        blocks.addAll(ChunkRunner.cut(parameter, parameter.elementCount(), parameter.confined(), BLOCK, blocks.size()));
        parameters.add(parameter);
        wholesOrdered = false;
    }

    /** Σ g² over elements [from, to) of a parameter's gradient, in double, in an order fixed by the data alone. */
    private double sumOfSquares(Parameter parameter, long from, long to) {
        return sumOfSquares(kernel, parameter.grad(), parameter.dtype(), from, to);
    }

    /**
     * Σ g² over elements [from, to) of a gradient of {@code dtype}, in double, in an order fixed by the data alone:
     * a 16-bit one widened exactly, {@value #WIDENED} elements at a time. Infinite or NaN exactly when an element is.
     */
    static double sumOfSquares(NormKernel kernel, MemorySegment grad, Dtype dtype, long from, long to) {
        if (dtype == Dtype.FLOAT32) {
            return kernel.sumOfSquares(grad, from, to);
        }
        HalfKernel conversions = Widening.OF[dtype.ordinal()];
        MemorySegment floats = SCRATCH.get();
        double sum = 0;
        for (long start = from; start < to; start += WIDENED) {
            int count = (int) Math.min(WIDENED, to - start);
            conversions.widen(grad, start, floats, 0, count);
            sum += kernel.sumOfSquares(floats, 0, count);
        }
        return sum;
    }

    /** The conversions of each 16-bit dtype, made when the first 16-bit gradient is summed. */
    private static final class Widening {
        static final HalfKernel[] OF = java.util.Arrays.stream(Dtype.values()).map(dtype -> dtype == Dtype.FLOAT32
                ? null : Kernels.kernel(HalfKernel.FAMILY, VectorWidth.PREFERRED.resolveBits(),
                new HalfKernel.Flags(dtype.format()))).toArray(HalfKernel[]::new);
    }

    /** Forgets a parameter's blocks and numbers the others again. */
    void remove(Parameter parameter) {
        List<Chunk<Parameter>> kept = new ArrayList<>();
        for (Chunk<Parameter> block : blocks) {
            if (block.parameter() != parameter) {
                kept.add(new Chunk<>(block.parameter(), block.from(), block.to(), kept.size(), block.confined()));
            }
        }
        blocks.clear();
        blocks.addAll(kept);
        parameters.remove(parameter);
        wholesOrdered = false;
    }

    /**
     * Numbers the parameters as PyTorch does, group by group, each group's in order: once after the parameters
     * changed, not at each registration (a model registers thousands).
     */
    private void orderWholes() {
        if (wholesOrdered) {
            return;
        }
        wholesOrdered = true;
        List<Parameter> ordered = new ArrayList<>(parameters);
        ordered.sort(Comparator.comparingInt((Parameter p) -> p.group().index()).thenComparingInt(Parameter::index));
        wholes.clear();
        for (Parameter parameter : ordered) {
            wholes.add(new Chunk<>(parameter, 0, parameter.elementCount(), wholes.size(), parameter.confined()));
        }
        stack = new NormStack(wholes.stream().map(w -> w.parameter().dtype().format()).toList());
    }

    /** {@return the dtype the total norm and the clipping coefficient are computed in} */
    Format normsFormat() {
        orderWholes();
        return stack.format();
    }

    /** {@return a gradient's norm as PyTorch's {@code vector_norm} gives it, in its dtype} */
    static float pyTorchNorm(NormKernel kernel, MemorySegment grad, Format format, boolean laneFma) {
        long elements = grad.byteSize() / format.bytes();
        float sum = format == Format.FLOAT32
                ? kernel.pyTorchSumOfSquares(grad, 0, elements, laneFma)
                : NormKernel.Scalar.pyTorchSumOfSquares(grad, format, 0, elements, laneFma);
        return format.round((float) Math.sqrt(sum));
    }

    /**
     * {@code g = rn(g · factor)} over elements [from, to) of a gradient of {@code format}, in float32, rounded to it;
     * {@code roundsFactor}: the factor first rounded to a 16-bit gradient's dtype, as PyTorch 1.13's clipping does
     * (measured on recorded mixes), 2.x's and the gradient scaler's do not.
     */
    static void scale(NormKernel kernel, MemorySegment grad, Format format, float factor, boolean roundsFactor,
                      long from, long to) {
        if (format == Format.FLOAT32) {
            kernel.scale(grad, factor, from, to);
        } else {
            NormKernel.Scalar.scale(grad, format, roundsFactor ? format.round(factor) : factor, from, to);
        }
    }

    /**
     * {@code torch.nn.utils.clip_grad_norm_}'s total norm of every gradient, bit for bit: PyTorch 1.13's
     * ({@code laneFma}: its fused lanes, its norms stacked in order) or 2.x's (grouped by dtype), in
     * {@link #normsFormat()}.
     */
    float pyTorchNorm(boolean laneFma, long elements, ChunkRunner<Parameter> runner) {
        orderWholes();
        runLaneFma = laneFma;
        runner.run(wholes, elements, normOfWhole);
        return stack.total(laneFma);
    }

    /** Σ g² over every gradient; each block's sum is kept for {@link #firstNonFinite}. */
    double sumOfSquares(long elements, ChunkRunner<Parameter> runner) {
        if (sums.length != blocks.size()) {
            // Sized here, not at each registration: a model registers thousands of parameters.
            sums = new double[blocks.size()];
        }
        runner.run(blocks, elements, sumBlock);
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
     * PyTorch's clipping coefficient {@code max_norm / (total_norm + 1e-6)}, in its float32 arithmetic: the
     * tensor's {@code __rtruediv__} is {@code reciprocal() * max_norm}, so {@code rn(rn(1 / rn(norm + f(1e-6))) ·
     * f(max_norm))}; clamped to at most 1, NaN staying NaN and an infinite norm giving 0, as PyTorch's do.
     */
    static float clipCoefficient(float norm, double maxNorm) {
        return clipCoefficient(norm, maxNorm, Format.FLOAT32, false);
    }

    /**
     * The same for a total norm of {@code format}, each result rounded to it ({@code rn16}): {@code 1e-6} meets the
     * tensor rounded to its dtype, {@code rn16(rn16(1 / rn16(norm + rn16(1e-6))) · m)}, where {@code m} is
     * {@code f(max_norm)} under PyTorch 2.x and {@code rn16(max_norm)} under 1.13 (measured with both, 20,000 values
     * each).
     */
    static float clipCoefficient(float norm, double maxNorm, Format format, boolean pyTorch113) {
        float reciprocal = format.round(1f / format.round(norm + format.round(1e-6f)));
        float max = pyTorch113 ? format.round((float) maxNorm) : (float) maxNorm;
        float coefficient = format.round(reciprocal * max);
        return coefficient > 1 ? 1 : coefficient;
    }

    /**
     * {@code g = rn(g · factor)} for every gradient; {@code roundsFactor}: the factor first rounded to a 16-bit
     * gradient's dtype, as PyTorch 1.13's clipping does (2.x's and the gradient scaler's do not).
     */
    void scale(List<Chunk<Parameter>> chunks, long elements, float factor, boolean roundsFactor,
               ChunkRunner<Parameter> runner) {
        runFactor = factor;
        runRoundsFactor = roundsFactor;
        runner.run(chunks, elements, scaleChunk);
    }
}
