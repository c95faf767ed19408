package dev.vecoptim;

import java.util.List;

/**
 * The hyper-parameters of one of vecoptim's optimizers: {@link Sgd}, {@link RmsProp} or {@link Adam}
 * (AdamW included). Immutable; each applies its update to one parameter with its own {@code step} method,
 * and an {@link Optimizer} applies it to every parameter of a {@link ParameterGroup}.
 */
public sealed interface Algorithm permits Sgd, RmsProp, Adam {

    /** PyTorch's class name: {@code SGD}, {@code RMSprop}, {@code Adam} or {@code AdamW}. */
    String name();

    /** The learning rate. */
    double lr();

    /** The same hyper-parameters with another learning rate, validated as {@code build()} does. */
    Algorithm withLr(double lr);

    /**
     * The state buffers this configuration keeps per parameter, by PyTorch's names and in the order the
     * optimizer allocates them, e.g. {@code [exp_avg, exp_avg_sq]} for Adam.
     */
    List<String> stateNames();

    /** The vector width asked for. */
    VectorWidth vectorWidth();

    /** The loop this configuration runs on this JVM. */
    Implementation implementation();
}
