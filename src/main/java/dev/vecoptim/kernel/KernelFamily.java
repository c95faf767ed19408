package dev.vecoptim.kernel;

import java.util.function.Function;

/**
 * What makes the kernels of one family ({@link AdamKernel}, ...): its vector template, a class of this package
 * whose bytes are defined again per (width, flags) by {@link Kernels}, its kernel interface, and its scalar
 * reference.
 *
 * @param template the template's simple class name, e.g. {@code "AdamVector"}
 * @param type the interface its kernels implement
 * @param scalar the scalar reference for some flags, or null for a family that has none (the benchmarks' roofline)
 */
public record KernelFamily<K, F extends Record>(String template, Class<K> type, Function<F, K> scalar) {
}
