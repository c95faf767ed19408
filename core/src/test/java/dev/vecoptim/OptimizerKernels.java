package dev.vecoptim;

import dev.vecoptim.kernel.KernelFamily;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The kernel families of the registry's optimizers, each with the state its kernels may read: what the kernel
 * tests iterate, derived from {@link TestedOptimizers#ALL} so that they need no list of their own.
 */
public final class OptimizerKernels {
    private OptimizerKernels() {
    }

    /**
     * One family as its optimizers use it.
     *
     * @param family the kernels
     * @param stateBuffers how many state buffers its kernels may read: as many as its optimizers keep at most
     * @param scalarBytes the size of each per-parameter scalar that follows them ({@link Algorithm#scalarBytes()})
     */
    // Tests only: the kernel tests of dev.vecoptim.kernel read it, in the module the tests are patched into.
    @SuppressWarnings("exports")
    public record Layout(KernelFamily<?, ?> family, int stateBuffers, List<Integer> scalarBytes) {
    }

    /** {@return every family the registry's optimizers run (Adam and AdamW share one), in the registry's order} */
    public static List<Layout> layouts() {
        Map<KernelFamily<?, ?>, Layout> layouts = new LinkedHashMap<>();
        for (TestedOptimizers.Kind kind : TestedOptimizers.ALL) {
            Algorithm algorithm = kind.everyBuffer();
            layouts.merge(algorithm.kernelFamily(), new Layout(algorithm.kernelFamily(), algorithm.stateNames().size(),
                    algorithm.scalarBytes()), (a, b) -> a.stateBuffers() >= b.stateBuffers() ? a : b);
        }
        return List.copyOf(layouts.values());
    }
}
