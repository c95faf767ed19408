/**
 * vecoptim: fused SIMD update loops of SGD (momentum, Nesterov), RMSProp and Adam (AdamW, AMSGrad) over
 * float32 parameters in off-heap {@link java.lang.foreign.MemorySegment}s, bit for bit equal to
 * PyTorch's CPU results (2.x's, or 1.13's).
 *
 * <p>Only {@code dev.vecoptim} is exported; the kernels live in a package of their own, the only one that
 * touches {@code jdk.incubator.vector}.
 */
module dev.vecoptim {
    requires jdk.incubator.vector;
    // HotSpotDiagnosticMXBean: to see whether C2 is on before choosing the SIMD kernels.
    requires jdk.management;
    // Optional: JSON for the safetensors header of Optimizer.saveStateDict/loadStateDict, and nothing else.
    requires static tools.jackson.core;

    exports dev.vecoptim;
}
