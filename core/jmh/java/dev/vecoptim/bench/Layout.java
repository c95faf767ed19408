package dev.vecoptim.bench;

import dev.vecoptim.Algorithm;
import dev.vecoptim.Dtype;
import dev.vecoptim.MasterWeights;
import java.util.Arrays;
import java.util.Locale;
import java.util.function.UnaryOperator;

/**
 * How a benchmarked model keeps its numbers: the dtype of its parameters and gradients, and what its optimizer is
 * built with besides its hyper-parameters (state dtype, master weights, fused). Named in lower case with dashes,
 * e.g. {@code -p layout=bfloat16-split}.
 */
enum Layout {
    FLOAT32(Dtype.FLOAT32, algorithm -> algorithm),
    /** PyTorch's single-tensor step, every operation rounded: the scalar reference. */
    BFLOAT16(Dtype.BFLOAT16, algorithm -> algorithm),
    BFLOAT16_FUSED(Dtype.BFLOAT16, algorithm -> algorithm.withFused(true)),
    FLOAT16_FUSED(Dtype.FLOAT16, algorithm -> algorithm.withFused(true)),
    BFLOAT16_STATE(Dtype.FLOAT32, algorithm -> algorithm.toBuilder().stateDtype(Dtype.BFLOAT16).build()),
    BFLOAT16_MASTER(Dtype.BFLOAT16, algorithm -> algorithm.toBuilder().masterWeights(MasterWeights.FLOAT32).build()),
    BFLOAT16_SPLIT(Dtype.BFLOAT16, algorithm -> algorithm.toBuilder().masterWeights(MasterWeights.SPLIT).build());

    private final Dtype dtype;
    private final UnaryOperator<Algorithm> settings;

    Layout(Dtype dtype, UnaryOperator<Algorithm> settings) {
        this.dtype = dtype;
        this.settings = settings;
    }

    /** {@return the layout {@code name} names} */
    static Layout named(String name) {
        return Arrays.stream(values()).filter(layout -> layout.id().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no layout " + name + "; there are "
                        + Arrays.stream(values()).map(Layout::id).toList()));
    }

    /** {@return its name on the command line} */
    String id() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** {@return the dtype of its parameters and gradients} */
    Dtype dtype() {
        return dtype;
    }

    /** {@return {@code algorithm} with this layout's settings} */
    Algorithm of(Algorithm algorithm) {
        return settings.apply(algorithm);
    }
}
