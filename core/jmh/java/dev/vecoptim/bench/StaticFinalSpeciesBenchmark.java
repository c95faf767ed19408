package dev.vecoptim.bench;

/**
 * The library's loop hand-written with a hard-coded {@code static final SPECIES_PREFERRED}: what vecoptim at
 * its preferred width must match.
 */
public class StaticFinalSpeciesBenchmark extends StepperBenchmark {
    @Override
    Workload.Stepper stepper() {
        return workload().staticFinalSpecies();
    }
}
