package dev.vecoptim.bench;

import dev.vecoptim.VectorWidth;
import dev.vecoptim.kernel.Kernels;
import dev.vecoptim.kernel.RooflineKernel;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;

/**
 * The speed of memory: the optimizer's buffers read and written in place, at the same width, with one
 * addition per buffer ({@code RooflineVector}). No optimizer can be faster on the same bytes.
 */
public class RooflineBenchmark extends OptimizerBenchmark {
    @Param({"128", "256", "512", "preferred"})
    public String width;

    private RooflineKernel roofline;

    @Override
    void prepare() {
        roofline = Kernels.vector(RooflineKernel.FAMILY, VectorWidth.parse(width).resolveBits(),
                workload().rooflineShape());
        allocate(false);
    }

    @Override
    void stepOver(BenchmarkBuffers over) {
        roofline.touch(over.grad, over.param, over.writtenOrNull(1), over.writtenOrNull(2), over.writtenOrNull(3),
                over.writtenOrNull(4), 0, over.grad.byteSize() / Float.BYTES);
    }

    @Benchmark
    public void touch() {
        stepOver(buffers);
    }
}
