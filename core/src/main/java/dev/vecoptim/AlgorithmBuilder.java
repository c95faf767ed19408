package dev.vecoptim;

import dev.vecoptim.kernel.StochasticRounding;
import java.util.Objects;

/**
 * What every optimizer's builder takes besides its own hyper-parameters: the vector width, which PyTorch's bits
 * to reproduce, how updates of 16-bit tensors round, the state's dtype and rounding, and master weights. Each
 * optimizer's {@code Builder} extends it; only this package defines builders.
 *
 * @param <B> the optimizer's own builder, which each setter returns
 */
public abstract class AlgorithmBuilder<B extends AlgorithmBuilder<B>> {
    VectorWidth vectorWidth = VectorWidth.PREFERRED;
    Semantics semantics = Semantics.PYTORCH_2;
    boolean fused;
    Dtype stateDtype;
    MasterWeights masterWeights = MasterWeights.NONE;
    /** Null: state rounds to nearest. */
    StochasticRounding stochasticRounding;

    AlgorithmBuilder() {
    }

    /**
     * The vector width to run at; default {@link VectorWidth#PREFERRED}.
     *
     * @param vectorWidth the vector width to run at; default {@link VectorWidth#PREFERRED}
     * @return this builder
     */
    public final B vectorWidth(VectorWidth vectorWidth) {
        this.vectorWidth = Objects.requireNonNull(vectorWidth, "vectorWidth");
        return self();
    }

    /**
     * Which PyTorch's bits to reproduce; default {@link Semantics#PYTORCH_2}.
     *
     * @param semantics which PyTorch's bits to reproduce; default {@link Semantics#PYTORCH_2}
     * @return this builder
     */
    public final B semantics(Semantics semantics) {
        this.semantics = Objects.requireNonNull(semantics, "semantics");
        return self();
    }

    /**
     * Whether updates of bfloat16 and float16 tensors compute in float32 and round each result once, when it is
     * stored, rather than after every operation as PyTorch's default single-tensor step does; default false. See
     * {@link Algorithm#fused()}.
     *
     * @param fused whether to round once
     * @return this builder
     */
    public final B fused(boolean fused) {
        this.fused = fused;
        return self();
    }

    /**
     * The dtype of every parameter's state buffers, in place of the parameter's own (PyTorch's); null, the default,
     * keeps the parameter's. A state dtype other than the parameter's steps it in float32, each stored result rounded
     * once ({@link Algorithm#stateDtype()}).
     *
     * @param stateDtype the state buffers' dtype, or null for the parameter's
     * @return this builder
     */
    public final B stateDtype(Dtype stateDtype) {
        this.stateDtype = stateDtype;
        return self();
    }

    /**
     * Whether to keep a float32 master of each bfloat16 or float16 parameter, and how; default
     * {@link MasterWeights#NONE}. See {@link MasterWeights}.
     *
     * @param masterWeights none, a float32 copy, or a split one (bfloat16 parameters only)
     * @return this builder
     */
    public final B masterWeights(MasterWeights masterWeights) {
        this.masterWeights = Objects.requireNonNull(masterWeights, "masterWeights");
        return self();
    }

    /**
     * Rounds the bfloat16 state buffers stochastically, not to nearest, each time a step stores them: a value rounds
     * up or down with probabilities that make the rounding unbiased, the random bits a hash of {@code seed}, the step
     * number, the buffer, the element's index in its parameter and its value, so that a run is repeated bit for bit
     * from its seed at any width, thread count and chunking (Zamirai et al., "Revisiting BFloat16 Training"). Small
     * updates that rounding to nearest would drop every time, such as {@code (1 − β₂)·g²} added to a large
     * {@code exp_avg_sq}, then count in expectation. Needs {@link #stateDtype(Dtype) stateDtype(Dtype.BFLOAT16)};
     * vecoptim's own update, which PyTorch has not. See {@link Algorithm#stochasticRoundingSeed()}.
     *
     * @param seed the seed of the random bits
     * @return this builder
     */
    public final B stochasticRounding(long seed) {
        this.stochasticRounding = new StochasticRounding(seed);
        return self();
    }

    /**
     * Rounds the state to nearest, ties to even (the default), undoing {@link #stochasticRounding(long)}.
     *
     * @return this builder
     */
    public final B nearestRounding() {
        this.stochasticRounding = null;
        return self();
    }

    /** {@return the call of a builder that rounds state as {@code rounding} does, for messages} */
    static String roundingCall(StochasticRounding rounding) {
        return rounding == null ? ".nearestRounding()" : ".stochasticRounding(" + rounding.seed() + "L)";
    }

    /** Takes every setting of {@code algorithm} that is not a hyper-parameter: what its {@code toBuilder()} keeps. */
    final B settingsOf(Algorithm algorithm) {
        vectorWidth = algorithm.vectorWidth();
        semantics = algorithm.semantics();
        fused = algorithm.fused();
        stateDtype = algorithm.stateDtype();
        masterWeights = algorithm.masterWeights();
        stochasticRounding = algorithm.stochasticRounding();
        return self();
    }

    /**
     * The optimizer these hyper-parameters make.
     *
     * @return the validated hyper-parameters
     * @throws IllegalArgumentException with PyTorch's message for an invalid hyper-parameter, or for a vector
     *     width wider than the machine's
     * @throws IllegalStateException for an explicit vector width when SIMD is unavailable
     */
    public abstract Algorithm build();

    // Safe: only this package's builders extend this class, each as AlgorithmBuilder<itself>.
    @SuppressWarnings("unchecked")
    private B self() {
        return (B) this;
    }
}
