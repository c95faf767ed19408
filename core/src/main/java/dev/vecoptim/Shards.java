package dev.vecoptim;

import java.util.Arrays;

/**
 * How a flat buffer of {@code elements} is cut among {@code processes}: in order, process 0's shard first, each
 * shard starting at a multiple of {@code alignment} elements (so that, in a buffer aligned to it, every shard's
 * vector loops start aligned), their sizes in whole units of {@code alignment} differing by at most one unit, the
 * larger ones first; the last unit, which the end of the buffer may cut short, is in the last non-empty shard.
 * No shard exceeds {@code elements / processes} by {@code alignment} elements or more.
 *
 * @param elements the buffer's elements
 * @param counts each process's shard, in elements
 * @param alignment the unit shards start at, in elements
 */
record Shards(long elements, int[] counts, int alignment) {

    /**
     * The balanced cut of {@code elements} among {@code processes}.
     *
     * @throws IllegalArgumentException if {@code elements} is negative, or beyond what MPI's int counts and
     *     displacements can place ({@link Integer#MAX_VALUE}), or {@code processes} or {@code alignment} is not
     *     positive
     */
    static Shards balanced(long elements, int processes, int alignment) {
        if (elements < 0 || elements > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("a sharded buffer holds 0 to " + Integer.MAX_VALUE
                    + " elements (MPI counts them in ints), not " + elements);
        }
        if (processes < 1 || alignment < 1) {
            throw new IllegalArgumentException("shards need at least one process and a positive alignment, not "
                    + processes + " and " + alignment);
        }
        long units = (elements + alignment - 1) / alignment;
        int[] counts = new int[processes];
        long end = 0;
        for (int p = 0; p < processes; p++) {
            long start = end;
            end = Math.min(elements, start + (units / processes + (p < units % processes ? 1 : 0)) * alignment);
            counts[p] = (int) (end - start);
        }
        return new Shards(elements, counts, alignment);
    }

    Shards {
        counts = counts.clone();
    }

    @Override
    public int[] counts() {
        return counts.clone();
    }

    /** {@return the shard of {@code process}, in elements} */
    int count(int process) {
        return counts[process];
    }

    /** {@return where the shard of {@code process} starts, in elements} */
    long start(int process) {
        long start = 0;
        for (int p = 0; p < process; p++) {
            start += counts[p];
        }
        return start;
    }

    /** {@return the largest shard, in elements} */
    int largest() {
        return Arrays.stream(counts).max().orElse(0);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Shards shards && elements == shards.elements && alignment == shards.alignment
                && Arrays.equals(counts, shards.counts);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(elements) * 31 + Arrays.hashCode(counts);
    }

    @Override
    public String toString() {
        return Arrays.toString(counts) + " of " + elements + " elements";
    }
}
