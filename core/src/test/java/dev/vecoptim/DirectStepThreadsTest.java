package dev.vecoptim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * One optimizer configuration stepped directly by two threads at once, at different step numbers: each thread's
 * coefficients are its own, whether it built the configuration or not, so each gets what it gets alone.
 */
class DirectStepThreadsTest {
    private static final int ELEMENTS = 37;
    private static final int STEPS = 200;

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void theBuildingThreadAndAnotherStepTogetherAsEachDoesAlone() throws Exception {
        Adam adam = Adam.builder().lr(1e-2).amsgrad(true).build();
        float[][] alone = {run(adam, 1, null), run(adam, 5_000, null)};
        CyclicBarrier together = new CyclicBarrier(2);
        ExecutorService other = Executors.newSingleThreadExecutor();
        try {
            Future<float[]> others = other.submit(() -> run(adam, 5_000, together));
            float[] builders = run(adam, 1, together);
            assertArrayEquals(alone[0], builders);
            assertArrayEquals(alone[1], others.get(60, TimeUnit.SECONDS));
        } finally {
            other.shutdownNow();
        }
    }

    /** Steps fresh buffers from step {@code first} on, waiting at {@code together} (if any) before each step. */
    private static float[] run(Adam adam, long first, CyclicBarrier together) throws Exception {
        float[] param = new float[ELEMENTS];
        float[] grad = new float[ELEMENTS];
        for (int i = 0; i < ELEMENTS; i++) {
            param[i] = (i - 18) / 7f;
            grad[i] = (float) Math.sin(i + first);
        }
        MemorySegment p = MemorySegment.ofArray(param);
        MemorySegment g = MemorySegment.ofArray(grad);
        MemorySegment[] state = {MemorySegment.ofArray(new float[ELEMENTS]), MemorySegment.ofArray(new float[ELEMENTS]),
                MemorySegment.ofArray(new float[ELEMENTS])};
        for (long step = first; step < first + STEPS; step++) {
            if (together != null) {
                together.await(60, TimeUnit.SECONDS);
            }
            adam.step(step, p, g, state);
            g.setAtIndex(ValueLayout.JAVA_FLOAT, step % ELEMENTS, (float) Math.cos(step));
        }
        return param;
    }
}
