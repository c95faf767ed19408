package dev.vecoptim.kernel;

import java.util.function.Function;

/**
 * What makes the kernels of one family: its name, which names its vector template ({@code Adam} for
 * {@code AdamVector}, a class of this package whose bytes {@link Kernels} defines again per width, dtype and
 * flags), the interface its kernels implement, and its scalar reference.
 *
 * @param name the family's name, the simple name of the class declaring it without {@code Kernel}
 * @param type the interface its kernels implement
 * @param scalar the scalar reference for some flags, or null for a family that has none (the benchmarks' roofline)
 */
public record KernelFamily<K, F extends Record>(String name, Class<K> type, Function<F, K> scalar) {
    private static final String DECLARING_SUFFIX = "Kernel";

    /**
     * The family that {@code declaring} ({@code AdamKernel}) declares: named {@code Adam}, its template
     * {@code AdamVector}.
     */
    public static <K, F extends Record> KernelFamily<K, F> of(Class<?> declaring, Class<K> type,
                                                              Function<F, K> scalar) {
        String declaringName = declaring.getSimpleName();
        if (!declaringName.endsWith(DECLARING_SUFFIX) || declaringName.equals(DECLARING_SUFFIX)) {
            throw new IllegalArgumentException("a kernel family is declared by a class named <Name>Kernel, not "
                    + declaringName);
        }
        return new KernelFamily<>(declaringName.substring(0, declaringName.length() - DECLARING_SUFFIX.length()),
                type, scalar);
    }

    /** An optimizer's family of {@link UpdateKernel}s, declared by {@code declaring}, as {@link #of}. */
    // Safe: UpdateKernel<C> is UpdateKernel once erased, and the scalar reference gives UpdateKernel<C>.
    @SuppressWarnings("unchecked")
    public static <C, F extends Record> KernelFamily<UpdateKernel<C>, F> update(Class<?> declaring,
                                                                               Function<F, UpdateKernel<C>> scalar) {
        return of(declaring, (Class<UpdateKernel<C>>) (Class<?>) UpdateKernel.class, scalar);
    }

    /** {@return the simple name of the family's vector template} */
    public String template() {
        return name + "Vector";
    }
}
