package dev.vecoptim.step;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * The memory of the caller's that parameters live in (not the optimizer's own, {@code ParameterGroup.allocate}),
 * checked before a step once per scope rather than once per buffer: whether a segment may be used depends only on
 * its scope (alive, and accessible from the calling thread), and a model of 65,536 parameters in one arena has one
 * scope, not 131,072 buffers to check. Whether a gradient is read-only is fixed when it is registered, so it is
 * counted then.
 */
public final class CallerMemory {
    /** Per scope: a segment of it, to ask whether it is accessible, and how many registered segments it holds. */
    private final Map<MemorySegment.Scope, Integer> uses = new IdentityHashMap<>();
    private final List<MemorySegment> representatives = new ArrayList<>();
    private int readOnlyGrads;

    public void add(MemorySegment value, MemorySegment grad) {
        for (MemorySegment segment : List.of(value, grad)) {
            if (uses.merge(segment.scope(), 1, Integer::sum) == 1) {
                representatives.add(segment);
            }
        }
        readOnlyGrads += grad.isReadOnly() ? 1 : 0;
    }

    public void remove(MemorySegment value, MemorySegment grad) {
        for (MemorySegment segment : List.of(value, grad)) {
            if (uses.merge(segment.scope(), -1, Integer::sum) == 0) {
                uses.remove(segment.scope());
                representatives.removeIf(kept -> kept.scope() == segment.scope());
            }
        }
        readOnlyGrads -= grad.isReadOnly() ? 1 : 0;
    }

    /**
     * Whether every scope is alive and accessible from this thread, and, if {@code writesGradients}, no gradient is
     * read-only: when not, the caller finds the parameter to name, the slow way.
     */
    public boolean usable(boolean writesGradients) {
        if (writesGradients && readOnlyGrads > 0) {
            return false;
        }
        Thread current = Thread.currentThread();
        for (int s = 0; s < representatives.size(); s++) {
            MemorySegment segment = representatives.get(s);
            if (!segment.scope().isAlive() || !segment.isAccessibleBy(current)) {
                return false;
            }
        }
        return true;
    }
}
