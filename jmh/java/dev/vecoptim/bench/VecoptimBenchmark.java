package dev.vecoptim.bench;

import dev.vecoptim.VectorWidth;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;

/** One step of vecoptim's public API, at a vector width, on native or heap segments. */
public class VecoptimBenchmark extends OptimizerBenchmark {
    @Param({"128", "256", "512", "preferred"})
    public String width;
    @Param({"native", "heap"})
    public String memory;

    private Workload.Stepper stepper;

    @Override
    void prepare() {
        stepper = workload().stepper(VectorWidth.parse(width));
        allocate(memory.equals("heap"));
    }

    @Override
    void stepOver(BenchmarkBuffers over) {
        stepper.step(over.param, over.grad, over.state, Workload.STEP);
    }

    @Benchmark
    public void step() {
        stepOver(buffers);
    }
}
