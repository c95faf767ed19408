package dev.vecoptim.bench;

import dev.vecoptim.VectorWidth;
import org.openjdk.jmh.annotations.Benchmark;

/** The scalar reference loop over native segments: vecoptim at {@code VectorWidth.SCALAR}. */
public class ScalarReferenceBenchmark extends OptimizerBenchmark {
    private Workload.Stepper stepper;

    @Override
    void prepare() {
        stepper = workload().stepper(VectorWidth.SCALAR);
        allocate(false);
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
