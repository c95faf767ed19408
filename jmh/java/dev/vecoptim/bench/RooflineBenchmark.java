package dev.vecoptim.bench;

import dev.vecoptim.VectorWidth;
import dev.vecoptim.kernel.Kernels;
import dev.vecoptim.kernel.RooflineKernel;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;

/**
 * The speed of memory: the optimizer's buffers read and written in place, at the same width, with one
 * addition per buffer ({@code RooflineVector}). No optimizer can be faster on the same bytes.
 */
public class RooflineBenchmark extends OptimizerBenchmark {
    @Param({"128", "256", "512", "preferred"})
    public String width;

    private RooflineKernel roofline;

    @Setup
    public void setUp() {
        roofline = Kernels.vector(RooflineKernel.FAMILY, VectorWidth.parse(width).resolveBits(),
                workload().rooflineShape());
        allocate(false);
    }

    @Benchmark
    public void touch() {
        roofline.touch(buffers.grad, buffers.param, buffers.writtenOrNull(1), buffers.writtenOrNull(2),
                buffers.writtenOrNull(3), 0, elements);
    }
}
