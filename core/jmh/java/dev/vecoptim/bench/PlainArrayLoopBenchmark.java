package dev.vecoptim.bench;

import org.openjdk.jmh.annotations.Benchmark;

/** The baseline without vecoptim: a plain Java loop over {@code float[]}, which C2 auto-vectorizes. */
public class PlainArrayLoopBenchmark extends OptimizerBenchmark {
    private PlainArrayLoops.ArrayStepper stepper;

    @Override
    void prepare() {
        stepper = workload().plainArrayLoop();
        allocate(true);
    }

    @Override
    void stepOver(BenchmarkBuffers over) {
        stepper.step(over.arrays, Workload.STEP);
    }

    @Benchmark
    public void step() {
        stepOver(buffers);
    }
}
