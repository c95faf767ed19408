package dev.vecoptim;

import dev.vecoptim.mpi.Communicator;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/**
 * A job of {@code size} processes as as many threads of this JVM, for tests of {@link ShardedOptimizer} without
 * MPI: each thread gets a {@link World} whose {@link Communicator} does what MPI's collectives do, over the other
 * threads' segments (sums in order of rank). A collective waits for the others at most a few seconds, so a test
 * whose threads part ways fails rather than hangs.
 */
final class ThreadedJob {
    private static final long WAIT_SECONDS = 10;

    private final int size;
    private final CyclicBarrier barrier;
    private final MemorySegment[] posted;

    private ThreadedJob(int size) {
        this.size = size;
        barrier = new CyclicBarrier(size);
        posted = new MemorySegment[size];
    }

    /** Runs {@code process} on {@code size} threads, each with its world: {@return their results, by rank} */
    static <T> List<T> run(int size, Function<World, T> process) {
        ThreadedJob job = new ThreadedJob(size);
        ExecutorService threads = Executors.newFixedThreadPool(size);
        try {
            List<Future<T>> results = new ArrayList<>();
            for (int rank = 0; rank < size; rank++) {
                World world = new World(job.new Process(rank));
                results.add(threads.submit(() -> process.apply(world)));
            }
            List<T> values = new ArrayList<>();
            RuntimeException failure = null;
            for (Future<T> result : results) {
                try {
                    values.add(result.get(2 * WAIT_SECONDS, TimeUnit.SECONDS));
                } catch (ExecutionException e) {
                    RuntimeException cause = e.getCause() instanceof RuntimeException runtime ? runtime
                            : new IllegalStateException(e.getCause());
                    // The process that failed, rather than one that then waited for it in vain.
                    if (failure == null || failure instanceof Abandoned) {
                        failure = cause;
                    }
                }
            }
            if (failure != null) {
                throw failure;
            }
            return values;
        } catch (InterruptedException | TimeoutException e) {
            throw new AssertionError("the job of " + size + " threads did not end", e);
        } finally {
            threads.shutdownNow();
        }
    }

    /** One process's view of the job. */
    private final class Process implements Communicator {
        private final int rank;

        Process(int rank) {
            this.rank = rank;
        }

        @Override
        public int rank() {
            return rank;
        }

        @Override
        public int size() {
            return size;
        }

        @Override
        public void barrier() {
            await();
        }

        /** Posts {@code segment} for the others, and returns once every process has posted its own. */
        private void post(MemorySegment segment) {
            posted[rank] = segment;
            await();
        }

        @Override
        public void allReduceSum(MemorySegment floats) {
            post(floats);
            MemorySegment sums = sum(0, floats.byteSize() / Float.BYTES);
            await();
            floats.copyFrom(sums);
        }

        @Override
        public void reduceScatterSum(MemorySegment floats, int[] counts) {
            post(floats);
            long start = start(counts, rank);
            MemorySegment sums = sum(start, counts[rank]);
            await();
            MemorySegment.copy(sums, 0, floats, start * Float.BYTES, sums.byteSize());
        }

        /** Elements {@code [start, start + count)} of every posted segment, summed in order of rank. */
        private MemorySegment sum(long start, long count) {
            MemorySegment sums = Arena.ofAuto().allocate(count * Float.BYTES);
            for (long i = 0; i < count; i++) {
                float sum = 0;
                for (int p = 0; p < size; p++) {
                    sum = p == 0 ? posted[p].getAtIndex(ValueLayout.JAVA_FLOAT, start + i)
                            : sum + posted[p].getAtIndex(ValueLayout.JAVA_FLOAT, start + i);
                }
                sums.setAtIndex(ValueLayout.JAVA_FLOAT, i, sum);
            }
            return sums;
        }

        @Override
        public void allGather(MemorySegment elements, int[] counts, int elementBytes) {
            post(elements);
            for (int p = 0; p < size; p++) {
                long bytes = (long) counts[p] * elementBytes;
                if (p != rank) {
                    MemorySegment.copy(posted[p], start(counts, p) * elementBytes, elements,
                            start(counts, p) * elementBytes, bytes);
                }
            }
            await();
        }

        @Override
        public void gatherOwnShard(MemorySegment elements, int[] counts, int from, int most, MemorySegment copies,
                                   int elementBytes) {
            post(elements);
            long bytes = (long) Math.min(most, Math.max(0, counts[rank] - from)) * elementBytes;
            long at = (start(counts, rank) + Math.min(from, counts[rank])) * elementBytes;
            for (int p = 0; p < size; p++) {
                MemorySegment.copy(posted[p], at, copies, p * bytes, bytes);
            }
            await();
        }

        @Override
        public void broadcast(MemorySegment bytes, int root) {
            post(bytes);
            if (rank != root) {
                bytes.copyFrom(posted[root]);
            }
            await();
        }

        @Override
        public void close() {
        }
    }

    private static long start(int[] counts, int process) {
        long start = 0;
        for (int p = 0; p < process; p++) {
            start += counts[p];
        }
        return start;
    }

    private void await() {
        try {
            barrier.await(WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException | BrokenBarrierException | TimeoutException e) {
            barrier.reset();
            throw new Abandoned(e);
        }
    }

    /** A process waited in a collective for others that never came. */
    private static final class Abandoned extends IllegalStateException {
        private static final long serialVersionUID = 1;

        Abandoned(Exception cause) {
            super("the other processes did not come to the collective", cause);
        }
    }
}
