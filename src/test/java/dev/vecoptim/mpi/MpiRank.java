package dev.vecoptim.mpi;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * One process of {@link OpenMpiTest}'s job, started by {@code mpirun}: sums floats over every process, takes the
 * last process's bytes, and prints what it got as one line, {@code rank R of N: sum OK|WRONG, broadcast OK|WRONG}.
 */
public final class MpiRank {
    /** Elements per process: more than one MPI message, not a multiple of any vector. */
    static final int FLOATS = 100_003;

    private MpiRank() {
    }

    public static void main(String[] args) {
        try (Communicator world = OpenMpi.world(); Arena arena = Arena.ofConfined()) {
            int rank = world.rank();
            int size = world.size();
            MemorySegment floats = arena.allocate((long) FLOATS * Float.BYTES, 64);
            for (int i = 0; i < FLOATS; i++) {
                floats.setAtIndex(ValueLayout.JAVA_FLOAT, i, (rank + 1) * (float) (i % 1000));
            }
            world.allReduceSum(floats);
            boolean sumRight = true;
            for (int i = 0; i < FLOATS; i++) {
                // Small integers: every order of summation gives them exactly.
                sumRight &= floats.getAtIndex(ValueLayout.JAVA_FLOAT, i) == size * (size + 1) / 2f * (i % 1000);
            }
            MemorySegment bytes = arena.allocate(4097);
            bytes.fill((byte) rank);
            world.barrier();
            world.broadcast(bytes, size - 1);
            boolean broadcastRight = bytes.elements(ValueLayout.JAVA_BYTE)
                    .allMatch(b -> b.get(ValueLayout.JAVA_BYTE, 0) == (byte) (size - 1));
            System.out.println("rank " + rank + " of " + size + ": sum " + (sumRight ? "OK" : "WRONG") + ", broadcast "
                    + (broadcastRight ? "OK" : "WRONG"));
        }
    }
}
