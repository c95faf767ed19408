package dev.vecoptim.mpi;

import java.lang.foreign.MemorySegment;

/**
 * The processes of one data-parallel job and the collective operations among them, each called by every process
 * in the same order (as MPI's are): a process that skips one leaves the others waiting. Operations take native
 * segments of the caller's and work on them in place, with no copies; they are not thread-safe. {@link OpenMpi} is
 * the one engine so far; another (an MPI other than Open MPI, gloo, UCC) implements this interface.
 */
public interface Communicator extends AutoCloseable {

    /** {@return this process's number, 0 to {@link #size()} − 1} */
    int rank();

    /** {@return how many processes the job has} */
    int size();

    /** Returns once every process has called it. */
    void barrier();

    /**
     * Replaces each float of {@code floats} by its sum over every process (in an order the engine chooses, so the
     * sums of more than two processes may differ in their last bits from one order to another).
     *
     * @param floats native memory holding whole floats, the same count on every process
     * @throws IllegalArgumentException if {@code floats} is not native or not whole floats
     */
    void allReduceSum(MemorySegment floats);

    /**
     * Sums {@code floats} over every process and leaves each process its own shard of the sums: the floats are cut
     * in order into {@code counts[0]}, {@code counts[1]}, ... floats, and shard {@link #rank()} of {@code floats}
     * then holds the sums of its elements (as {@link #allReduceSum} would); the other elements of {@code floats}
     * are left undefined.
     *
     * @param floats native memory of as many floats as {@code counts} adds up to, on every process
     * @param counts each process's shard, in floats, the same on every process
     * @throws IllegalArgumentException if {@code floats} is not native, or {@code counts} does not have one
     *     non-negative count per process adding up to its floats
     */
    void reduceScatterSum(MemorySegment floats, int[] counts);

    /**
     * Gathers each process's shard of {@code floats} into every process: the floats are cut as {@link
     * #reduceScatterSum} cuts them, and after the call every shard of {@code floats} holds what its process had
     * there.
     *
     * @param floats native memory of as many floats as {@code counts} adds up to, on every process
     * @param counts each process's shard, in floats, the same on every process
     * @throws IllegalArgumentException as {@link #reduceScatterSum} does
     */
    default void allGather(MemorySegment floats, int[] counts) {
        allGather(floats, counts, Float.BYTES);
    }

    /**
     * {@link #allGather(MemorySegment, int[])} of elements of {@code elementBytes} bytes each (2 for bfloat16 and
     * float16), which are copied as they are.
     *
     * @throws IllegalArgumentException as {@link #allGather(MemorySegment, int[])} does, for such elements
     */
    void allGather(MemorySegment elements, int[] counts, int elementBytes);

    /**
     * Gives this process every process's copy of its own shard, so that it can add them in an order of its choosing
     * (as a reduce-scatter does in the engine's order): {@code floats} is cut as {@link #reduceScatterSum} cuts it,
     * and after the call {@code copies} holds, process by process in order of rank, the {@code counts[rank()]}
     * floats that each had in shard {@link #rank()} of its {@code floats}. {@code floats} is not changed.
     *
     * @param floats native memory of as many floats as {@code counts} adds up to, on every process
     * @param counts each process's shard, in floats, the same on every process
     * @param copies native memory of {@code size() · counts[rank()]} floats, not overlapping {@code floats}
     * @throws IllegalArgumentException as {@link #reduceScatterSum} does, or if {@code copies} is not native or not
     *     of that size
     */
    default void gatherOwnShard(MemorySegment floats, int[] counts, MemorySegment copies) {
        gatherOwnShard(floats, counts, copies, Float.BYTES);
    }

    /**
     * {@link #gatherOwnShard(MemorySegment, int[], MemorySegment)} of elements of {@code elementBytes} bytes each,
     * copied as they are.
     *
     * @throws IllegalArgumentException as {@link #gatherOwnShard(MemorySegment, int[], MemorySegment)} does
     */
    default void gatherOwnShard(MemorySegment elements, int[] counts, MemorySegment copies, int elementBytes) {
        gatherOwnShard(elements, counts, 0, Integer.MAX_VALUE, copies, elementBytes);
    }

    /**
     * {@link #gatherOwnShard(MemorySegment, int[], MemorySegment, int)} of a part of each shard: elements
     * {@code [from, from + most)} of it, as far as it reaches, so that a large shard's copies can be gathered and
     * added a part at a time, in memory of the part's size. {@code copies} then holds, process by process, the
     * {@code piece = min(most, max(0, counts[rank()] − from))} elements that each had there.
     *
     * @param from where the part starts in each shard, ≥ 0, the same on every process
     * @param most the most elements of the part, ≥ 0, the same on every process
     * @param copies native memory of {@code size() · piece} elements, not overlapping {@code elements}
     * @throws IllegalArgumentException as {@link #gatherOwnShard(MemorySegment, int[], MemorySegment)} does, or if
     *     {@code from} or {@code most} is negative
     */
    void gatherOwnShard(MemorySegment elements, int[] counts, int from, int most, MemorySegment copies,
                        int elementBytes);

    /**
     * Copies {@code bytes} of process {@code root} into {@code bytes} of every other.
     *
     * @param bytes native memory, the same size on every process
     * @param root the process whose bytes are copied
     * @throws IllegalArgumentException if {@code bytes} is not native or {@code root} is no process
     */
    void broadcast(MemorySegment bytes, int root);

    /** Leaves the job: no operation may follow, in any process. */
    @Override
    void close();
}
