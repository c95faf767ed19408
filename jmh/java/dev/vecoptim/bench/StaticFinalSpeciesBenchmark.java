package dev.vecoptim.bench;

import org.openjdk.jmh.annotations.Benchmark;

/**
 * The library's loop hand-written with a hard-coded {@code static final SPECIES_PREFERRED}: what vecoptim at
 * its preferred width must match.
 */
public class StaticFinalSpeciesBenchmark extends OptimizerBenchmark {
    private Workload.Stepper stepper;

    @Override
    void prepare() {
        stepper = workload().staticFinalSpecies();
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
