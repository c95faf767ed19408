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
    private record Footprint(MemorySegment segment, String owner) {
    }

    private final TreeMap<Long, Footprint> nativeMemory = new TreeMap<>();
    private final List<Footprint> heapMemory = new ArrayList<>();

    /** The owner of a held buffer that overlaps {@code segment}, or null. */
    String overlapping(MemorySegment segment) {
        if (!segment.isNative()) {
            for (Footprint held : heapMemory) {
                if (held.segment().asOverlappingSlice(segment).isPresent()) {
                    return held.owner();
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
            return before.getValue().owner();
        }
        Map.Entry<Long, Footprint> after = nativeMemory.ceilingEntry(start);
        if (after != null && after.getKey() < start + segment.byteSize()) {
            return after.getValue().owner();
        }
        return null;
    }

    void add(MemorySegment segment, String owner) {
        if (!segment.isNative()) {
            heapMemory.add(new Footprint(segment, owner));
        } else if (segment.byteSize() > 0) {
            nativeMemory.put(segment.address(), new Footprint(segment, owner));
        }
    }
}
