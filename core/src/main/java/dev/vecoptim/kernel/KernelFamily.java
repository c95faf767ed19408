package dev.vecoptim.kernel;

import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * What makes the kernels of one family: the class declaring it ({@code AdamKernel}, which also holds the family's
 * {@code Flags}, {@code Coefficients} and scalar reference), whose name names its vector template
 * ({@code AdamVector}, a class of this package whose bytes {@link Kernels} defines again per width, dtype and
 * flags), the interface its kernels implement, and its scalar reference.
 *
 * @param declaring the class declaring the family, named {@code <Name>Kernel}
 * @param type the interface its kernels implement
 * @param scalar the scalar reference for some flags and dtype, or null for a family that has none (the benchmarks'
 *     roofline)
 */
public record KernelFamily<K, F extends Record>(Class<?> declaring, Class<K> type, BiFunction<F, Format, K> scalar) {
    private static final String DECLARING_SUFFIX = "Kernel";

    /** Refuses a declaring class that is not named {@code <Name>Kernel}. */
    public KernelFamily {
        String declaringName = declaring.getSimpleName();
        if (!declaringName.endsWith(DECLARING_SUFFIX) || declaringName.equals(DECLARING_SUFFIX)) {
            throw new IllegalArgumentException("a kernel family is declared by a class named <Name>Kernel, not "
                    + declaringName);
        }
    }

    /**
     * The family that {@code declaring} ({@code AdamKernel}) declares: named {@code Adam}, its template
     * {@code AdamVector}; its scalar reference runs on any {@link Format}.
     */
    public static <K, F extends Record> KernelFamily<K, F> of(Class<?> declaring, Class<K> type,
                                                              BiFunction<F, Format, K> scalar) {
        return new KernelFamily<>(declaring, type, scalar);
    }

    /** {@link #of(Class, Class, BiFunction)} for a family whose kernels run on float32 only. */
    public static <K, F extends Record> KernelFamily<K, F> of(Class<?> declaring, Class<K> type,
                                                              Function<F, K> scalar) {
        return new KernelFamily<>(declaring, type, (flags, dtype) -> {
            if (dtype != Format.FLOAT32) {
                throw new IllegalArgumentException(declaring.getSimpleName() + " runs on FLOAT32 only, not " + dtype);
            }
            return scalar.apply(flags);
        });
    }

    /** An optimizer's family of {@link UpdateKernel}s, declared by {@code declaring}, as {@link #of}. */
    public static <C, F extends Record> KernelFamily<UpdateKernel<C>, F> update(Class<?> declaring,
                                                                               BiFunction<F, Format, UpdateKernel<C>> scalar) {
        return of(declaring, updateKernels(), scalar);
    }

    // Safe: UpdateKernel<C> is UpdateKernel once erased, and the scalar reference gives UpdateKernel<C>.
    @SuppressWarnings("unchecked")
    private static <C> Class<UpdateKernel<C>> updateKernels() {
        return (Class<UpdateKernel<C>>) (Class<?>) UpdateKernel.class;
    }

    /** {@return the family's name: its declaring class's without {@code Kernel}} */
    public String name() {
        String declaringName = declaring.getSimpleName();
        return declaringName.substring(0, declaringName.length() - DECLARING_SUFFIX.length());
    }

    /** {@return the simple name of the family's vector template} */
    public String template() {
        return name() + "Vector";
    }
}
