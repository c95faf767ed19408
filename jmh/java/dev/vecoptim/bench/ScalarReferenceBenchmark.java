package dev.vecoptim.bench;

import dev.vecoptim.VectorWidth;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Setup;

/** The scalar reference loop over native segments: vecoptim at {@code VectorWidth.SCALAR}. */
public class ScalarReferenceBenchmark extends OptimizerBenchmark {
    private Workload.Stepper stepper;

    @Setup
    public void setUp() {
        stepper = workload().stepper(VectorWidth.SCALAR);
        allocate(false);
    }

    @Benchmark
    public void step() {
        stepper.step(buffers.param, buffers.grad, buffers.state, Workload.STEP);
    }
}
