package dev.vecoptim.bench;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Setup;

/** The baseline without vecoptim: a plain Java loop over {@code float[]}, which C2 auto-vectorizes. */
public class PlainArrayLoopBenchmark extends OptimizerBenchmark {
    private PlainArrayLoops.ArrayStepper stepper;

    @Setup
    public void setUp() {
        stepper = workload().plainArrayLoop();
        allocate(true);
    }

    @Benchmark
    public void step() {
        stepper.step(buffers.arrays, Workload.STEP);
    }
}
