package dev.vecoptim.mpi;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * One process of {@link OpenMpiTest}'s job, started by {@code mpirun}: sums floats over every process, takes the
 * last process's bytes, reduce-scatters and all-gathers uneven shards, tries bad arguments, and prints what it got
 * as one line, {@code rank R of N: sum OK, broadcast OK, shards OK, refusals OK} (WRONG for what went wrong).
 */
public final class MpiRank {
    /** Elements per process: more than one MPI message, not a multiple of any vector. */
    static final int FLOATS = 100_003;
    /** The most elements of a part of a shard gathered at a time: no shard of {@link #FLOATS} a multiple of it. */
    private static final int PART = 4099;

    private MpiRank() {
    }

    /**
     * Uneven shards, the last process's empty when there are several: each process gathers every process's copy of
     * its own shard, reduce-scatter leaves it the sums of its own shard, and all-gather then gives every process
     * every shard.
     */
    private static boolean shardsRight(Communicator world, Arena arena) {
        int size = world.size();
        int[] counts = new int[size];
        for (int p = 0; p < size; p++) {
            counts[p] = size > 1 && p == size - 1 ? 0 : FLOATS / size + p;
        }
        int total = java.util.Arrays.stream(counts).sum();
        int start = java.util.Arrays.stream(counts, 0, world.rank()).sum();
        MemorySegment floats = arena.allocate((long) total * Float.BYTES, 64);
        for (int i = 0; i < total; i++) {
            floats.setAtIndex(ValueLayout.JAVA_FLOAT, i, (world.rank() + 1) * (float) (i % 777));
        }
        int own = counts[world.rank()];
        MemorySegment copies = arena.allocate((long) size * own * Float.BYTES, 64);
        world.gatherOwnShard(floats, counts, copies);
        boolean right = true;
        for (int p = 0; p < size; p++) {
            for (int i = 0; i < own; i++) {
                right &= copies.getAtIndex(ValueLayout.JAVA_FLOAT, (long) p * own + i) == (p + 1) * (float) ((start + i)
                        % 777);
            }
        }
        // A part of each shard at a time, as far as each shard reaches; every process makes as many calls.
        int longest = java.util.Arrays.stream(counts).max().orElse(0);
        for (int from = 0; from <= longest; from += PART) {
            int piece = Math.min(PART, Math.max(0, own - from));
            MemorySegment part = arena.allocate((long) size * piece * Float.BYTES, 64);
            world.gatherOwnShard(floats, counts, from, PART, part, Float.BYTES);
            for (int p = 0; p < size; p++) {
                for (int i = 0; i < piece; i++) {
                    right &= part.getAtIndex(ValueLayout.JAVA_FLOAT, (long) p * piece + i) == (p + 1)
                            * (float) ((start + from + i) % 777);
                }
            }
        }
        world.reduceScatterSum(floats, counts);
        for (int i = start; i < start + counts[world.rank()]; i++) {
            right &= floats.getAtIndex(ValueLayout.JAVA_FLOAT, i) == size * (size + 1) / 2f * (i % 777);
        }
        world.allGather(floats, counts);
        for (int i = 0; i < total; i++) {
            right &= floats.getAtIndex(ValueLayout.JAVA_FLOAT, i) == size * (size + 1) / 2f * (i % 777);
        }
        // Elements of 2 bytes (bfloat16, float16) move as they are: each process's shard of its own, then all.
        MemorySegment halves = arena.allocate((long) total * Short.BYTES, 64);
        for (int i = start; i < start + own; i++) {
            halves.setAtIndex(ValueLayout.JAVA_SHORT, i, (short) (i * 31 + 7));
        }
        MemorySegment halfCopies = arena.allocate((long) size * own * Short.BYTES, 64);
        world.gatherOwnShard(halves, counts, halfCopies, Short.BYTES);
        for (int i = 0; i < own; i++) {
            right &= halfCopies.getAtIndex(ValueLayout.JAVA_SHORT, (long) world.rank() * own + i) == (short) ((start
                    + i) * 31 + 7);
        }
        world.allGather(halves, counts, Short.BYTES);
        for (int i = 0; i < total; i++) {
            right &= halves.getAtIndex(ValueLayout.JAVA_SHORT, i) == (short) (i * 31 + 7);
        }
        return right;
    }

    /** Bad arguments are refused before MPI is called, the same on every process, so none waits for the others. */
    private static boolean refusalsRight(Communicator world, Arena arena) {
        int size = world.size();
        MemorySegment floats = arena.allocate(4L * size);
        return refused(() -> world.allGather(floats, new int[size + 1]), size + 1 + " shards for " + size
                + " processes")
                && refused(() -> world.reduceScatterSum(floats, new int[size]), "the shards add up to 0 floats, and the"
                + " segment holds " + size)
                && refused(() -> world.allReduceSum(MemorySegment.ofArray(new float[4])), "MPI reads and writes native"
                + " memory only, not a heap segment of 16 bytes")
                && refused(() -> world.allReduceSum(arena.allocate(6)), "a segment of 6 bytes holds no whole floats")
                && refused(() -> world.broadcast(floats, size), "process " + size + " is no process of " + size)
                && refused(() -> world.gatherOwnShard(floats, ones(size), arena.allocate(4L * size + 4)),
                "the copies of 1 element of a shard from " + size + " processes take " + size + " elements, not "
                        + (size + 1))
                && refused(() -> world.gatherOwnShard(floats, ones(size), -1, 1, arena.allocate(0), Float.BYTES),
                "a part of a shard starts at an element >= 0 and holds >= 0 elements, not 1 from -1")
                && refused(() -> world.gatherOwnShard(floats, ones(size), floats), "the copies overlap the elements"
                + " they are copied from");
    }

    private static int[] ones(int size) {
        int[] counts = new int[size];
        java.util.Arrays.fill(counts, 1);
        return counts;
    }

    private static boolean refused(Runnable call, String message) {
        try {
            call.run();
            return false;
        } catch (IllegalArgumentException e) {
            return e.getMessage().equals(message);
        }
    }

    /**
     * With the argument {@code die}, the last process exits at once, without a word to MPI, and the others go on to
     * the collectives, where they would wait for it forever if nothing ended the job.
     */
    public static void main(String[] args) {
        try (Communicator world = OpenMpi.world(); Arena arena = Arena.ofConfined()) {
            int rank = world.rank();
            int size = world.size();
            if (args.length > 0 && args[0].equals("die") && rank == size - 1) {
                Runtime.getRuntime().halt(3);
            }
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
                    + (broadcastRight ? "OK" : "WRONG") + ", shards " + (shardsRight(world, arena) ? "OK" : "WRONG")
                    + ", refusals " + (refusalsRight(world, arena) ? "OK" : "WRONG"));
        }
    }
}
