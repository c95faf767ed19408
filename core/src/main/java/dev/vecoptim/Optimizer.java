package dev.vecoptim;

import dev.vecoptim.io.RefusedFileException;
import dev.vecoptim.step.ChunkRunner;
import dev.vecoptim.step.OneThreadAtATime;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.function.Supplier;

/**
 * What {@code torch.optim} gives Python users, on off-heap memory: an object that owns the optimizer state
 * of many parameters, in one or more {@link ParameterGroup}s with their own hyper-parameters, and steps them
 * all in one call.
 *
 * <pre>{@code
 * try (Optimizer optimizer = Optimizer.builder().maxGradNorm(1.0).build()) {
 *     ParameterGroup weights = optimizer.addGroup(Adam.adamWBuilder().lr(1e-3).build());
 *     ParameterGroup biases = optimizer.addGroup(Adam.adamWBuilder().lr(1e-3).weightDecay(0).build());
 *     weights.add(w, dw);
 *     biases.add(b, db);
 *     weights.schedule(LearningRateSchedule.linearWarmup(100, 0.01,
 *             LearningRateSchedule.cosineAnnealing(1e-3, 10_000, 0)));
 *     for (...) {
 *         optimizer.zeroGrad();
 *         // ... fill dw and db ...
 *         StepReport report = optimizer.step();
 *     }
 *     optimizer.save(Path.of("checkpoint.bin"));
 * }
 * }</pre>
 *
 * <p>A step: every group's learning rate is set from its schedule; when clipping or checking gradients, the
 * global gradient norm is computed (one read of every gradient) and, as the {@link NonFiniteGradients} policy
 * says, a step with a NaN or infinite gradient is skipped or refused; the gradients are clipped; then every
 * parameter is updated. Large parameters are cut into chunks stepped in parallel on an executor (the common
 * fork-join pool by default) and the calling thread; the result is bit for bit that of one thread.
 *
 * <p>Parameters may live in memory of any arena. Those in {@code Arena.ofConfined()} memory are stepped on their
 * owner thread only, and the optimizer keeps their state confined to that thread too (so that the step's loops
 * see memory of one kind, which C2 compiles well): it must then be saved, loaded and closed on that thread.
 * Memory of {@code Arena.ofShared()} or {@code Arena.ofAuto()} lets steps use every core. Parameters of both kinds
 * in one JVM are logged once, with the JVM option that keeps C2 from recompiling the steps again and again.
 *
 * <p>All groups use the same optimizer (SGD, RMSProp, Adam or AdamW, ...), as in PyTorch. Not thread-safe: one
 * thread at a time calls its methods (and those of its groups); a call that overlaps another thread's throws
 * a {@link java.util.ConcurrentModificationException} and changes nothing. Closing it frees the state
 * buffers.
 */
public final class Optimizer implements AutoCloseable {
    private final OneThreadAtATime guard = new OneThreadAtATime();
    private final List<ParameterGroup> groups = new ArrayList<>();
    private final ParameterRegistry registry;
    private final Stepper stepper;
    private boolean closed;
    /** The ReduceLROnPlateau built on it, whose state its files hold, or null. */
    private ReduceLROnPlateau plateau;
    /**
     * Whether its parameters are at their train values ({@link #train()}). It starts in train mode, where the reference
     * starts in eval mode and refuses to step until {@code train()}: before its first step no parameter has an eval
     * value, so the two modes hold the same values then.
     */
    private boolean training = true;

    private Optimizer(Builder builder) {
        ChunkRunner<Parameter> runner = new ChunkRunner<>(builder.executor, builder.helpers, builder.parallelThreshold);
        registry = new ParameterRegistry(runner);
        stepper = new Stepper(builder.nonFiniteGradients, builder.maxGradNorm, runner, this, registry, groups);
    }

    /** {@return a builder of an optimizer at the default options} */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Adds a group of parameters with these hyper-parameters.
     *
     * @param hyperParameters the optimizer and hyper-parameters of the group's parameters
     * @return the new group, empty
     * @throws IllegalArgumentException if another group uses another optimizer
     */
    public ParameterGroup addGroup(Algorithm hyperParameters) {
        Objects.requireNonNull(hyperParameters, "hyperParameters");
        return whileOpen("addGroup()", () -> {
            checkFamily(hyperParameters);
            ParameterGroup group = new ParameterGroup(this, groups.size(), hyperParameters);
            groups.add(group);
            stepper.groupAdded();
            return group;
        });
    }

    /** {@return the parameter groups, in the order they were added (PyTorch's {@code param_groups})} */
    public List<ParameterGroup> groups() {
        return Collections.unmodifiableList(groups);
    }

    /** {@return steps completed (not skipped) so far; schedules are functions of it} */
    public long stepCount() {
        return stepper.steps();
    }

    /**
     * Applies one step to every parameter (after partial steps, {@link #stepParameters}, to every parameter they
     * have not stepped, completing the step). Every check happens before the first write, so a step refused by a
     * check has changed nothing; and when it returns or throws, no work of it is still running.
     *
     * @return what the step did: its number, whether it was skipped, the gradients' norm if computed
     * @throws IllegalStateException if a buffer's arena is closed, or the optimizer is, or its step count
     *     reached {@link Long#MAX_VALUE}
     * @throws WrongThreadException if a buffer is confined to another thread
     * @throws IllegalArgumentException if a schedule gives an invalid learning rate
     * @throws ArithmeticException with {@link NonFiniteGradients#THROW}, if a gradient is not finite
     * @throws IllegalStateException for an optimizer with train and eval modes in eval mode ({@link #train()})
     */
    public StepReport step() {
        enter("step()");
        try {
            checkOpen();
            checkTrainMode();
            return stepper.step();
        } finally {
            exit();
        }
    }

    /**
     * Applies the next step to {@code parameters} only, as PyTorch's {@code step()} does to the parameters that
     * have a gradient while the others have none: for programs that step each parameter as soon as its gradient
     * is ready, while the backward pass goes on. Each of them gets the bits a whole step would give it, and its
     * own step count advances. The learning rates are those of the optimizer's next step: {@link #stepCount()},
     * which schedules read, advances once every parameter has been stepped since it last advanced, and
     * {@link #step()} steps the parameters not yet stepped, completing the step.
     *
     * <p>{@code parameters} is read once, when the call begins (as by {@link Collection#toArray}): a collection
     * that another thread changes meanwhile gives the parameters it held then.
     *
     * <p>A partial step does not see every gradient, so it is refused when the optimizer clips
     * ({@link Builder#maxGradNorm}) or checks gradients ({@link NonFiniteGradients#SKIP},
     * {@link NonFiniteGradients#THROW}). Until the step it began is complete, parameters cannot be removed and
     * checkpoints neither saved nor loaded; parameters added meanwhile are part of the step.
     *
     * @param parameters parameters of this optimizer, each at most once, none stepped yet in this step
     * @return what the step did: the optimizer's count of completed steps after it, no norm
     * @throws IllegalArgumentException if a parameter is not one of this optimizer's, or is given twice
     * @throws IllegalStateException if the optimizer clips or checks gradients, a parameter was already stepped
     *     in this step, a buffer's arena is closed, or the optimizer is, or it has train and eval modes and is in
     *     eval mode
     * @throws WrongThreadException if a buffer is confined to another thread
     */
    public StepReport stepParameters(Collection<Parameter> parameters) {
        Objects.requireNonNull(parameters, "parameters");
        enter("stepParameters()");
        try {
            // Read once: a collection that changes under the call (another thread appending, an iterator that
            // yields more on a second pass) must not make the checks and the work see different parameters.
            List<Parameter> part = Arrays.asList(parameters.toArray(Parameter[]::new));
            checkOpen();
            checkTrainMode();
            return stepper.stepPart(part);
        } finally {
            exit();
        }
    }

    /**
     * Puts every parameter that has stepped at the value gradients are taken at, for an optimizer whose parameters
     * have train and eval values ({@link Algorithm#hasModes()}, Schedule-Free), as its reference's
     * {@code optimizer.train()} does: {@code p = lerp(p, z, W)} ({@link Algorithm#toTrain}). Such an optimizer steps
     * only in train mode, as the reference does: call {@link #eval()} before evaluating the model or saving it, and this
     * before training on. It starts in train mode (the reference starts in eval mode and needs this call first; before
     * any step the two modes are the same values). Nothing moves if it is in train mode already. For any other
     * optimizer it only records the mode, so that a training loop may call it whatever the optimizer.
     *
     * @throws IllegalStateException if the optimizer is closed, a step is half made by partial steps, or a buffer's
     *     arena is closed; nothing has moved then
     * @throws WrongThreadException if a buffer is confined to another thread; nothing has moved then
     */
    public void train() {
        moveTo(true, "train()");
    }

    /**
     * Puts every parameter that has stepped at the value to evaluate, as the reference's {@code optimizer.eval()}
     * does: {@code p = lerp(p, z, W)} ({@link Algorithm#toEval}); the inverse of {@link #train()}, to the last
     * rounding. Steps are refused until {@link #train()}.
     *
     * @throws IllegalStateException if the optimizer is closed, a step is half made by partial steps, or a buffer's
     *     arena is closed; nothing has moved then
     * @throws WrongThreadException if a buffer is confined to another thread; nothing has moved then
     */
    public void eval() {
        moveTo(false, "eval()");
    }

    /** {@return whether it is in train mode ({@link #train()}, as it starts), which files save} */
    public boolean training() {
        return training;
    }

    private void moveTo(boolean train, String call) {
        enter(call);
        try {
            checkOpen();
            stepper.checkNoStepBegun("moved to " + (train ? "train" : "eval") + " mode");
            registry.checkStateOwner(call);
            registry.checkUsable(false);
            if (training != train) {
                for (Parameter parameter : registry.parameters()) {
                    parameter.moveMode(train);
                }
                training = train;
            }
        } finally {
            exit();
        }
    }

    /** Sets the mode a file holds, with the parameters where the file's writer left them. */
    void restoreMode(boolean train) {
        training = train;
    }

    /** Fails for an optimizer with modes in eval mode: steps are refused there, as the reference refuses them. */
    void checkTrainMode() {
        if (!training && !groups.isEmpty() && groups.getFirst().algorithm().hasModes()) {
            throw new IllegalStateException(groups.getFirst().algorithm().name() + " steps in train mode only, as its"
                    + " reference does: call optimizer.train() before stepping, and eval() before evaluating or"
                    + " saving the model");
        }
    }

    /**
     * Clips the gradients of every parameter by their global L2 norm, as
     * {@code torch.nn.utils.clip_grad_norm_(parameters, maxNorm)} does, bit for bit (the norm it returns and the
     * gradients it leaves): the norm is PyTorch's float32 reduction of each gradient, then of those norms, in
     * PyTorch's order of parameters (group by group); every gradient is multiplied by
     * {@code min(1, rn(rn(1 / rn(norm + 1e-6)) · maxNorm))}, PyTorch's float32 arithmetic. PyTorch 1.13's reduction
     * fuses where 2.x's does not: the first group's {@link Semantics} chooses. Threads and vector widths do not
     * change the result. A NaN or infinite gradient, or one whose square overflows float32, makes every gradient
     * NaN or zero, as in PyTorch. Matched on PyTorch's AVX2 kernels, which it runs on any x86-64 CPU since 2013
     * (1.13's AVX-512 kernels, used only when asked for with {@code ATEN_CPU_CAPABILITY=avx512}, round otherwise).
     *
     * @param maxNorm the largest norm the gradients keep
     * @return the norm of all gradients before clipping, a float32 as PyTorch returns it
     * @throws IllegalArgumentException if maxNorm is not positive
     */
    public double clipGradNorm(double maxNorm) {
        if (!(maxNorm > 0)) {
            throw new IllegalArgumentException("maxNorm must be positive, was " + maxNorm);
        }
        enter("clipGradNorm()");
        try {
            checkOpen();
            return stepper.clipGradNorm(maxNorm);
        } finally {
            exit();
        }
    }

    /**
     * {@link GradScaler#unscale}'s pass: every gradient multiplied by {@code invScale}, on an open optimizer with no
     * step half made.
     *
     * @return whether a gradient held a NaN or an infinity
     */
    boolean unscaleGradients(float invScale) {
        enter("unscale()");
        try {
            checkOpen();
            stepper.checkNoStepBegun("unscaled");
            return stepper.unscale(invScale);
        } finally {
            exit();
        }
    }

    /** Sets every gradient to +0.0, as PyTorch's {@code zero_grad(set_to_none=False)}. */
    public void zeroGrad() {
        enter("zeroGrad()");
        try {
            checkOpen();
            stepper.zeroGrad();
        } finally {
            exit();
        }
    }

    /**
     * Saves every group's hyper-parameters and schedule (one the factories of {@link LearningRateSchedule} made; a
     * function of the program's own is noted as such), every step count, every state buffer and scalar, and the
     * values of the parameters in memory the optimizer owns ({@link ParameterGroup#allocate}) to {@code file},
     * atomically: a temporary file beside it ({@code <name>.<digits>.tmp}) is written, forced to disk and moved
     * over it, so that a crash leaves the previous checkpoint whole. A symbolic link is written through (the
     * file it points to is replaced, the link stays); a replaced file keeps its permissions, a new one gets
     * the process's default ones. Temporary files that a crashed save left beside the same target are
     * deleted by the next save, once nothing has written them for a minute and no process holds them
     * (each is locked while written). The layout is described in the README; see {@link #load(Path)}.
     *
     * @param file the checkpoint to write or replace
     * @throws java.nio.file.FileSystemException naming the file, if it is a directory or another non-regular
     *     file, or cannot be created or written; other I/O errors (a full disk) name it in their message
     * @throws WrongThreadException if parameters' memory, and so their state, is confined to another thread
     */
    public void save(Path file) throws IOException {
        withFile(file, "save()", "saved", () -> Checkpoint.save(this, file, null));
    }

    /**
     * Saves as {@link #save(Path)} does, and the state of {@code scaler}, the {@link GradScaler} that steps this
     * optimizer (its scale and growth tracker, factors and interval, by PyTorch's names), in the same file: the loss
     * scaling resumes where it was when {@link #load(Path, GradScaler)} restores both.
     *
     * @param file the checkpoint to write or replace
     * @param scaler the scaler whose state to save beside the optimizer's
     * @throws java.nio.file.FileSystemException naming the file, if it is a directory or another non-regular
     *     file, or cannot be created or written; other I/O errors (a full disk) name it in their message
     * @throws WrongThreadException if parameters' memory, and so their state, is confined to another thread
     */
    public void save(Path file, GradScaler scaler) throws IOException {
        Objects.requireNonNull(scaler, "scaler");
        withFile(file, "save()", "saved", () -> Checkpoint.save(this, file, scaler));
    }

    /**
     * Loads a checkpoint written by {@link #save(Path)} into this optimizer, which must have the same
     * structure: the same groups, each of the same optimizer with the same flags ({@code nesterov},
     * {@code centered}, {@code amsgrad}, {@code maximize}), the same parameters with the same sizes and state
     * buffers. The numbers of each group's hyper-parameters (lr, betas, eps, weight_decay, ...) are restored from
     * the file, as are every state buffer and step count, and the values of parameters in memory the optimizer
     * owns. A saved schedule is restored onto a group that has none; a group with another is refused; when either
     * is a function of the program's own, the load logs a warning. The file is read once into memory of its own and
     * checked whole (header, sizes, CRC32C) before anything is changed, so a file that another process
     * truncates or overwrites meanwhile is refused, never half loaded. Loading needs memory for a copy of the
     * state while it runs.
     *
     * @param file a checkpoint written by {@link #save(Path)}
     * @throws CheckpointException if the file is not a regular file, is damaged, truncated, changed while read,
     *     of another format version, does not match this optimizer, or holds a {@link GradScaler}'s state (load it
     *     with {@link #load(Path, GradScaler)}), or a {@link ReduceLROnPlateau}'s that this optimizer's cannot take
     *     (it has none, or one of other arguments), or none where it has one; nothing is loaded then
     * @throws WrongThreadException if parameters' memory, and so their state, is confined to another thread
     */
    public void load(Path file) throws IOException {
        withFile(file, "load()", "loaded", () -> Checkpoint.load(this, file, null));
    }

    /**
     * Loads as {@link #load(Path)} does a checkpoint that {@link #save(Path, GradScaler)} wrote, and restores the
     * scale and growth tracker of {@code scaler} from it, all or nothing. The file's scaler must have
     * {@code scaler}'s growth and backoff factors and growth interval, as {@link GradScaler#loadStateDict} demands.
     * A file saved without a scaler is refused here, and one saved with a scaler is refused by {@link #load(Path)}:
     * a scaler's state is never dropped, nor a scaler left as it was, silently.
     *
     * @param file a checkpoint written by {@link #save(Path, GradScaler)}
     * @param scaler the scaler to restore
     * @throws CheckpointException as {@link #load(Path)}, and if the file holds no scaler's state or one
     *     {@code scaler} cannot take; nothing is loaded then, into the optimizer or the scaler
     * @throws WrongThreadException if parameters' memory, and so their state, is confined to another thread
     */
    public void load(Path file, GradScaler scaler) throws IOException {
        Objects.requireNonNull(scaler, "scaler");
        withFile(file, "load()", "loaded", () -> Checkpoint.load(this, file, scaler));
    }

    /**
     * Writes this optimizer's state as PyTorch's {@code optimizer.state_dict()} lays it out, in a
     * <a href="https://github.com/huggingface/safetensors">safetensors</a> file, atomically as {@link #save(Path)}
     * writes: for each parameter {@code i}, numbered group by group as PyTorch numbers them, the tensors
     * {@code state.<i>.<name>} (its state buffers by PyTorch's names, float32, flat), {@code state.<i>.step} (a
     * 0-dim float32 as PyTorch 2.x keeps it, so at most 2<sup>24</sup>, where PyTorch's count stops and every
     * formula's with it; SGD keeps none) and its scalars ({@code mu_product}, {@code eta}, {@code mu}) as 0-dim float32; in the
     * header's {@code __metadata__}, {@code param_groups} (JSON: the hyper-parameters by PyTorch's names and each
     * group's {@code params}), {@code optimizers} (each group's PyTorch class name), {@code step_count} and
     * {@code format} ({@code "torch.optim state_dict"}). A parameter that has not stepped yet has no entries,
     * as PyTorch creates state at the first step (but Adagrad's, which PyTorch creates with the optimizer).
     * {@code python/state_dict.py} (in the source tree) turns such
     * a file into a {@code torch.optim} state dict and back. The metadata entry {@code crc32}, which PyTorch's
     * readers ignore, is the CRC-32 of the whole file (its own eight digits read as {@code '0'}s), so that a
     * damaged file is refused. Unlike {@link #save(Path)}, the file says nothing of vector widths.
     *
     * @param file the file to write or replace
     * @throws IllegalStateException if the optimizer is closed, or a partial step is
     *     under way
     * @throws java.nio.file.FileSystemException naming the file, if it is a directory or another non-regular
     *     file, or cannot be created or written
     * @throws WrongThreadException if parameters' memory, and so their state, is confined to another thread
     */
    public void saveStateDict(Path file) throws IOException {
        withFile(file, "saveStateDict()", "saved", () -> StateDictFile.save(this, file, null));
    }

    /**
     * Writes the state dict of {@link #saveStateDict(Path)}, and the state of {@code scaler} in its
     * {@code __metadata__} as {@code grad_scaler} (JSON: PyTorch's {@code GradScaler.state_dict()}, which
     * {@code scaler.load_state_dict(json.loads(...))} takes in PyTorch); {@link #loadStateDict(Path, GradScaler)}
     * restores both.
     *
     * @param file the file to write or replace
     * @param scaler the scaler whose state to save beside the optimizer's
     * @throws IllegalStateException if the optimizer is closed, or a partial step is under way
     * @throws java.nio.file.FileSystemException naming the file, if it is a directory or another non-regular
     *     file, or cannot be created or written
     * @throws WrongThreadException if parameters' memory, and so their state, is confined to another thread
     */
    public void saveStateDict(Path file, GradScaler scaler) throws IOException {
        Objects.requireNonNull(scaler, "scaler");
        withFile(file, "saveStateDict()", "saved", () -> StateDictFile.save(this, file, scaler));
    }

    /**
     * Loads a file that {@link #saveStateDict(Path)} or {@code python/state_dict.py} wrote, as PyTorch's
     * {@code load_state_dict} does: each group's hyper-parameter numbers from {@code param_groups} (flags must
     * equal this optimizer's, a flag that is missing counting as False, as PyTorch takes the files of versions
     * before it; every number must be there; entries that choose how PyTorch runs, such
     * as {@code foreach}, {@code fused}, {@code capturable}, and what its schedulers keep, such as
     * {@code initial_lr}, are ignored), each parameter's state buffers (float32 of its element count, any shape),
     * step count and scalars. A parameter with no entries starts afresh, as in PyTorch. The optimizer's step
     * count (which schedules read) is {@code step_count} when the file has it, else the largest parameter's;
     * SGD, which keeps no step in PyTorch, counts {@code step_count} (or 0) for its parameters, and at least 1 for
     * one whose momentum buffer exists.
     *
     * <p>Nothing changes until the whole file has been checked. The header is read first, and decides everything
     * it can (format, optimizers, groups and their hyper-parameters, every tensor's name, dtype and size) before
     * any of the data is read, so a file of something else is refused after its first bytes, whatever its size;
     * the data is then read into memory of its own, exactly the size of the state it restores. A file with a
     * {@code crc32} (vecoptim's and {@code python/state_dict.py}'s) must match it. A file that changes while it
     * is read is refused: for one without a checksum (written by other tools), this rests on the file system's
     * record of its size, times and identity, so such a file that changed within the last few milliseconds is
     * read only once a further change would show (a wait of at most three seconds), and damage that happened
     * before the load cannot be seen.
     *
     * @param file a safetensors file of an optimizer's state
     * @throws CheckpointException naming the file and what is wrong: not safetensors, no
     *     {@code "torch.optim state_dict"} format, other groups, parameters, sizes, flags, state names or dtypes,
     *     a missing, malformed or unknown entry, a step count that is not one, a checksum that does not match, a
     *     change while it was read, memory that cannot be allocated, a {@link GradScaler}'s state (load it with
     *     {@link #loadStateDict(Path, GradScaler)}), a {@link ReduceLROnPlateau}'s state as {@link #load(Path)}
     *     refuses it; nothing is loaded then
     * @throws IllegalStateException if the optimizer is closed, or a partial step is
     *     under way
     * @throws WrongThreadException if parameters' memory, and so their state, is confined to another thread
     */
    public void loadStateDict(Path file) throws IOException {
        withFile(file, "loadStateDict()", "loaded", () -> StateDictFile.load(this, file, null));
    }

    /**
     * Loads as {@link #loadStateDict(Path)} does a state dict that {@link #saveStateDict(Path, GradScaler)} wrote,
     * and restores the scale and growth tracker of {@code scaler} from its {@code grad_scaler}, all or nothing, on
     * the terms of {@link #load(Path, GradScaler)}: the file's scaler must have {@code scaler}'s factors and
     * interval; a file without {@code grad_scaler} is refused here, and one with it by {@link #loadStateDict(Path)}.
     *
     * @param file a state dict written by {@link #saveStateDict(Path, GradScaler)}
     * @param scaler the scaler to restore
     * @throws CheckpointException as {@link #loadStateDict(Path)}, and if the file holds no scaler's state or one
     *     {@code scaler} cannot take; nothing is loaded then, into the optimizer or the scaler
     * @throws IllegalStateException if the optimizer is closed, or a partial step is under way
     * @throws WrongThreadException if parameters' memory, and so their state, is confined to another thread
     */
    public void loadStateDict(Path file, GradScaler scaler) throws IOException {
        Objects.requireNonNull(scaler, "scaler");
        withFile(file, "loadStateDict()", "loaded", () -> StateDictFile.load(this, file, scaler));
    }

    /** Something done with a file: a save or a load. */
    private interface FileAction {
        void run() throws IOException;
    }

    /** Runs {@code action} on {@code file} as {@code call}, on an open optimizer with no step under way. */
    private void withFile(Path file, String call, String what, FileAction action) throws IOException {
        Objects.requireNonNull(file, "file");
        enter(call);
        try {
            checkOpen();
            stepper.checkNoStepBegun(what);
            registry.checkStateOwner(call);
            action.run();
        } catch (RefusedFileException refused) {
            throw asCheckpointException(refused);
        } finally {
            exit();
        }
    }

    /** The refusal of the file layer as the API names it: the same message, cause and stack. */
    private static CheckpointException asCheckpointException(RefusedFileException refused) {
        CheckpointException checkpointException = new CheckpointException(refused.getMessage(), refused.getCause());
        checkpointException.setStackTrace(refused.getStackTrace());
        for (Throwable suppressed : refused.getSuppressed()) {
            checkpointException.addSuppressed(suppressed);
        }
        return checkpointException;
    }

    /**
     * Frees the state buffers; the optimizer cannot be used afterwards.
     *
     * @throws WrongThreadException if parameters' memory is confined to another thread: their state is confined to
     *     it too, and only it can free that; nothing is closed then
     */
    @Override
    public void close() {
        enter("close()");
        try {
            if (!closed) {
                registry.checkStateOwner("close()");
                closed = true;
                registry.close();
            }
        } finally {
            exit();
        }
    }

    Parameter register(ParameterGroup group, Dtype dtype, MemorySegment value, MemorySegment grad) {
        return whileOpen("add()", () -> registry.register(group, dtype, value, grad));
    }

    List<Parameter> allocate(ParameterGroup group, Dtype dtype, long[] elements) {
        return whileOpen("allocate()", () -> registry.allocate(group, dtype, elements));
    }

    void unregister(ParameterGroup group, Parameter parameter) {
        whileOpen("remove()", () -> {
            stepper.checkNoStepBegun("removed");
            registry.unregister(group, parameter);
            return null;
        });
    }

    /** Runs {@code call} alone (no other thread in the optimizer) while the optimizer is open. */
    private <T> T whileOpen(String call, Supplier<T> action) {
        enter(call);
        try {
            checkOpen();
            return action.get();
        } finally {
            exit();
        }
    }

    /** Makes {@code plateau}, built on this optimizer, the one whose state its files hold. */
    void attach(ReduceLROnPlateau plateau) {
        whileOpen("ReduceLROnPlateau.Builder.build()", () -> {
            if (this.plateau != null) {
                throw new IllegalStateException("this optimizer has a ReduceLROnPlateau already, whose state its files"
                        + " hold; an optimizer has one at most");
            }
            this.plateau = plateau;
            return null;
        });
    }

    /** {@return the ReduceLROnPlateau built on it, or null} */
    ReduceLROnPlateau plateau() {
        return plateau;
    }

    void enter(String call) {
        guard.enter(call);
    }

    void exit() {
        guard.exit();
    }

    void checkFamily(Algorithm hyperParameters) {
        if (!groups.isEmpty() && groups.getFirst().algorithm().getClass() != hyperParameters.getClass()) {
            throw new IllegalArgumentException("this optimizer runs " + groups.getFirst().algorithm().name()
                    + "; " + hyperParameters.name() + " needs an optimizer of its own");
        }
    }

    boolean isClosed() {
        return closed;
    }

    void checkOpen() {
        if (closed) {
            throw new IllegalStateException("the optimizer is closed");
        }
    }

    /** {@return every parameter, in the order they were added} */
    List<Parameter> parameters() {
        return registry.parameters();
    }

    /** After a load: the step count, and the plan of the step, which the loaded per-parameter state may change. */
    void restored(long steps) {
        stepper.restored(steps);
    }

    /** How the optimizer treats non-finite gradients, clips, and spreads work over threads. */
    public static final class Builder {
        private NonFiniteGradients nonFiniteGradients = NonFiniteGradients.PROPAGATE;
        private double maxGradNorm;
        private Executor executor = ForkJoinPool.commonPool();
        private int helpers = ForkJoinPool.getCommonPoolParallelism();
        private long parallelThreshold = 1 << 18;

        private Builder() {
        }

        /**
         * What a step does with a NaN or infinite gradient; default {@link NonFiniteGradients#PROPAGATE}.
         *
         * @param policy what a step does with a NaN or infinite gradient; default {@link NonFiniteGradients#PROPAGATE}
         * @return this builder
         */
        public Builder nonFiniteGradients(NonFiniteGradients policy) {
            this.nonFiniteGradients = Objects.requireNonNull(policy, "policy");
            return this;
        }

        /**
         * Clips the gradients by their global norm before every step, as {@link Optimizer#clipGradNorm(double)};
         * the step's report carries the norm. Default: no clipping.
         *
         * @param maxNorm the largest global norm the gradients keep, positive and finite
         * @return this builder
         */
        public Builder maxGradNorm(double maxNorm) {
            this.maxGradNorm = checkedMaxGradNorm(maxNorm);
            return this;
        }

        /** {@return {@code maxNorm}, a clipping norm that is positive and finite} */
        static double checkedMaxGradNorm(double maxNorm) {
            if (!(maxNorm > 0) || Double.isInfinite(maxNorm)) {
                throw new IllegalArgumentException("maxGradNorm must be positive and finite, was " + maxNorm);
            }
            return maxNorm;
        }

        /**
         * Steps on up to {@code threads} threads: the calling thread and {@code threads − 1} helpers of the common
         * fork-join pool. {@code threads(1)} keeps every step on the calling thread. Default: the common pool's
         * parallelism plus the calling thread.
         *
         * @param threads the threads a step may use, the calling one included, ≥ 1
         * @return this builder
         */
        public Builder threads(int threads) {
            if (threads < 1) {
                throw new IllegalArgumentException("threads must be >= 1 (the calling thread counts), was " + threads);
            }
            this.executor = ForkJoinPool.commonPool();
            this.helpers = threads - 1;
            return this;
        }

        /**
         * Where a step's helper threads come from, and how many of them it uses at most. The calling thread works
         * too, so a step runs on up to {@code helpers + 1} threads; {@code helpers = 0} keeps it on the calling
         * thread. Default: the common fork-join pool, as many helpers as its parallelism.
         *
         * @param executor where the helpers' chunks run
         * @param helpers how many of its threads to use at most besides the calling one, ≥ 0
         * @return this builder
         */
        public Builder helpers(Executor executor, int helpers) {
            if (helpers < 0) {
                throw new IllegalArgumentException("helpers must be >= 0, was " + helpers);
            }
            this.executor = Objects.requireNonNull(executor, "executor");
            this.helpers = helpers;
            return this;
        }

        /**
         * Steps over fewer floats than this (all parameters together) stay on the calling thread, and larger
         * parameters are cut into chunks of about an eighth of this many floats, which the threads share.
         * Default 262144 (1 MiB per buffer).
         *
         * @param floats the threshold, ≥ 1
         * @return this builder
         */
        public Builder parallelThreshold(long floats) {
            if (floats < 1) {
                throw new IllegalArgumentException("parallelThreshold must be >= 1, was " + floats);
            }
            this.parallelThreshold = floats;
            return this;
        }

        /**
         * A new optimizer with these options, holding no group yet.
         *
         * @return the optimizer
         * @throws IllegalStateException if Jackson's jackson-core, a dependency of vecoptim, is missing from the class
         *     path: the state dicts need it, and it is better missed now than at the first save
         */
        public Optimizer build() {
            StateDictFile.requireJackson();
            return new Optimizer(this);
        }
    }
}
