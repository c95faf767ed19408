package dev.vecoptim;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The memory of every buffer an optimizer holds, to refuse a new buffer that overlaps any of them: native
 * segments by address in O(log n); heap segments (rare, and {@code heapBase} hides a read-only one's array)
 * one by one.
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
        Map.Entry<Long, Footprint> before = nativeMemory.floorEntry(start);
        if (before != null && before.getKey() + before.getValue().segment().byteSize() > start) {
            return before.getValue().name();
        }
        Map.Entry<Long, Footprint> after = nativeMemory.ceilingEntry(start);
        if (after != null && after.getKey() < start + segment.byteSize()) {
            return after.getValue().name();
        }
        return null;
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
