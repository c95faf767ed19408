package dev.vecoptim.step;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.vecoptim.kernel.UpdateKernel;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A step update works its coefficients out again exactly when the step number or the learning rate changes. */
class StepUpdateTest {

    @Test
    void theSameStepAtTheSameLearningRateIsWorkedOutOnce() {
        List<String> preparations = new ArrayList<>();
        UpdateKernel<float[]> kernel = (param, grad, state, coefficients, from, to) -> {
        };
        StepUpdate<float[]> update = new StepUpdate<>(new float[1], (lr, step, coefficients) -> {
            preparations.add(lr + "@" + step);
            coefficients[0] = (float) (lr * step);
            return kernel;
        }, 0);
        update.prepare(0.1, 3);
        update.prepare(0.1, 3);
        update.prepare(0.1, 4);
        update.prepare(0.2, 4);
        update.prepare(0.0, 4);
        update.prepare(-0.0, 4);
        update.prepare(-0.0, 4);
        update.prepare(0.1, 3);
        assertEquals(List.of("0.1@3", "0.1@4", "0.2@4", "0.0@4", "-0.0@4", "0.1@3"), preparations);
    }
}
