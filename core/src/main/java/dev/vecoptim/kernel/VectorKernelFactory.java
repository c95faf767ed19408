package dev.vecoptim.kernel;

/**
 * Makes vector kernels. Its only implementation, {@link PanamaKernels}, is loaded by name so that nothing
 * on the scalar path links a {@code jdk.incubator.vector} class.
 */
interface VectorKernelFactory {

    /** The machine's preferred vector size in bits, as C2 will compile it. */
    int preferredBits();

    /**
     * Defines the template class once more, as a hidden class holding the species of {@code bits}, the flags and
     * the dtype, and returns a new instance of it.
     */
    <K> K kernel(String template, Class<K> kernelType, int bits, Format dtype, Record flags);
}
