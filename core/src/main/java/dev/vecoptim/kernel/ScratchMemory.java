package dev.vecoptim.kernel;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A thread's scratch memory of the kind of the memory a loop reads beside it: confined to the thread where that is,
 * else of no owner. Every access to a segment checks its owner, and C2 compiles the check from a profile shared by
 * all code: a loop over a confined segment and a segment of no owner traps on the check it hoists, and is compiled
 * again, about a hundred times (a layer-wise preparation over confined buffers of 4K with scratch of no owner: 17 to
 * 36 ns an element, against 2.0 with scratch of the buffers' kind). The confined scratch lives as long as its thread.
 */
public final class ScratchMemory {
    /** A thread that owns no segment: a segment it may access is not confined to one thread. */
    private static final Thread NO_OWNER = new Thread(() -> { });

    private final long bytes;
    private final ThreadLocal<MemorySegment> ofNoOwner;
    private final ThreadLocal<MemorySegment> confined;

    /** Scratch of {@code bytes} bytes a thread, 64-byte aligned, of each kind made on first need. */
    public ScratchMemory(long bytes) {
        this.bytes = bytes;
        this.ofNoOwner = ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(this.bytes, 64));
        // Never closed: freed when the JVM exits, at most one a thread.
        this.confined = ThreadLocal.withInitial(() -> Arena.ofConfined().allocate(this.bytes, 64));
    }

    /** Whether {@code segment} may be accessed only by one thread, its owner. */
    public static boolean confined(MemorySegment segment) {
        return !segment.isAccessibleBy(NO_OWNER);
    }

    /** {@return this thread's scratch, of the kind of {@code beside}: confined to this thread where it is} */
    public MemorySegment beside(MemorySegment beside) {
        return (confined(beside) ? confined : ofNoOwner).get();
    }
}
