package dev.vecoptim.bench;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Setup;

/**
 * The library's loop hand-written with a hard-coded {@code static final SPECIES_PREFERRED}: what vecoptim at
 * its preferred width must match.
 */
public class StaticFinalSpeciesBenchmark extends OptimizerBenchmark {
    private Workload.Stepper stepper;

    @Setup
    public void setUp() {
        stepper = workload().staticFinalSpecies();
        allocate(false);
    }

    @Benchmark
    public void step() {
        stepper.step(buffers.param, buffers.grad, buffers.state, Workload.STEP);
    }
}
