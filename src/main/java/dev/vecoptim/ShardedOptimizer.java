package dev.vecoptim;

import dev.vecoptim.kernel.Format;
import dev.vecoptim.kernel.Kernels;
import dev.vecoptim.kernel.NoFlags;
import dev.vecoptim.kernel.NormKernel;
import dev.vecoptim.kernel.ShardSumKernel;
import dev.vecoptim.kernel.Vectorization;
import dev.vecoptim.mpi.Communicator;
import dev.vecoptim.step.OneThreadAtATime;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.OptionalDouble;
import java.util.zip.CRC32C;

/**
 * An optimizer for data-parallel training whose state is cut among the processes of a {@link World}, as ZeRO
 * (stages 1 and 2) and PyTorch's {@code ZeroRedundancyOptimizer} cut it: every process holds the whole model's
 * values and gradients (flat storage, one buffer per group, which {@link #addGroup} allocates), computes its own
 * gradients on its own data, and owns the optimizer state of one shard of each group only, about
 * {@code 1/size} of it. Every process builds the same groups, in the same order, and calls {@link #step()} as
 * often.
 *
 * <p>A step: the processes check that each is ready and that their optimizers agree (a failed check, a closed
 * optimizer, a schedule's invalid learning rate, other groups on one process, is thrown on every process as the
 * same exception, before anything changes); each process multiplies its gradients by {@code rn(1/size)} (float32),
 * and each shard's products are summed over the processes (the average of the gradients, as
 * {@code DistributedDataParallel} averages them); with {@link NonFiniteGradients#SKIP} or
 * {@link NonFiniteGradients#THROW}, every process skips or throws if any shard's average holds a NaN or an
 * infinity; with {@linkplain Builder#maxGradNorm clipping}, the averages are clipped by their global norm as one
 * process clips them; each process steps its own shard with its own state, the learning rates from each group's schedule
 * as in one process; every process then gathers every shard's updated values.
 *
 * <p>By default ({@linkplain Builder#inRankOrder in rank order}), each average is
 * {@code rn(…rn(rn(g₀·f) + rn(g₁·f)) + … + rn(gₙ₋₁·f))} with {@code f = rn(1/size)}, summed in order of rank by the
 * process that owns it, from every process's copy of its shard ({@code MPI_Alltoallv}). The values after a step are
 * then, bit for bit, those of an {@link Optimizer} of one process stepping the same groups with those averaged
 * gradients, whatever the number of processes (a group's parameters, stepped as one range of its flat buffer, get
 * the bits of each stepped alone). With {@code inRankOrder(false)}, Open MPI's reduce-scatter sums in the order its
 * algorithm chooses, which for three processes or more may round differently from rank order, in the last bits of
 * some elements; every process still ends the step with the same values.
 *
 * <p>Each shard of a group's buffer starts at a multiple of 16 elements (64 bytes) and the shards differ by at most
 * 16 elements, so a process's state is at most 16 elements per group beyond {@code 1/size} of the whole.
 * {@linkplain Builder#zeroStage ZeRO stage 2} (the default) leaves each process the averaged gradients of its own
 * shard only; stage 1 gathers every shard's averages into every process, at the cost of an all-gather of the
 * gradients. Float32 parameters; not thread-safe (one thread at a time, as {@link Optimizer}).
 */
public final class ShardedOptimizer implements AutoCloseable {
    /** Shards start at multiples of this many elements: 64 bytes, the widest vector and a cache line. */
    static final int ALIGNMENT = 16;

    private final OneThreadAtATime guard = new OneThreadAtATime();
    private final World world;
    private final Communicator communicator;
    private final Optimizer shardOptimizer;
    private final Agreement agreement;
    private final NonFiniteGradients nonFiniteGradients;
    private final double maxGradNorm;
    private final boolean inRankOrder;
    private final int zeroStage;
    private final List<ShardedGroup> groups = new ArrayList<>();
    /** Values and gradients of every group, and the shards' copies: freed by {@link #close()}. */
    private final Arena arena = Arena.ofShared();
    private final NormKernel norm;
    private final ShardSumKernel sum;
    /** Every process's copy of this process's shard of a group, when summing in rank order: the largest group's. */
    private MemorySegment copies = MemorySegment.NULL;
    private boolean closed;

    private ShardedOptimizer(Builder builder) {
        world = builder.world;
        communicator = world.communicator();
        nonFiniteGradients = builder.nonFiniteGradients;
        maxGradNorm = builder.maxGradNorm;
        inRankOrder = builder.inRankOrder;
        zeroStage = builder.zeroStage;
        shardOptimizer = builder.shardOptimizer.build();
        // Its memory outlives a close, so that a closed optimizer still takes part in the agreement of a step.
        agreement = new Agreement(communicator, Arena.ofAuto());
        int bits = VectorWidth.PREFERRED.resolveBits();
        norm = Kernels.kernel(NormKernel.FAMILY, Vectorization.normBits(bits), new NoFlags());
        sum = Kernels.kernel(ShardSumKernel.FAMILY, bits, new NoFlags());
    }

    /**
     * {@return a builder of a sharded optimizer over the processes of {@code world}, at the default options}
     *
     * @param world the job's processes, which every process's optimizer steps together
     */
    public static Builder builder(World world) {
        return new Builder(Objects.requireNonNull(world, "world"));
    }

    /**
     * Adds a group of parameters of {@code floats[0]}, {@code floats[1]}, ... floats, laid out one after another in
     * one buffer of values and one of gradients (zero at first), and this process's shard of its state. Every process
     * adds the same groups in the same order; a difference is found, and thrown on every process, at the next step.
     *
     * @param hyperParameters the group's optimizer and hyper-parameters, the same optimizer in every group
     * @param floats each parameter's size in floats, ≥ 0, at most 2<sup>31</sup> − 1 in all
     * @return the new group
     * @throws IllegalArgumentException if a size is negative, the sizes add up beyond 2<sup>31</sup> − 1, another
     *     group has another optimizer, or the optimizer's update depends on an element's position in its tensor
     *     (stochastic rounding), which a shard would change
     * @throws IllegalStateException if the optimizer is closed
     */
    public ShardedGroup addGroup(Algorithm hyperParameters, long... floats) {
        Objects.requireNonNull(hyperParameters, "hyperParameters");
        guard.enter("addGroup()");
        try {
            checkOpen();
            if (!hyperParameters.positionIndependent(Dtype.FLOAT32)) {
                throw new IllegalArgumentException(hyperParameters.name() + " with " + hyperParameters.stateDtype()
                        + " state and stochastic rounding updates an element by its position in its tensor, which a"
                        + " shard changes: it cannot be sharded");
            }
            long elements = 0;
            for (long size : floats) {
                if (size < 0) {
                    throw new IllegalArgumentException("a parameter's size must be >= 0, was " + size);
                }
                elements += size;
                if (elements > Integer.MAX_VALUE) {
                    throw new IllegalArgumentException("a sharded group holds at most " + Integer.MAX_VALUE
                            + " floats (MPI counts them in ints)");
                }
            }
            Shards shards = Shards.balanced(elements, world.size(), ALIGNMENT);
            ShardedGroup group = new ShardedGroup(groups.size(), shardOptimizer.addGroup(hyperParameters),
                    shards, world.rank(), floats.clone(), arena);
            groups.add(group);
            if (inRankOrder) {
                long copiesBytes = (long) world.size() * shards.count(world.rank()) * Float.BYTES;
                if (copiesBytes > copies.byteSize()) {
                    copies = arena.allocate(copiesBytes, 64);
                }
            }
            return group;
        } finally {
            guard.exit();
        }
    }

    /** {@return the groups, in the order they were added} */
    public List<ShardedGroup> groups() {
        return Collections.unmodifiableList(groups);
    }

    /** {@return steps completed (not skipped) so far, the same on every process} */
    public long stepCount() {
        return shardOptimizer.stepCount();
    }

    /**
     * Makes one step of every process together, as the class describes; every process calls it.
     *
     * @return what the step did: its number, whether it was skipped, the gradients' norm when clipping
     * @throws IllegalStateException if the optimizer of any process is closed, or the processes' optimizers differ
     *     (groups, sizes, optimizers, step counts); thrown on every process, before anything changed
     * @throws IllegalArgumentException if a schedule of any process gives an invalid learning rate; likewise
     * @throws ArithmeticException with {@link NonFiniteGradients#THROW}, if an averaged gradient is not finite:
     *     on every process, the parameters and state unchanged, the gradients holding their averages
     */
    public StepReport step() {
        guard.enter("step()");
        try {
            agreeReady(true);
            for (ShardedGroup group : groups) {
                average(group);
            }
            if (nonFiniteGradients != NonFiniteGradients.PROPAGATE && anyNonFinite()) {
                return new StepReport(stepCount(), true, OptionalDouble.empty());
            }
            OptionalDouble norm = maxGradNorm > 0 ? OptionalDouble.of(clip()) : OptionalDouble.empty();
            StepReport report = shardOptimizer.step();
            for (ShardedGroup group : groups) {
                communicator.allGather(group.valueBuffer(), group.shards().counts());
            }
            return new StepReport(report.step(), false, norm);
        } finally {
            guard.exit();
        }
    }

    /** Replaces this process's shard of the group's gradients by their average over every process. */
    private void average(ShardedGroup group) {
        int size = world.size();
        if (size == 1) {
            return;
        }
        MemorySegment grads = group.gradBuffer();
        int[] counts = group.shards().counts();
        float factor = 1f / size;
        if (inRankOrder) {
            int own = counts[world.rank()];
            MemorySegment shardCopies = copies.asSlice(0, (long) size * own * Float.BYTES);
            communicator.gatherOwnShard(grads, counts, shardCopies);
            sum.addInOrder(shardCopies, own, size, factor, group.ownGrads(), 0, own);
        } else {
            norm.scale(grads, factor, 0, group.shards().elements());
            communicator.reduceScatterSum(grads, counts);
        }
        if (zeroStage == 1) {
            communicator.allGather(grads, counts);
        }
    }

    /**
     * Clips the averaged gradients as {@link Optimizer.Builder#maxGradNorm} clips one process's, bit for bit:
     * PyTorch's norm of each parameter's whole gradient, then of those norms, group by group. A parameter's norm is
     * one sequential reduction over its elements, which no cut into shards can share out, so every process first
     * gathers every shard's averages (as at ZeRO stage 1) and computes the norm alone; then it scales its shard, or
     * every shard at stage 1. {@return the norm}
     */
    private float clip() {
        boolean pyTorch113 = groups.getFirst().hyperParameters().semantics() == Semantics.PYTORCH_1_13;
        int parameters = 0;
        for (ShardedGroup group : groups) {
            parameters += group.grads().size();
            if (zeroStage == 2) {
                communicator.allGather(group.gradBuffer(), group.shards().counts());
            }
        }
        float[] norms = new float[parameters];
        int p = 0;
        for (ShardedGroup group : groups) {
            for (MemorySegment grad : group.grads()) {
                norms[p++] = (float) Math.sqrt(norm.pyTorchSumOfSquares(grad, 0, grad.byteSize() / Float.BYTES,
                        pyTorch113));
            }
        }
        float total = (float) Math.sqrt(new NormKernel.Scalar().pyTorchSumOfSquares(MemorySegment.ofArray(norms), 0,
                parameters, pyTorch113));
        float coefficient = GradientNorm.clipCoefficient(total, maxGradNorm, Format.FLOAT32, pyTorch113);
        if (!(coefficient >= 1)) {
            for (ShardedGroup group : groups) {
                MemorySegment scaled = zeroStage == 1 ? group.gradBuffer() : group.ownGrads();
                norm.scale(scaled, coefficient, 0, scaled.byteSize() / Float.BYTES);
            }
        }
        return total;
    }

    /**
     * Whether any process's shard of an averaged gradient holds a NaN or an infinity: then every process skips the
     * step, or throws the same exception.
     */
    private boolean anyNonFinite() {
        int firstNonFinite = 0;
        for (int g = groups.size() - 1; g >= 0; g--) {
            MemorySegment own = groups.get(g).ownGrads();
            if (!Double.isFinite(norm.sumOfSquares(own, 0, own.byteSize() / Float.BYTES))) {
                firstNonFinite = g + 1;
            }
        }
        int[] everyone = agreement.share(firstNonFinite);
        for (int p = 0; p < everyone.length; p++) {
            if (everyone[p] != 0 && nonFiniteGradients == NonFiniteGradients.THROW) {
                throw new ArithmeticException("the averaged gradient of group " + (everyone[p] - 1) + " holds a NaN or"
                        + " an infinity in process " + p + "'s shard at step " + (stepCount() + 1) + "; the"
                        + " parameters and state were not changed (the gradients hold their averages)");
            }
            if (everyone[p] != 0) {
                return true;
            }
        }
        return false;
    }

    /** What every process's optimizer must agree on before a step, as a 48-bit hash. */
    private long fingerprint() {
        StringBuilder description = new StringBuilder().append(stepCount()).append(' ').append(inRankOrder)
                .append(zeroStage).append(nonFiniteGradients).append(maxGradNorm);
        for (ShardedGroup group : groups) {
            description.append('|').append(group.hyperParameters().name()).append(group.hyperParameters()
                    .stateNames()).append(group.sizes());
        }
        CRC32C crc = new CRC32C();
        byte[] bytes = description.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        crc.update(bytes);
        return crc.getValue() | (long) (description.toString().hashCode() & 0xFFFF) << 32;
    }

    /**
     * Saves the state of every shard, and the values, to {@code file} as {@link Optimizer#save(Path)} saves one
     * process's, atomically: the checkpoint of a one-process {@link Optimizer} whose groups are this optimizer's,
     * each its parameters allocated as one block ({@link ParameterGroup#allocate}), which {@link #load} loads at any
     * number of processes, and such an optimizer too. Every process calls it; the shards are gathered into every
     * process (which needs memory for one process's whole state meanwhile), and process 0 writes the file. A failure
     * of the write is thrown on every process.
     *
     * @param file the checkpoint to write or replace, on process 0
     * @throws IllegalStateException if an optimizer of the processes is closed, or they differ
     * @throws java.nio.file.FileSystemException as {@link Optimizer#save(Path)}, on every process
     */
    public void save(Path file) throws IOException {
        Objects.requireNonNull(file, "file");
        written("save()", whole -> whole.save(file));
    }

    /**
     * Loads a checkpoint that {@link #save} wrote, at any number of processes, or that a one-process
     * {@link Optimizer} of the same groups (each allocated as one block) saved: every shard's state, step counts,
     * hyper-parameters and the values, as {@link Optimizer#load(Path)} loads them. Every process calls it, and reads
     * the file (a shared file system, or a copy at the same path on each machine). A file that any process cannot
     * load is refused on every process, and nothing is loaded on any.
     *
     * @param file a checkpoint
     * @throws CheckpointException as {@link Optimizer#load(Path)}, on every process
     * @throws IllegalStateException if an optimizer of the processes is closed, or they differ
     */
    public void load(Path file) throws IOException {
        Objects.requireNonNull(file, "file");
        read("load()", whole -> whole.load(file));
    }

    /**
     * Writes the state of every shard as PyTorch's {@code optimizer.state_dict()} of one process, as
     * {@link Optimizer#saveStateDict(Path)} writes it: each parameter numbered as PyTorch numbers them, group by
     * group. Gathered and written as {@link #save} is.
     *
     * @param file the state dict to write or replace, on process 0
     * @throws IllegalStateException if an optimizer of the processes is closed, or they differ
     * @throws java.nio.file.FileSystemException as {@link Optimizer#saveStateDict(Path)}, on every process
     */
    public void saveStateDict(Path file) throws IOException {
        Objects.requireNonNull(file, "file");
        written("saveStateDict()", whole -> whole.saveStateDict(file));
    }

    /**
     * Loads a state dict of one process's optimizer, as {@link Optimizer#loadStateDict(Path)} loads it (PyTorch's,
     * vecoptim's, or {@link #saveStateDict}'s at any number of processes), into every shard; read and refused as
     * {@link #load} is. The values are not in a state dict, and stay as they are.
     *
     * @param file a safetensors state dict
     * @throws CheckpointException as {@link Optimizer#loadStateDict(Path)}, on every process
     * @throws IllegalStateException if an optimizer of the processes is closed, or they differ
     */
    public void loadStateDict(Path file) throws IOException {
        Objects.requireNonNull(file, "file");
        read("loadStateDict()", whole -> whole.loadStateDict(file));
    }

    /** What is done with a file through the one-process optimizer of the whole state. */
    private interface FileAction {
        void run(Optimizer whole) throws IOException;
    }

    /** Gathers the whole state into every process, where process 0 hands it to {@code write}. */
    private void written(String call, FileAction write) throws IOException {
        guard.enter(call);
        try {
            agreeReady(false);
            Exception failure = null;
            try (Optimizer whole = WholeOptimizer.gather(groups, stepCount(), communicator)) {
                if (world.rank() == 0) {
                    write.run(whole);
                }
            } catch (IOException | RuntimeException e) {
                failure = e;
            }
            agreement.done(failure);
        } finally {
            guard.exit();
        }
    }

    /** Has every process {@code read} into a one-process optimizer, then takes its shard from it if all could. */
    private void read(String call, FileAction read) throws IOException {
        guard.enter(call);
        try {
            agreeReady(false);
            Exception failure = null;
            Optimizer whole = null;
            try {
                whole = WholeOptimizer.like(groups);
                read.run(whole);
            } catch (IOException | RuntimeException e) {
                failure = e;
            }
            try {
                agreement.done(failure);
                WholeOptimizer.scatter(whole, groups, shardOptimizer);
            } finally {
                if (whole != null) {
                    whole.close();
                }
            }
        } finally {
            guard.exit();
        }
    }

    /**
     * Checks that this process is open (and, for a step, that its schedules give valid learning rates), and that
     * every process is ready and has the same optimizer: else throws on every process.
     */
    private void agreeReady(boolean step) {
        RuntimeException failure = null;
        try {
            checkOpen();
            for (ShardedGroup group : step ? groups : List.<ShardedGroup>of()) {
                group.shard().lrForStep(stepCount());
            }
        } catch (RuntimeException e) {
            failure = e;
        }
        agreement.ready(failure, fingerprint());
    }

    /** Sets every gradient of this process to +0.0; no other process is involved. */
    public void zeroGrad() {
        guard.enter("zeroGrad()");
        try {
            checkOpen();
            for (ShardedGroup group : groups) {
                group.gradBuffer().fill((byte) 0);
            }
        } finally {
            guard.exit();
        }
    }

    void checkOpen() {
        if (closed) {
            throw new IllegalStateException("the sharded optimizer is closed");
        }
    }

    /**
     * Frees this process's values, gradients and state; the optimizer cannot be used afterwards (the world stays
     * open). Not a collective: a process may close its optimizer at any time, and the next step of the others
     * throws on every process.
     */
    @Override
    public void close() {
        guard.enter("close()");
        try {
            if (!closed) {
                closed = true;
                shardOptimizer.close();
                arena.close();
            }
        } finally {
            guard.exit();
        }
    }

    /** The options of a sharded optimizer. */
    public static final class Builder {
        private final World world;
        private NonFiniteGradients nonFiniteGradients = NonFiniteGradients.PROPAGATE;
        private double maxGradNorm;
        private boolean inRankOrder = true;
        private int zeroStage = 2;
        /** What steps this process's shards: its threads are the sharded optimizer's. */
        private final Optimizer.Builder shardOptimizer = Optimizer.builder();

        private Builder(World world) {
            this.world = world;
        }

        /**
         * What a step does when an averaged gradient holds a NaN or an infinity, decided for every process together;
         * default {@link NonFiniteGradients#PROPAGATE}.
         *
         * @param policy the policy
         * @return this builder
         */
        public Builder nonFiniteGradients(NonFiniteGradients policy) {
            this.nonFiniteGradients = Objects.requireNonNull(policy, "policy");
            return this;
        }

        /**
         * Clips the averaged gradients by their global norm before every step, bit for bit as
         * {@link Optimizer.Builder#maxGradNorm} clips one process's (PyTorch's {@code clip_grad_norm_}); the step's
         * report carries the norm. Each process then gathers every shard's averaged gradients first, as at ZeRO stage
         * 1: one more all-gather of the gradients per step. Default: no clipping.
         *
         * @param maxNorm the largest global norm the gradients keep, positive and finite
         * @return this builder
         * @throws IllegalArgumentException if {@code maxNorm} is not positive and finite
         */
        public Builder maxGradNorm(double maxNorm) {
            this.maxGradNorm = Optimizer.Builder.checkedMaxGradNorm(maxNorm);
            return this;
        }

        /**
         * Whether the gradients are summed in order of rank (the default: deterministic, the bits of one process
         * stepping the same averages at any number of processes) or in MPI's order (Open MPI's reduce-scatter). Both
         * move the same bytes between processes; in rank order, each process needs memory for every process's copy
         * of its shard of the largest group (about the group's size). Measured on one machine of 2 cores, the
         * sharded step in rank order was also the faster, by 1.7 to 2.8 times (docs/distributed.md).
         *
         * @param inRankOrder true for the deterministic sums
         * @return this builder
         */
        public Builder inRankOrder(boolean inRankOrder) {
            this.inRankOrder = inRankOrder;
            return this;
        }

        /**
         * ZeRO's stage: 2 (default) leaves each process the averaged gradients of its own shard after a step, the
         * rest of its gradients undefined; 1 gives every process the whole averaged gradients, by one more
         * all-gather. The optimizer state is sharded in both.
         *
         * @param stage 1 or 2
         * @return this builder
         */
        public Builder zeroStage(int stage) {
            if (stage != 1 && stage != 2) {
                throw new IllegalArgumentException("ZeRO's stages here are 1 (state sharded) and 2 (state and"
                        + " gradients sharded), not " + stage);
            }
            this.zeroStage = stage;
            return this;
        }

        /**
         * Steps this process's shards on up to {@code threads} threads, the calling one included, as
         * {@link Optimizer.Builder#threads}; default: the common fork-join pool's parallelism plus one. With several
         * processes on one machine, their threads share its cores.
         *
         * @param threads the threads a step may use, ≥ 1
         * @return this builder
         * @throws IllegalArgumentException if {@code threads} is below 1
         */
        public Builder threads(int threads) {
            shardOptimizer.threads(threads);
            return this;
        }

        /** {@return a new sharded optimizer with these options, holding no group yet} */
        public ShardedOptimizer build() {
            return new ShardedOptimizer(this);
        }
    }
}
