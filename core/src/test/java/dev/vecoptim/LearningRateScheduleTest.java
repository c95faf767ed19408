package dev.vecoptim;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Schedules against values worked out by hand from PyTorch's closed forms. */
class LearningRateScheduleTest {
    private static final double EXACT = 1e-15;

    @Test
    void constant() {
        assertEquals(0.1, LearningRateSchedule.constant(0.1).lr(0));
        assertEquals(0.1, LearningRateSchedule.constant(0.1).lr(1_000_000));
    }

    @Test
    void stepDecayHalvesEveryThreeSteps() {
        LearningRateSchedule schedule = LearningRateSchedule.stepDecay(0.1, 3, 0.5);
        double[] expected = {0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025};
        for (int t = 0; t < expected.length; t++) {
            assertEquals(expected[t], schedule.lr(t), EXACT, "t = " + t);
        }
    }

    @Test
    void exponential() {
        LearningRateSchedule schedule = LearningRateSchedule.exponential(0.2, 0.9);
        assertEquals(0.2, schedule.lr(0), EXACT);
        assertEquals(0.18, schedule.lr(1), EXACT);
        assertEquals(0.162, schedule.lr(2), EXACT);
        assertEquals(0.2 * Math.pow(0.9, 10), schedule.lr(10), EXACT);
    }

    @Test
    void cosineAnnealingFallsFromLrToEtaMinOverTMax() {
        LearningRateSchedule schedule = LearningRateSchedule.cosineAnnealing(0.1, 4, 0.01);
        // eta_min + (lr − eta_min)(1 + cos(π t / 4)) / 2 with cos(π/4) = √2/2, cos(π/2) = 0, cos(3π/4) = −√2/2.
        assertEquals(0.1, schedule.lr(0), EXACT);
        assertEquals(0.01 + 0.09 * (1 + Math.sqrt(0.5)) / 2, schedule.lr(1), EXACT);
        assertEquals(0.055, schedule.lr(2), EXACT);
        assertEquals(0.01 + 0.09 * (1 - Math.sqrt(0.5)) / 2, schedule.lr(3), EXACT);
        assertEquals(0.01, schedule.lr(4), EXACT);
        assertEquals(schedule.lr(3), schedule.lr(5), EXACT, "PyTorch's closed form rises again after t_max");
    }

    @Test
    void linearWarmupRampsThenHandsOver() {
        LearningRateSchedule schedule = LearningRateSchedule.linearWarmup(4, 0.2,
                LearningRateSchedule.stepDecay(1.0, 2, 0.1));
        // factors 0.2, 0.4, 0.6, 0.8 of then.lr(0) = 1.0; then stepDecay from its own t = 0.
        double[] expected = {0.2, 0.4, 0.6, 0.8, 1.0, 1.0, 0.1, 0.1, 0.01};
        for (int t = 0; t < expected.length; t++) {
            assertEquals(expected[t], schedule.lr(t), 1e-12, "t = " + t);
        }
    }

    @Test
    void invalidSchedulesAreRefused() {
        OptimizerTest.assertMessage(IllegalArgumentException.class, "Invalid learning rate: -0.1",
                () -> LearningRateSchedule.constant(-0.1));
        OptimizerTest.assertMessage(IllegalArgumentException.class, "stepSize must be >= 1, was 0",
                () -> LearningRateSchedule.stepDecay(0.1, 0, 0.5));
        OptimizerTest.assertMessage(IllegalArgumentException.class, "gamma must be positive and finite, was 0.0",
                () -> LearningRateSchedule.exponential(0.1, 0));
        OptimizerTest.assertMessage(IllegalArgumentException.class, "tMax must be >= 1, was -3",
                () -> LearningRateSchedule.cosineAnnealing(0.1, -3, 0));
        OptimizerTest.assertMessage(IllegalArgumentException.class, "startFactor must be in (0, 1], was 0.0",
                () -> LearningRateSchedule.linearWarmup(10, 0, LearningRateSchedule.constant(1)));
        OptimizerTest.assertMessage(IllegalArgumentException.class, "startFactor must be in (0, 1], was 1.5",
                () -> LearningRateSchedule.linearWarmup(10, 1.5, LearningRateSchedule.constant(1)));
        OptimizerTest.assertMessage(IllegalArgumentException.class, "warmupSteps must be >= 1, was 0",
                () -> LearningRateSchedule.linearWarmup(0, 0.5, LearningRateSchedule.constant(1)));
        OptimizerTest.assertMessage(IllegalArgumentException.class, "gamma must be positive and finite, was 0.0",
                () -> LearningRateSchedule.stepDecay(0.1, 3, 0));
        OptimizerTest.assertMessage(IllegalArgumentException.class, "gamma must be positive and finite, was Infinity",
                () -> LearningRateSchedule.exponential(0.1, Double.POSITIVE_INFINITY));
        OptimizerTest.assertMessage(IllegalArgumentException.class, "Invalid learning rate: inf",
                () -> LearningRateSchedule.cosineAnnealing(0.1, 3, Double.POSITIVE_INFINITY));
        OptimizerTest.assertMessage(NullPointerException.class, "then",
                () -> LearningRateSchedule.linearWarmup(3, 0.5, null));
        assertEquals(0.25, LearningRateSchedule.linearWarmup(1, 1, LearningRateSchedule.constant(0.25)).lr(0),
                "a start factor of 1 is no warm-up");
    }

    @Test
    void aGroupsScheduleSetsItsLearningRateBeforeEveryStep() {
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofShared();
             Optimizer optimizer = Optimizer.builder().build()) {
            ParameterGroup group = optimizer.addGroup(Sgd.builder(1.0).build());
            java.lang.foreign.MemorySegment p = arena.allocate(4);
            java.lang.foreign.MemorySegment g = arena.allocateFrom(java.lang.foreign.ValueLayout.JAVA_FLOAT, 1f);
            group.add(p, g);
            group.schedule(LearningRateSchedule.stepDecay(0.5, 1, 0.5));
            optimizer.step();
            optimizer.step();
            // p = −0.5·1 − 0.25·1
            assertEquals(-0.75f, p.get(java.lang.foreign.ValueLayout.JAVA_FLOAT, 0));
            assertEquals(0.25, group.lr());
        }
    }
}
