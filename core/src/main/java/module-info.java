/**
 * vecoptim: the element-wise optimizers of {@code torch.optim} ({@link dev.vecoptim.Optimizers} lists them) as fused
 * SIMD update loops over float32 parameters in off-heap {@link java.lang.foreign.MemorySegment}s, bit for bit equal
 * to PyTorch's CPU results (2.x's, or 1.13's), and an optimizer object around them.
 *
 * <p>Only {@code dev.vecoptim} is exported. Below it, and never importing it: {@code dev.vecoptim.step} (threads,
 * memory and checks of a step), {@code dev.vecoptim.io} (files), {@code dev.vecoptim.kernel} (the kernels, the
 * only package that touches {@code jdk.incubator.vector}) and {@code dev.vecoptim.mpi} (the processes of a job, over
 * Open MPI's C library, loaded at run time through the FFM API: run with {@code --enable-native-access=dev.vecoptim}). Jackson's streaming core reads and writes the
 * safetensors state dicts' JSON headers.
 */
module dev.vecoptim {
    requires jdk.incubator.vector;
    // HotSpotDiagnosticMXBean: to see whether C2 is on before choosing the SIMD kernels.
    requires jdk.management;
    // JSON for the safetensors header of Optimizer.saveStateDict/loadStateDict, and nothing else.
    requires tools.jackson.core;

    exports dev.vecoptim;
}
