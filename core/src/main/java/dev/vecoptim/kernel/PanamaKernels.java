package dev.vecoptim.kernel;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.constant.ConstantDescs;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Defines vector kernels from their templates ({@code SgdVector}, …): the template's bytes are defined
 * again for each (width, dtype, flags) as a hidden class whose class data is {@code List.of(species, flags,
 * dtype)}.
 * The template reads both into {@code static final} fields, which C2 folds to constants. That gives every
 * width and flag combination the speed of a hand-written {@code static final SPECIES_256} loop (a species
 * in an instance field costs 2× for SGD in L1; flags passed at run time cost up to 2.6× once one call site
 * has seen two combinations) while the loop exists once in the source. A template ends with
 * {@code if (vectorEnd < to) TAIL.step(...)}: whole vectors are the common case, and skipping the empty scalar loop
 * took SGD at 4K floats from 0.95x to 0.99x of a hand-written static final species loop.
 */
final class PanamaKernels implements VectorKernelFactory {
    private final Map<String, byte[]> templateBytes = new ConcurrentHashMap<>();

    @Override
    public int preferredBits() {
        return VectorShape.preferredShape().vectorBitSize();
    }

    @Override
    public <K> K kernel(String template, Class<K> kernelType, int bits, Format dtype, Record flags) {
        return define(templateBytes.computeIfAbsent(template, PanamaKernels::readTemplate), kernelType, bits, dtype,
                flags);
    }

    /**
     * Defines {@code bytes}, a template's class file, as a kernel of width {@code bits} over {@code dtype} with
     * {@code flags}.
     */
    <K> K define(byte[] bytes, Class<K> kernelType, int bits, Format dtype, Record flags) {
        VectorSpecies<Float> species = VectorSpecies.of(float.class, VectorShape.forBitSize(bits));
        try {
            MethodHandles.Lookup kernel = MethodHandles.lookup()
                    .defineHiddenClassWithClassData(bytes, List.of(species, flags, dtype), true);
            return kernelType.cast(
                    kernel.findConstructor(kernel.lookupClass(), MethodType.methodType(void.class)).invoke());
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("cannot define a " + bits + "-bit " + kernelType.getSimpleName(), t);
        }
    }

    /** The species in a template's class data; called from the template's static initializer. */
    @SuppressWarnings("unchecked")
    static VectorSpecies<Float> species(MethodHandles.Lookup template) {
        return classData(template, VectorSpecies.class, 0);
    }

    /** The flags in a template's class data; called from the template's static initializer. */
    static <F extends Record> F flags(MethodHandles.Lookup template, Class<F> type) {
        return classData(template, type, 1);
    }

    private static <T> T classData(MethodHandles.Lookup template, Class<T> type, int index) {
        try {
            T value = MethodHandles.classDataAt(template, ConstantDescs.DEFAULT_NAME, type, index);
            if (value == null) {
                throw new IllegalStateException(template.lookupClass() + " is a template; define it through "
                        + PanamaKernels.class.getSimpleName());
            }
            return value;
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] readTemplate(String template) {
        try (InputStream in = PanamaKernels.class.getResourceAsStream(template + ".class")) {
            if (in == null) {
                throw new IllegalStateException("the kernel template " + template + ".class is missing");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
