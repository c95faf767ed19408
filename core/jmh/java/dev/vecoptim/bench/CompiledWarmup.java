package dev.vecoptim.bench;

import java.lang.management.ManagementFactory;

/**
 * Brings a benchmark's body to C2 before JMH measures it: by invocations on small buffers, not by time, so
 * that a step over 16M floats (tens of milliseconds, a handful of calls per warm-up iteration) is measured in
 * compiled code too.
 *
 * <p>Vector code that C2 has not compiled allocates: the interpreter and C1 box every vector, hundreds of
 * kilobytes per call on a few thousand floats. So the body is called until it has been called at least
 * {@link #MIN_CALLS} times and a batch of calls allocates at most {@link #COMPILED_BYTES_PER_CALL} bytes each (what
 * a whole optimizer step allocates besides its kernels); a body that still allocates after {@link #BUDGET_NANOS}
 * is left to the report, which marks such a row INVALID by its bytes per step.
 */
final class CompiledWarmup {
    /** Well past C2's invocation and back-edge thresholds (about 10,000 by default). */
    static final int MIN_CALLS = 20_000;
    static final long COMPILED_BYTES_PER_CALL = 512;
    private static final long BUDGET_NANOS = 60_000_000_000L;
    private static final int BATCH = 1000;
    private static final int SAMPLE = 100;

    private CompiledWarmup() {
    }

    /**
     * Calls {@code body} until it runs compiled, as told above.
     *
     * @return the bytes its last sampled calls allocated each
     */
    static long untilCompiled(Runnable body) {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long deadline = System.nanoTime() + BUDGET_NANOS;
        int calls = 0;
        while (true) {
            for (int i = 0; i < BATCH; i++) {
                body.run();
            }
            long before = threads.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < SAMPLE; i++) {
                body.run();
            }
            long perCall = (threads.getCurrentThreadAllocatedBytes() - before) / SAMPLE;
            calls += BATCH + SAMPLE;
            if (calls >= MIN_CALLS && perCall <= COMPILED_BYTES_PER_CALL || System.nanoTime() > deadline) {
                return perCall;
            }
        }
    }
}
