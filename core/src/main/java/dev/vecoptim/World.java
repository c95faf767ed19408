package dev.vecoptim;

import dev.vecoptim.mpi.Communicator;
import dev.vecoptim.mpi.OpenMpi;
import java.util.Objects;

/**
 * The processes of a data-parallel job, which {@link ShardedOptimizer}s step together: one JVM per process,
 * started by Open MPI's {@code mpirun} ({@code mpirun -np 4 java --add-modules jdk.incubator.vector
 * --enable-native-access=dev.vecoptim ...}, or {@code =ALL-UNNAMED} on the class path). vecoptim calls Open MPI's
 * C library ({@code libmpi.so.40}, Open MPI 4.x, from {@code apt-get install openmpi-bin libopenmpi-dev}) through the
 * FFM API, on its own native memory, with no copies and no JNI.
 *
 * <p>Every process runs the same program, and calls the same collective operations (every step of a
 * {@link ShardedOptimizer}, {@link #barrier()}) in the same order. A process that dies ends the job: {@code mpirun}
 * sees it exit without finalizing MPI and stops the others, which would otherwise wait for it forever; MPI's
 * default error handler aborts the job on an error, likewise.
 */
public final class World implements AutoCloseable {
    private final Communicator communicator;

    World(Communicator communicator) {
        this.communicator = Objects.requireNonNull(communicator, "communicator");
    }

    /**
     * Joins the job this process was started in ({@code MPI_Init} on the first call): a process started without
     * {@code mpirun} is a job of one process.
     *
     * @return this process's view of the job; close it once, when the job's work with MPI is over
     * @throws IllegalStateException if Open MPI is not installed (the message names the packages to install), or
     *     this process closed its world already (MPI cannot start twice in a process)
     */
    public static World join() {
        return new World(OpenMpi.world());
    }

    /** {@return this process's number in the job, 0 to {@link #size()} − 1 (MPI's rank)} */
    public int rank() {
        return communicator.rank();
    }

    /** {@return how many processes the job has} */
    public int size() {
        return communicator.size();
    }

    /** Returns once every process of the job has called it. */
    public void barrier() {
        communicator.barrier();
    }

    Communicator communicator() {
        return communicator;
    }

    /**
     * Leaves the job ({@code MPI_Finalize}): every process calls it, once every collective is over, after closing its
     * {@link ShardedOptimizer}s (a try-with-resources statement that opens the world first closes it last). MPI
     * cannot be joined again in this process afterwards, and a collective called after it aborts the process.
     */
    @Override
    public void close() {
        communicator.close();
    }
}
