package dev.vecoptim.bench;

import dev.vecoptim.VectorWidth;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;

/** One step of vecoptim's public API, at a vector width, on native or heap segments. */
public class VecoptimBenchmark extends OptimizerBenchmark {
    @Param({"128", "256", "512", "preferred"})
    public String width;
    @Param({"native", "heap"})
    public String memory;

    private Workload.Stepper stepper;

    @Setup
    public void setUp() {
        stepper = workload().stepper(VectorWidth.parse(width));
        allocate(memory.equals("heap"));
    }

    @Benchmark
    public void step() {
        stepper.step(buffers.param, buffers.grad, buffers.state, Workload.STEP);
    }
}
