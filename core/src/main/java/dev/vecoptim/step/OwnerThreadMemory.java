package dev.vecoptim.step;

import dev.vecoptim.kernel.ScratchMemory;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The state of parameters whose memory is confined to one thread, kept in an arena confined to the same thread,
 * so that a step's loop reads and writes memory of one kind.
 *
 * <p>Why: every access to a segment checks its owner ({@code owner != null && owner != currentThread}), and C2
 * compiles that check from a profile shared by all code. Once confined segments have been accessed, C2's
 * profiled loop predication hoists the second half of the check out of a step's loop, where it fails for every
 * segment that has no owner: the loop traps, is recompiled the same way, and traps again, about a hundred times
 * (measured: 64 AdamW parameters of 16K floats in {@code Arena.ofConfined()} memory, state in a shared arena,
 * 3–63 steps/s for 23 s, then 2,100–2,650). A loop whose segments are all confined to the calling thread passes
 * the hoisted check, whatever the profile says.
 */
public final class OwnerThreadMemory {
    private final Thread owner;
    private final Arena arena;
    private final StateMemory memory;

    /** Memory confined to the calling thread. */
    public OwnerThreadMemory() {
        this.owner = Thread.currentThread();
        this.arena = Arena.ofConfined();
        this.memory = new StateMemory(arena);
    }

    /** Whether {@code segment} may be accessed only by one thread, its owner. */
    public static boolean confined(MemorySegment segment) {
        return ScratchMemory.confined(segment);
    }

    public Thread owner() {
        return owner;
    }

    public Arena arena() {
        return arena;
    }

    public StateMemory memory() {
        return memory;
    }

    /**
     * Fails unless the calling thread is the owner: {@code what} (a save, a load, a close) touches this memory.
     *
     * @throws WrongThreadException naming the owner
     */
    public void checkOwner(String what) {
        if (Thread.currentThread() != owner) {
            throw new WrongThreadException(what + " must run on thread " + owner.getName() + ", to which the memory of"
                    + " some parameters, and so their state, is confined; it was called on "
                    + Thread.currentThread().getName() + " and changed nothing");
        }
    }

    /** Frees the memory; on the owner thread only ({@link #checkOwner}). */
    public void close() {
        arena.close();
    }
}
