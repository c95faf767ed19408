package dev.vecoptim.kernel;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Hands out kernels of any family: the scalar reference ({@code bits = 0}) or a vector kernel of the given
 * width, defined once per (family, width, dtype, flags) and kept. Never refuses a width the machine lacks (tests run
 * them through the Vector API's slow Java path); the public API does, by {@link Vectorization#resolve}.
 */
public final class Kernels {
    private static final Map<KernelKey, Object> VECTOR_KERNELS = new ConcurrentHashMap<>();

    private record KernelKey(String template, int bits, Format dtype, Record flags) {
    }

    private Kernels() {
    }

    /** The float32 kernel of {@code family} with {@code flags}: its scalar reference for {@code bits = 0}, else its vector loop. */
    public static <K, F extends Record> K kernel(KernelFamily<K, F> family, int bits, F flags) {
        return kernel(family, bits, Format.FLOAT32, flags);
    }

    /**
     * The kernel of {@code family} with {@code flags} on buffers of {@code dtype}: its scalar reference for
     * {@code bits = 0}, else its vector loop.
     *
     * @throws IllegalArgumentException for a dtype the family does not run on (the vector loops run on float32 only
     *     so far)
     */
    public static <K, F extends Record> K kernel(KernelFamily<K, F> family, int bits, Format dtype, F flags) {
        if (bits == Vectorization.SCALAR) {
            return family.scalar().apply(flags, dtype);
        }
        if (dtype != Format.FLOAT32) {
            throw new IllegalArgumentException("the vector kernels of " + family.name() + " run on FLOAT32 only, not "
                    + dtype);
        }
        return vector(family, bits, flags);
    }

    /**
     * The float32 vector kernel of width {@code bits} defined from the family's template; made once per
     * (template, width, dtype, flags). The benchmarks define their roofline loop this way, so that it is compiled exactly as the
     * kernels are.
     *
     * @throws IllegalStateException when the vector kernels are off in this JVM
     */
    public static <K, F extends Record> K vector(KernelFamily<K, F> family, int bits, F flags) {
        Vectorization vectorization = Vectorization.thisJvm();
        if (!vectorization.enabled()) {
            throw new IllegalStateException("no " + bits + "-bit kernel: " + vectorization.scalarReason());
        }
        return family.type().cast(VECTOR_KERNELS.computeIfAbsent(
                new KernelKey(family.template(), bits, Format.FLOAT32, flags),
                key -> vectorization.factory().kernel(key.template(), family.type(), key.bits(), key.dtype(),
                        key.flags())));
    }
}
