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
