package dev.vecoptim;

import dev.vecoptim.kernel.Format;
import dev.vecoptim.kernel.NormKernel;
import java.lang.foreign.MemorySegment;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * How {@code torch.nn.utils.clip_grad_norm_} makes one total of the norms of every gradient: it stacks the norms in
 * their dtype when the gradients share one, in float32 when they do not, and takes PyTorch's norm of the stack,
 * rounded to that dtype. PyTorch 1.13 stacks them in the order of the gradients; 2.x groups the gradients by dtype,
 * each group in order, the groups in the order its {@code _group_tensors_by_device_and_dtype} gives, a C++ hash map's
 * ({@link #PYTORCH_2_GROUPS}). The caller writes gradient {@code i}'s norm to {@code norms()[i]}, then asks for the
 * {@link #total}.
 */
final class NormStack {
    /**
     * The order of PyTorch 2.x's groups of CPU gradients by dtype, for each order in which the dtypes first occur
     * among the gradients: a function of that order alone, measured with 2.6 (float32 F, bfloat16 B, float16 H).
     */
    private static final Map<String, String> PYTORCH_2_GROUPS = Map.ofEntries(Map.entry("FB", "BF"),
            Map.entry("BF", "FB"), Map.entry("FH", "HF"), Map.entry("HF", "FH"), Map.entry("BH", "HB"),
            Map.entry("HB", "BH"), Map.entry("FBH", "HBF"), Map.entry("FHB", "HBF"), Map.entry("BFH", "HFB"),
            Map.entry("BHF", "HFB"), Map.entry("HFB", "BFH"), Map.entry("HBF", "FBH"));

    /** The norms of norms: too few for a vector loop to pay, and a heap segment at its call site would slow it. */
    private final NormKernel ofNorms = new NormKernel.Scalar();
    private final Format format;
    private final float[] norms;
    private final MemorySegment normsSegment;
    /** {@code stacked[k] = norms[byDtype[k]]}, PyTorch 2.x's order; null while every gradient is of one dtype. */
    private final int[] byDtype;
    private final float[] stacked;
    private final MemorySegment stackedSegment;

    /** The stack of the norms of gradients of {@code formats}, one per gradient, in PyTorch's order of parameters. */
    NormStack(List<Format> formats) {
        norms = new float[formats.size()];
        normsSegment = MemorySegment.ofArray(norms);
        List<Format> distinct = formats.stream().distinct().toList();
        format = distinct.size() == 1 ? distinct.getFirst() : Format.FLOAT32;
        String firstOccurring = distinct.stream().map(NormStack::letter).collect(Collectors.joining());
        String groups = PYTORCH_2_GROUPS.getOrDefault(firstOccurring, firstOccurring);
        byDtype = distinct.size() <= 1 ? null : IntStream.range(0, formats.size()).boxed()
                .sorted(Comparator.comparingInt(i -> groups.indexOf(letter(formats.get(i)))))
                .mapToInt(Integer::intValue).toArray();
        stacked = new float[formats.size()];
        stackedSegment = MemorySegment.ofArray(stacked);
    }

    private static String letter(Format format) {
        return switch (format) {
            case FLOAT32 -> "F";
            case BFLOAT16 -> "B";
            case FLOAT16 -> "H";
        };
    }

    /** {@return the dtype the total and the clipping coefficient are computed in} */
    Format format() {
        return format;
    }

    /** {@return where gradient {@code i}'s norm is written, in the order of the formats given} */
    float[] norms() {
        return norms;
    }

    /**
     * {@return the total norm of the {@link #norms()}, in {@link #format()}: PyTorch 1.13's ({@code pyTorch113}: its
     * fused lanes, the norms in order) or 2.x's (grouped by dtype)}
     */
    float total(boolean pyTorch113) {
        MemorySegment stack = normsSegment;
        if (!pyTorch113 && byDtype != null) {
            for (int k = 0; k < stacked.length; k++) {
                stacked[k] = norms[byDtype[k]];
            }
            stack = stackedSegment;
        }
        return format.round((float) Math.sqrt(ofNorms.pyTorchSumOfSquares(stack, 0, norms.length, pyTorch113)));
    }
}
