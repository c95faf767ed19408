package dev.vecoptim.bench;

import dev.vecoptim.VectorWidth;

/** The scalar reference loop over native segments: vecoptim at {@code VectorWidth.SCALAR}. */
public class ScalarReferenceBenchmark extends StepperBenchmark {
    @Override
    Workload.Stepper stepper() {
        return workload().stepper(VectorWidth.SCALAR);
    }
}
