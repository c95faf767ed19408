package dev.vecoptim.bench;

import dev.vecoptim.VectorWidth;
import org.openjdk.jmh.annotations.Param;

/** One step of vecoptim's public API, at a vector width, on native or heap segments. */
public class VecoptimBenchmark extends StepperBenchmark {
    @Param({"128", "256", "512", "preferred"})
    public String width;
    @Param({"native", "heap"})
    public String memory;

    @Override
    Workload.Stepper stepper() {
        return workload().stepper(VectorWidth.parse(width));
    }

    @Override
    boolean onHeap() {
        return memory.equals("heap");
    }
}
