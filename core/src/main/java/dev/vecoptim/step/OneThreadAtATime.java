package dev.vecoptim.step;

import java.util.ConcurrentModificationException;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Detects a second thread calling into an optimizer while another is inside it, which would corrupt its
 * state silently: one compare-and-set per call, not a lock. The caller learns at once, the other thread's
 * call goes on undisturbed.
 */
public final class OneThreadAtATime {
    private final AtomicReference<Thread> inside = new AtomicReference<>();
    private volatile String insideCall;

    /**
     * Marks {@code call} as running on this thread until {@link #exit()}.
     *
     * @throws ConcurrentModificationException if another thread is inside
     * @throws IllegalStateException if this thread is inside already: a callback (a schedule) called back in
     */
    public void enter(String call) {
        Thread me = Thread.currentThread();
        Thread other = inside.compareAndExchange(null, me);
        if (other == me) {
            throw new IllegalStateException(call + " was called from inside " + insideCall
                    + " (from a learning-rate schedule?); the optimizer cannot run both at once");
        }
        if (other != null) {
            throw new ConcurrentModificationException(call + " was called on thread " + me.getName() + " while "
                    + insideCall + " runs on thread " + other.getName() + "; an Optimizer is not thread-safe: call it"
                    + " from one thread at a time");
        }
        insideCall = call;
    }

    public void exit() {
        inside.set(null);
    }
}
