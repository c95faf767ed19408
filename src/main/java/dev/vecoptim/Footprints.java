package dev.vecoptim;

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
final class Footprints {
    /** A parameter's value or grad ({@code role}). */
    private record Footprint(MemorySegment segment, Parameter owner, String role) {
        String name() {
            return owner.label() + " " + role;
        }
    }

    private final TreeMap<Long, Footprint> nativeMemory = new TreeMap<>();
    private final List<Footprint> heapMemory = new ArrayList<>();

    /** The owner of a held buffer that overlaps {@code segment}, or null. */
    String overlapping(MemorySegment segment) {
        if (!segment.isNative()) {
            for (Footprint held : heapMemory) {
                if (held.segment().asOverlappingSlice(segment).isPresent()) {
                    return held.name();
                }
            }
            return null;
        }
        if (segment.byteSize() == 0) {
            return null;
        }
        long start = segment.address();
        Map.Entry<Long, Footprint> before = live(nativeMemory.floorEntry(start), nativeMemory::lowerEntry);
        if (before != null && before.getKey() + before.getValue().segment().byteSize() > start) {
            return before.getValue().name();
        }
        Map.Entry<Long, Footprint> after = live(nativeMemory.ceilingEntry(start), nativeMemory::higherEntry);
        if (after != null && after.getKey() < start + segment.byteSize()) {
            return after.getValue().name();
        }
        return null;
    }

    /** {@code entry}, or the first live one {@code next} leads to, forgetting the dead ones on the way. */
    private Map.Entry<Long, Footprint> live(Map.Entry<Long, Footprint> entry,
                                            Function<Long, Map.Entry<Long, Footprint>> next) {
        while (entry != null && !entry.getValue().segment().scope().isAlive()) {
            nativeMemory.remove(entry.getKey());
            entry = next.apply(entry.getKey());
        }
        return entry;
    }

    /** Holds a parameter's value and grad. */
    void add(Parameter parameter) {
        add(new Footprint(parameter.value(), parameter, "value"));
        add(new Footprint(parameter.grad(), parameter, "grad"));
    }

    private void add(Footprint footprint) {
        MemorySegment segment = footprint.segment();
        if (!segment.isNative()) {
            heapMemory.add(footprint);
        } else if (segment.byteSize() > 0) {
            nativeMemory.put(segment.address(), footprint);
        }
    }

    /** Lets go of a parameter's value and grad, which may be reused or freed from now on. */
    void remove(Parameter parameter) {
        nativeMemory.values().removeIf(footprint -> footprint.owner() == parameter);
        heapMemory.removeIf(footprint -> footprint.owner() == parameter);
    }
}
