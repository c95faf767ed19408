package dev.vecoptim.step;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * The memory of every buffer an optimizer holds, to refuse a new buffer that overlaps any of them: native
 * segments by address in O(log n); heap segments (rare, and {@code heapBase} hides a read-only one's array)
 * one by one. A native segment whose arena was closed holds no memory any more (the allocator may hand its
 * addresses out again), so it is forgotten as soon as a lookup meets it: the live segments left never overlap
 * each other, which is what makes the neighbours on either side the only ones to check.
 */
public final class Footprints<O> {
    /** A parameter's value or grad ({@code role}). */
    private record Footprint<O>(MemorySegment segment, O owner, String role) {
    }

    /** How an owner is named in a refusal: at the time of the refusal, as parameters are renumbered. */
    private final Function<O, String> label;

    private final TreeMap<Long, Footprint<O>> nativeMemory = new TreeMap<>();
    private final List<Footprint<O>> heapMemory = new ArrayList<>();

    public Footprints(Function<O, String> label) {
        this.label = label;
    }

    /** The owner of a held buffer that overlaps {@code segment}, or null. */
    public String overlapping(MemorySegment segment) {
        if (!segment.isNative()) {
            for (Footprint<O> held : heapMemory) {
                if (held.segment().asOverlappingSlice(segment).isPresent()) {
                    return name(held);
                }
            }
            return null;
        }
        if (segment.byteSize() == 0) {
            return null;
        }
        long start = segment.address();
        Map.Entry<Long, Footprint<O>> before = live(nativeMemory.floorEntry(start), nativeMemory::lowerEntry);
        if (before != null && before.getKey() + before.getValue().segment().byteSize() > start) {
            return name(before.getValue());
        }
        Map.Entry<Long, Footprint<O>> after = live(nativeMemory.ceilingEntry(start), nativeMemory::higherEntry);
        if (after != null && after.getKey() < start + segment.byteSize()) {
            return name(after.getValue());
        }
        return null;
    }

    /** {@code entry}, or the first live one {@code next} leads to, forgetting the dead ones on the way. */
    private Map.Entry<Long, Footprint<O>> live(Map.Entry<Long, Footprint<O>> entry,
                                               Function<Long, Map.Entry<Long, Footprint<O>>> next) {
        while (entry != null && !entry.getValue().segment().scope().isAlive()) {
            nativeMemory.remove(entry.getKey());
            entry = next.apply(entry.getKey());
        }
        return entry;
    }

    /** Holds {@code owner}'s value and gradient. */
    public void add(O owner, MemorySegment value, MemorySegment grad) {
        add(new Footprint<>(value, owner, "value"));
        add(new Footprint<>(grad, owner, "grad"));
    }

    private String name(Footprint<O> footprint) {
        return label.apply(footprint.owner()) + " " + footprint.role();
    }

    private void add(Footprint<O> footprint) {
        MemorySegment segment = footprint.segment();
        if (!segment.isNative()) {
            heapMemory.add(footprint);
        } else if (segment.byteSize() > 0) {
            nativeMemory.put(segment.address(), footprint);
        }
    }

    /** Lets go of a parameter's value and grad, which may be reused or freed from now on. */
    public void remove(O owner) {
        nativeMemory.values().removeIf(footprint -> footprint.owner() == owner);
        heapMemory.removeIf(footprint -> footprint.owner() == owner);
    }
}
