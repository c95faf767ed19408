package dev.vecoptim.bench;

import org.openjdk.jmh.annotations.Benchmark;

/** A benchmark whose body is one step of the {@link Workload.Stepper} its subclass picks. */
public abstract class StepperBenchmark extends OptimizerBenchmark {
    private Workload.Stepper stepper;

    /** {@return the loop to measure, made once per trial} */
    abstract Workload.Stepper stepper();

    /** {@return whether the measured buffers are over {@code float[]} rather than native memory} */
    boolean onHeap() {
        return false;
    }

    @Override
    final void prepare() {
        stepper = stepper();
        allocate(onHeap());
    }

    @Override
    final void stepOver(BenchmarkBuffers over) {
        stepper.step(over.param, over.grad, over.state, Workload.STEP);
    }

    @Benchmark
    public void step() {
        stepOver(buffers);
    }
}
