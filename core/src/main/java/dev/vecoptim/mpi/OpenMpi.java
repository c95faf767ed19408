package dev.vecoptim.mpi;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;

/**
 * The job's processes through Open MPI's C library ({@code libmpi.so.40}, Open MPI 4.x), called through the FFM
 * API on the caller's segments: no JNI, no copies. Started with {@code mpirun}, each process calls {@link #world()}
 * once; it initializes MPI ({@code MPI_Init}) and {@link #close()} finalizes it, after which MPI cannot start again
 * in that process (MPI's own rule). Open MPI's handles ({@code MPI_COMM_WORLD}, {@code MPI_FLOAT},
 * {@code MPI_SUM}, ...) are the addresses of the symbols {@code ompi_mpi_comm_world}, {@code ompi_mpi_float},
 * {@code ompi_mpi_op_sum}; {@code MPI_IN_PLACE} is the address 1. MPI's default error handler aborts the job on an
 * error, so a failed call does not return; a non-zero return code is reported as an exception all the same. The
 * JVM warns of the native calls unless started with {@code --enable-native-access} for this library's module (or
 * {@code ALL-UNNAMED} on the class path).
 */
public final class OpenMpi implements Communicator {
    /** The shared library of Open MPI 4.x. */
    static final String LIBRARY = "libmpi.so.40";
    /** MPI counts are C ints: longer buffers go in pieces of this many elements. */
    private static final int MOST_ELEMENTS = 1 << 30;
    private static OpenMpi world;
    private static boolean finalized;

    private final MethodHandle barrier;
    private final MethodHandle allReduce;
    private final MethodHandle broadcast;
    private final MethodHandle reduceScatter;
    private final MethodHandle allGatherV;
    private final MethodHandle allToAllV;
    private final MethodHandle finalizeMpi;
    private final MemorySegment commWorld;
    private final MemorySegment floatType;
    private final MemorySegment byteType;
    private final MemorySegment sum;
    private final MemorySegment noType;
    private final int rank;
    private final int size;

    private OpenMpi(SymbolLookup mpi) {
        Linker linker = Linker.nativeLinker();
        MethodHandle initialized = function(linker, mpi, "MPI_Initialized", ADDRESS);
        MethodHandle init = function(linker, mpi, "MPI_Init", ADDRESS, ADDRESS);
        MethodHandle commRank = function(linker, mpi, "MPI_Comm_rank", ADDRESS, ADDRESS);
        MethodHandle commSize = function(linker, mpi, "MPI_Comm_size", ADDRESS, ADDRESS);
        barrier = function(linker, mpi, "MPI_Barrier", ADDRESS);
        allReduce = function(linker, mpi, "MPI_Allreduce", ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS);
        broadcast = function(linker, mpi, "MPI_Bcast", ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS);
        reduceScatter = function(linker, mpi, "MPI_Reduce_scatter", ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS,
                ADDRESS);
        allGatherV = function(linker, mpi, "MPI_Allgatherv", ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS,
                ADDRESS, ADDRESS);
        allToAllV = function(linker, mpi, "MPI_Alltoallv", ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS,
                ADDRESS, ADDRESS, ADDRESS);
        finalizeMpi = function(linker, mpi, "MPI_Finalize");
        // Open MPI's handles are the addresses of these exported objects.
        commWorld = symbol(mpi, "ompi_mpi_comm_world");
        floatType = symbol(mpi, "ompi_mpi_float");
        byteType = symbol(mpi, "ompi_mpi_byte");
        sum = symbol(mpi, "ompi_mpi_op_sum");
        noType = symbol(mpi, "ompi_mpi_datatype_null");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment flag = arena.allocate(JAVA_INT);
            call("MPI_Initialized", () -> (int) initialized.invokeExact(flag));
            if (flag.get(JAVA_INT, 0) == 0) {
                call("MPI_Init", () -> (int) init.invokeExact(MemorySegment.NULL, MemorySegment.NULL));
            }
            MemorySegment value = arena.allocate(JAVA_INT);
            call("MPI_Comm_rank", () -> (int) commRank.invokeExact(commWorld, value));
            rank = value.get(JAVA_INT, 0);
            call("MPI_Comm_size", () -> (int) commSize.invokeExact(commWorld, value));
            size = value.get(JAVA_INT, 0);
        }
    }

    /**
     * This process's communicator over every process of the job ({@code MPI_COMM_WORLD}), MPI initialized on the
     * first call; the same one on every call until it is closed.
     *
     * @throws IllegalStateException if Open MPI is not installed (naming the packages to install), or MPI was
     *     finalized in this process
     */
    public static synchronized OpenMpi world() {
        return world(LIBRARY);
    }

    /** {@link #world()} from the library {@code library}. */
    static synchronized OpenMpi world(String library) {
        if (finalized) {
            throw new IllegalStateException("MPI was finalized in this process, and cannot start again");
        }
        if (world == null) {
            world = new OpenMpi(load(library));
        }
        return world;
    }

    // Restricted: loading a native library; the class javadoc says how a JVM enables it.
    @SuppressWarnings("restricted")
    private static SymbolLookup load(String library) {
        try {
            return SymbolLookup.libraryLookup(library, Arena.global());
        } catch (IllegalArgumentException notFound) {
            throw new IllegalStateException("Open MPI is not installed: " + library + " was not found (on Debian or"
                    + " Ubuntu: apt-get install openmpi-bin libopenmpi-dev)", notFound);
        }
    }

    // Restricted: a call into native code, whose descriptor must be MPI's C signature (int return, pointers, ints).
    @SuppressWarnings("restricted")
    private static MethodHandle function(Linker linker, SymbolLookup mpi, String name,
                                         java.lang.foreign.MemoryLayout... arguments) {
        return linker.downcallHandle(symbol(mpi, name), FunctionDescriptor.of(JAVA_INT, arguments));
    }

    private static MemorySegment symbol(SymbolLookup mpi, String name) {
        return mpi.find(name).orElseThrow(() -> new IllegalStateException(LIBRARY + " has no " + name
                + ": it is not Open MPI 4"));
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
        call("MPI_Barrier", () -> (int) barrier.invokeExact(commWorld));
    }

    @Override
    public void allReduceSum(MemorySegment floats) {
        long count = elements(floats, Float.BYTES, "floats");
        for (long start = 0; start < count; start += MOST_ELEMENTS) {
            int n = (int) Math.min(MOST_ELEMENTS, count - start);
            MemorySegment piece = floats.asSlice(start * Float.BYTES, (long) n * Float.BYTES);
            call("MPI_Allreduce", () -> (int) allReduce.invokeExact(MemorySegment.ofAddress(1), piece, n, floatType,
                    sum, commWorld));
        }
    }

    /**
     * {@inheritDoc} MPI leaves the sums of an in-place reduce-scatter at the start of the buffer; they are then
     * moved to the process's own shard, a copy of one shard.
     */
    @Override
    public void reduceScatterSum(MemorySegment floats, int[] counts) {
        long offset = shardStart(floats, counts);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment shards = arena.allocateFrom(JAVA_INT, counts);
            call("MPI_Reduce_scatter", () -> (int) reduceScatter.invokeExact(MemorySegment.ofAddress(1), floats,
                    shards, floatType, sum, commWorld));
        }
        MemorySegment.copy(floats, 0, floats, offset * Float.BYTES, (long) counts[rank] * Float.BYTES);
    }

    @Override
    public void allGather(MemorySegment elements, int[] counts, int elementBytes) {
        shardStart(elements, counts, elementBytes);
        int[] sent = inType(counts, elementBytes);
        MemorySegment type = elementBytes == Float.BYTES ? floatType : byteType;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment shards = arena.allocateFrom(JAVA_INT, sent);
            MemorySegment displacements = arena.allocateFrom(JAVA_INT, starts(sent));
            call("MPI_Allgatherv", () -> (int) allGatherV.invokeExact(MemorySegment.ofAddress(1), 0, noType, elements,
                    shards, displacements, type, commWorld));
        }
    }

    @Override
    public void gatherOwnShard(MemorySegment elements, int[] counts, int from, int most, MemorySegment copies,
                               int elementBytes) {
        shardStart(elements, counts, elementBytes);
        if (from < 0 || most < 0) {
            throw new IllegalArgumentException("a part of a shard starts at an element >= 0 and holds >= 0 elements,"
                    + " not " + most + " from " + from);
        }
        int[] pieces = new int[size];
        int[] starts = starts(counts);
        for (int p = 0; p < size; p++) {
            pieces[p] = Math.min(most, Math.max(0, counts[p] - from));
            starts[p] += Math.min(from, counts[p]);
        }
        long expected = (long) size * pieces[rank];
        if (elements(copies, elementBytes, "elements") != expected) {
            throw new IllegalArgumentException("the copies of " + pieces[rank] + (pieces[rank] == 1 ? " element"
                    : " elements") + " of a shard from " + size + " processes take " + expected + " elements, not "
                    + copies.byteSize() / elementBytes);
        }
        if (expected * elementBytes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("MPI places at most " + Integer.MAX_VALUE + " bytes of copies, not "
                    + expected * elementBytes);
        }
        if (elements.asOverlappingSlice(copies).isPresent()) {
            throw new IllegalArgumentException("the copies overlap the elements they are copied from");
        }
        int[] sent = inType(pieces, elementBytes);
        int[] received = new int[size];
        int[] placed = new int[size];
        for (int p = 0; p < size; p++) {
            received[p] = sent[rank];
            placed[p] = p * sent[rank];
        }
        MemorySegment type = elementBytes == Float.BYTES ? floatType : byteType;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment sentCounts = arena.allocateFrom(JAVA_INT, sent);
            MemorySegment sentFrom = arena.allocateFrom(JAVA_INT, inType(starts, elementBytes));
            MemorySegment receivedCounts = arena.allocateFrom(JAVA_INT, received);
            MemorySegment receivedAt = arena.allocateFrom(JAVA_INT, placed);
            call("MPI_Alltoallv", () -> (int) allToAllV.invokeExact(elements, sentCounts, sentFrom, type, copies,
                    receivedCounts, receivedAt, type, commWorld));
        }
    }

    /** Counts of elements as counts of MPI's type for them: floats as they are, other elements in bytes. */
    private static int[] inType(int[] counts, int elementBytes) {
        return elementBytes == Float.BYTES ? counts : java.util.Arrays.stream(counts).map(n -> n * elementBytes)
                .toArray();
    }

    /** Where each shard of {@code counts} starts, in floats: checked by {@link #shardStart} to fit an int. */
    private static int[] starts(int[] counts) {
        int[] starts = new int[counts.length];
        for (int p = 1; p < counts.length; p++) {
            starts[p] = starts[p - 1] + counts[p - 1];
        }
        return starts;
    }

    /**
     * Checks a cut of {@code floats} into shards of {@code counts} floats, and returns where this process's starts.
     * MPI's counts and displacements of the collectives over shards are C ints: the whole is at most 2^31 − 1 floats.
     */
    private long shardStart(MemorySegment floats, int[] counts) {
        return shardStart(floats, counts, Float.BYTES);
    }

    /**
     * {@link #shardStart(MemorySegment, int[])} for elements of {@code elementBytes}: other than floats, MPI moves
     * them as bytes, at most 2^31 − 1 of them.
     */
    private long shardStart(MemorySegment floats, int[] counts, int elementBytes) {
        long total = elements(floats, elementBytes, elementBytes == Float.BYTES ? "floats" : "elements");
        if (total * (elementBytes == Float.BYTES ? 1 : elementBytes) > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("MPI cuts at most " + Integer.MAX_VALUE + (elementBytes == Float.BYTES
                    ? " floats" : " bytes") + " into shards, not " + total * (elementBytes == Float.BYTES ? 1
                    : elementBytes));
        }
        if (counts.length != size) {
            throw new IllegalArgumentException(counts.length + " shards for " + size + " processes");
        }
        long added = 0;
        long start = 0;
        for (int p = 0; p < counts.length; p++) {
            if (counts[p] < 0) {
                throw new IllegalArgumentException("shard " + p + " has a negative count, " + counts[p]);
            }
            if (p == rank) {
                start = added;
            }
            added += counts[p];
        }
        if (added != total) {
            throw new IllegalArgumentException("the shards add up to " + added + " floats, and the segment holds "
                    + total);
        }
        return start;
    }

    @Override
    public void broadcast(MemorySegment bytes, int root) {
        if (root < 0 || root >= size) {
            throw new IllegalArgumentException("process " + root + " is no process of " + size);
        }
        long count = elements(bytes, 1, "bytes");
        for (long start = 0; start < count; start += MOST_ELEMENTS) {
            int n = (int) Math.min(MOST_ELEMENTS, count - start);
            MemorySegment piece = bytes.asSlice(start, n);
            call("MPI_Bcast", () -> (int) broadcast.invokeExact(piece, n, byteType, root, commWorld));
        }
    }

    @Override
    public void close() {
        synchronized (OpenMpi.class) {
            if (finalized) {
                return;
            }
            finalized = true;
            world = null;
        }
        call("MPI_Finalize", () -> (int) finalizeMpi.invokeExact());
    }

    /** The elements of {@code segment}, which MPI can read and write only when it is native memory. */
    private static long elements(MemorySegment segment, int elementBytes, String what) {
        if (!segment.isNative()) {
            throw new IllegalArgumentException("MPI reads and writes native memory only, not a heap segment of "
                    + segment.byteSize() + " bytes");
        }
        if (segment.byteSize() % elementBytes != 0) {
            throw new IllegalArgumentException("a segment of " + segment.byteSize() + " bytes holds no whole " + what);
        }
        return segment.byteSize() / elementBytes;
    }

    /** A call of an MPI function, which returns its error code. */
    private interface MpiCall {
        int invoke() throws Throwable;
    }

    /** Makes {@code call}, of the MPI function {@code function}, and fails unless it returned success (0). */
    private static void call(String function, MpiCall call) {
        int code;
        try {
            code = call.invoke();
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(function + " could not be called", t);
        }
        if (code != 0) {
            throw new IllegalStateException(function + " failed with MPI error code " + code);
        }
    }
}
