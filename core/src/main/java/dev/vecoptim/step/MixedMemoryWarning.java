package dev.vecoptim.step;

import dev.vecoptim.kernel.Vectorization;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Warns, once per JVM, when parameters of both kinds have been registered: memory confined to a thread and
 * memory with no owner (shared, automatic, global, heap). The optimizer keeps the state of each parameter in
 * memory of its kind ({@link OwnerThreadMemory}), which keeps steps over confined memory at full speed; but once
 * confined memory has been accessed in the JVM, C2 compiles loops over memory with no owner into code that traps
 * about a hundred times before it settles (measured: 2,290 steps/s of 16 AdamW parameters of 64K floats in shared
 * memory, 330 after a model in confined memory had been stepped). HotSpot's
 * {@code -XX:-UseProfiledLoopPredicate} prevents it, at no cost measured on the kernels.
 */
public final class MixedMemoryWarning {
    private static final System.Logger LOG = System.getLogger("dev.vecoptim");
    private static final AtomicBoolean CONFINED = new AtomicBoolean();
    private static final AtomicBoolean OWNERLESS = new AtomicBoolean();
    private static final AtomicBoolean WARNED = new AtomicBoolean();

    private MixedMemoryWarning() {
    }

    /** Notes that {@code label}, a parameter in memory of the kind {@code confined} says, was registered. */
    public static void registered(String label, boolean confined) {
        (confined ? CONFINED : OWNERLESS).set(true);
        if (CONFINED.get() && OWNERLESS.get() && !WARNED.getAndSet(true) && Vectorization.profiledLoopPredication()) {
            LOG.log(System.Logger.Level.WARNING, label + " is in memory " + (confined ? "confined to a thread" : "of no"
                    + " owner thread") + ", and other parameters in this JVM in memory " + (confined ? "of no owner"
                    + " thread" : "confined to a thread") + ": C2 may then recompile the steps over memory of no owner"
                    + " again and again (about 100 times, up to half a minute, 5-100x slower meanwhile). Keep"
                    + " parameters in one kind of arena, or start the JVM with -XX:-UseProfiledLoopPredicate (no cost"
                    + " measured). (Logged once.)");
        }
    }
}
