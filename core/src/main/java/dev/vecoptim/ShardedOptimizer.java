package dev.vecoptim;

import dev.vecoptim.step.OneThreadAtATime;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

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
 * process clips them; each process steps its own shard with its own state, the learning rates from each group's
 * schedule as in one process; every process then gathers every shard's updated values. {@link #stepGroups} steps
 * some groups only.
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
 * gradients. Float32 parameters, and 16-bit ones ({@link #addGroup(Algorithm, Dtype, long...)}); not thread-safe
 * (one thread at a time, as {@link Optimizer}).
 */
public final class ShardedOptimizer implements AutoCloseable {
    /** Shards start at multiples of this many elements: 64 bytes, the widest vector and a cache line. */
    static final int ALIGNMENT = 16;

    private final OneThreadAtATime guard = new OneThreadAtATime();
    private final World world;
    private final Optimizer shardOptimizer;
    private final List<ShardedGroup> groups = new ArrayList<>();
    private final ShardedStepper stepper;
    /** Values and gradients of every group, and the shards' copies: freed by {@link #close()}. */
    private final Arena arena = Arena.ofShared();
    private boolean closed;

    private ShardedOptimizer(Builder builder) {
        world = builder.world;
        shardOptimizer = builder.shardOptimizer.build();
        stepper = new ShardedStepper(world.communicator(), shardOptimizer, groups, builder.nonFiniteGradients,
                builder.maxGradNorm, builder.inRankOrder, builder.zeroStage, builder.part);
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
     *     (stochastic rounding), which a shard would change, or on norms of whole parameters (a layer-wise one), which no shard
     *     holds
     * @throws IllegalStateException if the optimizer is closed
     */
    public ShardedGroup addGroup(Algorithm hyperParameters, long... floats) {
        return addGroup(hyperParameters, Dtype.FLOAT32, floats);
    }

    /**
     * {@link #addGroup(Algorithm, long...)} for parameters of {@code dtype}: their values, gradients and state hold
     * elements of it (or the dtypes {@link Algorithm#stateDtype()} and {@link Algorithm#masterWeights()} say). A
     * 16-bit group's gradients are averaged as float32 ones are, from their exact float32 values, each average
     * rounded once to the dtype: {@code rn16(rn(…rn(rn(g₀·f) + rn(g₁·f)) + …))}, in rank order (in MPI's order, the
     * widened gradients are reduce-scattered as float32 ones, and the sums rounded once). Its update must not
     * depend on where an element lies in its tensor, so that a shard gets the bits of the whole: a {@linkplain
     * Algorithm#fused() fused} update, or one with master weights or state of another dtype (PyTorch's single-tensor
     * step on a 16-bit tensor rounds its last {@code n % 32} elements its own way). Clipping clips it as one
     * process clips it ({@link Optimizer#clipGradNorm}: norms in its dtype, the gradients scaled in float32 and
     * rounded to it), except float16 under PyTorch 1.13, which no PyTorch clips reproducibly.
     *
     * @param hyperParameters the group's optimizer and hyper-parameters, the same optimizer in every group
     * @param dtype what the values and gradients hold
     * @param elements each parameter's size in elements, ≥ 0; in all at most 2<sup>31</sup> − 1 float32 elements, or
     *     2<sup>30</sup> − 1 of 16 bits (MPI counts their bytes in ints)
     * @return the new group
     * @throws IllegalArgumentException as {@link #addGroup(Algorithm, long...)}, for a 16-bit update that depends on
     *     positions, or a float16 group clipped under PyTorch 1.13
     * @throws IllegalStateException if the optimizer is closed
     */
    public ShardedGroup addGroup(Algorithm hyperParameters, Dtype dtype, long... elements) {
        Objects.requireNonNull(hyperParameters, "hyperParameters");
        Objects.requireNonNull(dtype, "dtype");
        guard.enter("addGroup()");
        try {
            checkOpen();
            stepper.checkShardable(hyperParameters, dtype);
            long total = 0;
            long most = Integer.MAX_VALUE / (dtype == Dtype.FLOAT32 ? 1 : dtype.bytes());
            for (long size : elements) {
                if (size < 0) {
                    throw new IllegalArgumentException("a parameter's size must be >= 0, was " + size);
                }
                total += size;
                if (total > most) {
                    throw new IllegalArgumentException("a sharded group holds at most " + most + (dtype == Dtype.FLOAT32
                            ? " floats (MPI counts them in ints)" : " " + dtype + " elements (MPI counts their bytes"
                            + " in ints)"));
                }
            }
            Shards shards = Shards.balanced(total, world.size(), ALIGNMENT);
            ShardedGroup group = new ShardedGroup(groups.size(), shardOptimizer.addGroup(hyperParameters),
                    shards, world.rank(), dtype, elements.clone(), arena);
            groups.add(group);
            stepper.groupAdded(group, arena);
            return group;
        } finally {
            guard.exit();
        }
    }

    /** {@return the optimizer of this process's shards, whose groups hold the groups' rates} */
    Optimizer shardOptimizer() {
        return shardOptimizer;
    }

    /**
     * Agrees on an epoch of ReduceLROnPlateau's, so that no process changes its rates where another does not: throws
     * on every process the first process's {@code failure} (a check of its own that failed), or a {@code metric}
     * that is not the same on every process.
     *
     * @throws IllegalArgumentException naming the processes whose metric differs from process 0's
     */
    void agreeOnEpoch(RuntimeException failure, double metric) {
        stepper.agreement().ready(failure, 0);
        List<Integer> differing = stepper.agreement().differing(Double.doubleToRawLongBits(metric));
        if (!differing.isEmpty()) {
            throw new IllegalArgumentException("process" + (differing.size() > 1 ? "es " : " ") + differing + " gave"
                    + " another metric than process 0; give every process the same (the job's, averaged over its"
                    + " processes); nothing was changed");
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
            return stepper.step(this::checkOpen);
        } finally {
            guard.exit();
        }
    }

    /**
     * Puts every value at the point gradients are taken at, for an optimizer whose parameters have train and eval
     * values ({@link Algorithm#hasModes()}, Schedule-Free), as {@link Optimizer#train()} does on one process: each
     * process moves its shard by its shard of the state, then every process gathers the values, which are then those
     * of a one-process optimizer's {@code train()}. Every process calls it. For other optimizers it records the mode.
     *
     * @throws IllegalStateException if an optimizer of the processes is closed, they differ, or a step is half made
     *     by {@link #stepGroups}; on every process, before anything moved
     */
    public void train() {
        moveTo(true, "train()");
    }

    /**
     * Puts every value at the point to evaluate, as {@link Optimizer#eval()} does; as {@link #train()}. Steps are
     * refused until {@link #train()}.
     *
     * @throws IllegalStateException if an optimizer of the processes is closed, they differ, or a step is half made
     *     by {@link #stepGroups}; on every process, before anything moved
     */
    public void eval() {
        moveTo(false, "eval()");
    }

    /** {@return whether it is in train mode, as it starts ({@link Optimizer#training()})} */
    public boolean training() {
        return shardOptimizer.training();
    }

    private void moveTo(boolean train, String call) {
        guard.enter(call);
        try {
            stepper.moveTo(this::checkOpen, train, call);
        } finally {
            guard.exit();
        }
    }

    /**
     * Steps the groups of {@code part} only, as {@link Optimizer#stepParameters} steps some parameters: for programs
     * that step each group as soon as its gradients are ready (a layer's, while backward goes on), so that the
     * average of its gradients can overlap the rest. Each group gets the bits a whole step would give it; the step
     * count advances once every group has been stepped, and {@link #step()} steps the groups not yet stepped. Every
     * process calls it with the same groups. Refused when clipping or checking gradients, which need every gradient;
     * until the step is complete, no file can be saved or loaded.
     *
     * @param part groups of this optimizer, each at most once, none stepped yet in this step
     * @return what the step did: the optimizer's count of completed steps after it
     * @throws IllegalArgumentException if a group is not one of this optimizer's, or is given twice, on any process
     * @throws IllegalStateException if the optimizer clips or checks gradients, a group was already stepped in this
     *     step, the processes gave other groups, or an optimizer of the processes is closed; on every process
     */
    public StepReport stepGroups(Collection<ShardedGroup> part) {
        Objects.requireNonNull(part, "part");
        guard.enter("stepGroups()");
        try {
            return stepper.stepPart(this::checkOpen, Arrays.asList(part.toArray(ShardedGroup[]::new)));
        } finally {
            guard.exit();
        }
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

    /**
     * Saves as {@link #save} does, but shard by shard, so that no process holds more than its shard: each process
     * writes its shard's values and state to a file of its own beside {@code manifest}
     * ({@code <manifest>.<save>.<process>-of-<processes>}, each atomically and checksummed, as a checkpoint of one
     * process), then process 0 replaces {@code manifest}, which names every file with its size and CRC32C, and
     * deletes the files of the save it replaces. A save that does not finish leaves the previous manifest and its
     * files whole. The directory must be one that every process writes and reads (a shared file system). A failure of
     * any process's part is thrown on every process.
     *
     * @param manifest the manifest to write or replace
     * @throws IllegalStateException if an optimizer of the processes is closed, they differ, or a step is half made
     * @throws java.nio.file.FileSystemException as {@link Optimizer#save(Path)}, on every process
     */
    public void saveShards(Path manifest) throws IOException {
        Objects.requireNonNull(manifest, "manifest");
        guard.enter("saveShards()");
        try {
            stepper.ready(this::checkFile, "saveShards()", null);
            ShardedCheckpoint.save(manifest, groups, shardOptimizer, stepCount(), world.communicator(),
                    stepper.agreement());
        } finally {
            guard.exit();
        }
    }

    /**
     * Loads what {@link #saveShards} wrote, at any number of processes: each process reads the files of the saved
     * shards that overlap its own, checks each against the manifest (there, of its size and CRC32C, of the manifest's
     * step) and as {@link Optimizer#load(Path)} checks a checkpoint, and takes its range of values and state; every
     * process then gathers every shard's values. A manifest or file that any process cannot load is refused on every
     * process, and nothing is loaded on any.
     *
     * @param manifest a manifest {@link #saveShards} wrote
     * @throws CheckpointException naming the manifest or file and what is wrong, on every process
     * @throws IllegalStateException if an optimizer of the processes is closed, they differ, or a step is half made
     */
    public void loadShards(Path manifest) throws IOException {
        Objects.requireNonNull(manifest, "manifest");
        guard.enter("loadShards()");
        try {
            stepper.ready(this::checkFile, "loadShards()", null);
            ShardedCheckpoint.load(manifest, groups, shardOptimizer, world.communicator(), stepper.agreement());
        } finally {
            guard.exit();
        }
    }

    /** What is done with a file through the one-process optimizer of the whole state. */
    private interface FileAction {
        void run(Optimizer whole) throws IOException;
    }

    /** Gathers the whole state into every process, where process 0 hands it to {@code write}. */
    private void written(String call, FileAction write) throws IOException {
        guard.enter(call);
        try {
            stepper.ready(this::checkFile, call, null);
            Exception failure = null;
            try (Optimizer whole = WholeOptimizer.gather(groups, shardOptimizer, stepCount(),
                    world.communicator())) {
                if (world.rank() == 0) {
                    write.run(whole);
                }
            } catch (IOException | RuntimeException e) {
                failure = e;
            }
            stepper.agreement().done(failure);
        } finally {
            guard.exit();
        }
    }

    /** Has every process {@code read} into a one-process optimizer, then takes its shard from it if all could. */
    private void read(String call, FileAction read) throws IOException {
        guard.enter(call);
        try {
            stepper.ready(this::checkFile, call, null);
            Exception failure = null;
            Optimizer whole = null;
            try {
                whole = WholeOptimizer.like(groups, shardOptimizer);
                read.run(whole);
            } catch (IOException | RuntimeException e) {
                failure = e;
            }
            try {
                stepper.agreement().done(failure);
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

    /** An open optimizer, with no step half made, can save and load. */
    private void checkFile() {
        checkOpen();
        stepper.checkNoStepBegun("saved or loaded");
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
        private int part;
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
         * move the same bytes between processes, a part of each shard at a time, so that the scratch memory of every
         * process's copies of a part (in rank order), or of a 16-bit part widened to float32 (in MPI's order), stays
         * near 16 MiB. Measured on one machine of 2 cores, the
         * sharded step in rank order was also the faster, by 2.1 to 2.8 times (docs/distributed.md).
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

        /**
         * Averages the gradients at most {@code elements} of each shard at a time (default: a part that keeps the
         * scratch memory near {@value GradientAverage#SCRATCH_ELEMENTS} elements); tests make it small, so that small
         * groups are averaged in parts.
         */
        Builder part(int elements) {
            if (elements <= 0 || elements % ALIGNMENT != 0) {
                throw new IllegalArgumentException("a part is a positive multiple of " + ALIGNMENT + " elements, not "
                        + elements);
            }
            this.part = elements;
            return this;
        }

        /** {@return a new sharded optimizer with these options, holding no group yet} */
        public ShardedOptimizer build() {
            return new ShardedOptimizer(this);
        }
    }
}
