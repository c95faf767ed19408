package dev.vecoptim;

import dev.vecoptim.step.CallerMemory;
import dev.vecoptim.step.Chunk;
import dev.vecoptim.step.ChunkRunner;
import dev.vecoptim.step.Footprints;
import dev.vecoptim.step.MixedMemoryWarning;
import dev.vecoptim.step.OwnerThreadMemory;
import dev.vecoptim.step.StateMemory;
import dev.vecoptim.step.StepChecks;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * An optimizer's parameters and the memory of their state: registering and removing them, the checks that make
 * a registration safe, and the plan of what a step updates. {@link Optimizer} guards every call (one thread at a
 * time, open, no step half made) before it comes here.
 */
final class ParameterRegistry {
    private static final System.Logger LOG = System.getLogger("dev.vecoptim");
    private static final AtomicBoolean CONFINED_EXPLAINED = new AtomicBoolean();
    private final Arena stateArena = Arena.ofShared();
    private final StateMemory stateMemory = new StateMemory(stateArena);
    /** The state of parameters whose memory is confined to a thread, once there is one: confined to it too. */
    private OwnerThreadMemory ownerThreadMemory;
    private final ChunkRunner<Parameter> runner;
    private final Footprints<Parameter> footprints = new Footprints<>(Parameter::label);
    private final CallerMemory callerMemory = new CallerMemory();
    private final GradientNorm gradientNorm = new GradientNorm();
    private final List<Parameter> parameters = new ArrayList<>();
    /**
     * What a step updates, each with its own step count: the parameters in the caller's memory, and of each
     * block its whole or, when that cannot stand for them, its members. Per-step work loops over these, so a
     * block stepped whole costs the same whatever the number of its parameters.
     */
    private final List<Parameter> stepped = new ArrayList<>();
    private final List<Chunk<Parameter>> stepChunks = new ArrayList<>();
    private long elements;

    ParameterRegistry(ChunkRunner<Parameter> runner) {
        this.runner = runner;
    }

    Parameter register(ParameterGroup group, Dtype dtype, MemorySegment value, MemorySegment grad) {
        String label = "group " + group.index() + " parameter " + group.parameters().size();
        checkRegistrable(label, dtype, value, grad);
        group.algorithm().newStepUpdate(dtype);
        boolean confined = OwnerThreadMemory.confined(value) || OwnerThreadMemory.confined(grad);
        OwnerThreadMemory owned = confined ? ownerThreadMemory(label) : null;
        MixedMemoryWarning.registered(label, confined);
        Parameter parameter = new Parameter(group, group.parameters().size(), dtype, value, grad,
                Parameter.newStateBuffers(group.algorithm(), dtype, value.byteSize() / dtype.bytes(),
                        confined ? owned.memory() : stateMemory),
                confined ? owned.arena() : stateArena, null);
        hold(parameter);
        planSteps(List.of(parameter));
        return parameter;
    }

    /**
     * The memory for the state of a parameter whose memory is confined to the calling thread: its own is, so a
     * step's loops see memory of one kind ({@link OwnerThreadMemory} says why).
     */
    private OwnerThreadMemory ownerThreadMemory(String label) {
        if (ownerThreadMemory == null) {
            ownerThreadMemory = new OwnerThreadMemory();
            if (!CONFINED_EXPLAINED.getAndSet(true)) {
                LOG.log(System.Logger.Level.INFO, label + "'s memory is confined to thread "
                        + Thread.currentThread().getName() + ": its steps run on that thread only, with no helper"
                        + " threads, and the optimizer keeps its state confined to that thread too, so it is saved,"
                        + " loaded and closed there. Memory of Arena.ofShared() or Arena.ofAuto() lets a step use"
                        + " every core. (Logged once.)");
            }
        } else if (ownerThreadMemory.owner() != Thread.currentThread()) {
            throw new IllegalArgumentException(label + "'s memory is confined to thread "
                    + Thread.currentThread().getName() + ", and that of other parameters of this optimizer to "
                    + ownerThreadMemory.owner().getName() + ": one step cannot reach both");
        }
        return ownerThreadMemory;
    }

    List<Parameter> allocate(ParameterGroup group, Dtype dtype, long[] elements) {
        for (int p = 0; p < elements.length; p++) {
            if (elements[p] < 0) {
                throw new IllegalArgumentException("parameter " + p + " of the block would have " + elements[p]
                        + " " + dtype.elements());
            }
        }
        group.algorithm().newStepUpdate(dtype);
        ParameterBlock block = new ParameterBlock(group, group.parameters().size(), dtype, elements, stateMemory,
                stateArena);
        MixedMemoryWarning.registered("group " + group.index() + "'s block of " + elements.length + " parameters",
                false);
        block.members().forEach(this::hold);
        planSteps(block.members());
        return block.members();
    }

    /** Holds a new parameter of its group: its memory, its gradient's norm, its elements. */
    private void hold(Parameter parameter) {
        footprints.add(parameter, parameter.value(), parameter.grad());
        if (parameter.block() == null) {
            callerMemory.add(parameter.value(), parameter.grad());
        }
        parameter.group().mutableParameters().add(parameter);
        parameters.add(parameter);
        gradientNorm.add(parameter);
        elements += parameter.elementCount();
    }

    /**
     * Cuts the parameters into the chunks a step runs again: each block whose parameters can be stepped as one
     * range as one, every other parameter alone. After a change that may part a block's parameters (a removal,
     * a load, a partial step).
     */
    void replanSteps() {
        stepChunks.clear();
        stepped.clear();
        planSteps(parameters);
    }

    /**
     * Adds the chunks of {@code added}, parameters after all those already planned, in their order: a block's
     * plan is made at its first member, which comes before the others unless it was removed (and the block with
     * it broken up).
     */
    private void planSteps(List<Parameter> added) {
        for (Parameter parameter : added) {
            ParameterBlock block = parameter.block();
            if (block != null && block.members().getFirst() == parameter && block.planWhole()) {
                stepped.add(block.whole());
                stepChunks.addAll(block.whole().chunks(runner));
            } else if (block == null || !block.steppedWhole()) {
                stepped.add(parameter);
                stepChunks.addAll(parameter.chunks(runner));
            }
        }
    }

    private void checkRegistrable(String label, Dtype dtype, MemorySegment value, MemorySegment grad) {
        checkReachable(label, "value", value);
        checkReachable(label, "grad", grad);
        int bytes = dtype.bytes();
        StepChecks.elementsOf(label + " value", value, bytes);
        StepChecks.elementsOf(label + " grad", grad, bytes);
        if (value.isReadOnly()) {
            throw new IllegalArgumentException(label + " value is read-only, but steps write it");
        }
        String unit = dtype.elements();
        if (value.byteSize() % bytes != 0) {
            throw new IllegalArgumentException(label + " value has " + value.byteSize()
                    + " bytes, not a whole number of " + unit);
        }
        if (grad.byteSize() != value.byteSize()) {
            throw new IllegalArgumentException(label + " grad has " + grad.byteSize() / bytes + " " + unit + " ("
                    + grad.byteSize() + " bytes) but its value has " + value.byteSize() / bytes + " ("
                    + value.byteSize() + " bytes)");
        }
        if (value.asOverlappingSlice(grad).isPresent()) {
            throw new IllegalArgumentException(label + " value and grad overlap");
        }
        for (MemorySegment segment : List.of(value, grad)) {
            String owner = footprints.overlapping(segment);
            if (owner != null) {
                throw new IllegalArgumentException(label + (segment == value ? " value" : " grad") + " overlaps "
                        + owner + "; every buffer must be separate memory");
            }
        }
    }

    void unregister(ParameterGroup group, Parameter parameter) {
        if (parameter.group() != group || !group.parameters().contains(parameter)) {
            throw new IllegalArgumentException(parameter + " is not a parameter of group " + group.index());
        }
        footprints.remove(parameter);
        if (parameter.block() == null) {
            callerMemory.remove(parameter.value(), parameter.grad());
        }
        parameters.remove(parameter);
        gradientNorm.remove(parameter);
        if (parameter.block() == null) {
            stepped.remove(parameter);
            stepChunks.removeIf(chunk -> chunk.parameter() == parameter);
        } else {
            parameter.block().breakUp();
            replanSteps();
        }
        elements -= parameter.elementCount();
        List<Parameter> inGroup = group.mutableParameters();
        inGroup.remove(parameter);
        for (int p = parameter.index(); p < inGroup.size(); p++) {
            inGroup.get(p).index(p);
        }
    }

    /**
     * Before a step: every buffer alive and reachable from this thread; gradients writable if written. Memory
     * the optimizer allocated ({@link ParameterGroup#allocate}) is all of these while it is open.
     */
    void checkUsable(boolean writesGradients) {
        if (callerMemory.usable(writesGradients)) {
            return;
        }
        for (Parameter parameter : stepped) {
            if (parameter.block() != null) {
                continue;
            }
            checkReachable(parameter);
            if (writesGradients && parameter.grad().isReadOnly()) {
                throw new IllegalArgumentException(parameter.label() + " grad is read-only, and would be written");
            }
        }
    }

    /** Fails unless the value and gradient of {@code parameter}, in the caller's memory, are alive and reachable. */
    static void checkReachable(Parameter parameter) {
        checkReachable(parameter, "value", parameter.value());
        checkReachable(parameter, "grad", parameter.grad());
    }

    private static void checkReachable(String label, String role, MemorySegment segment) {
        if (!segment.scope().isAlive()) {
            throw new IllegalStateException(label + " " + role + " cannot be used: its arena is closed");
        }
        if (!segment.isAccessibleBy(Thread.currentThread())) {
            throw new WrongThreadException(label + " " + role + " is confined to another thread than "
                    + Thread.currentThread().getName());
        }
    }

    /** The same check, naming the parameter only when it fails: every step makes it for every parameter. */
    private static void checkReachable(Parameter parameter, String role, MemorySegment segment) {
        if (!segment.scope().isAlive() || !segment.isAccessibleBy(Thread.currentThread())) {
            checkReachable(parameter.label(), role, segment);
        }
    }

    /** Fails unless the state is reachable from the calling thread, for {@code call}: a save, a load, a close. */
    void checkStateOwner(String call) {
        if (ownerThreadMemory != null) {
            ownerThreadMemory.checkOwner(call);
        }
    }

    /** Frees the state, once {@link #checkStateOwner} passed. */
    void close() {
        if (ownerThreadMemory != null) {
            ownerThreadMemory.close();
        }
        stateArena.close();
    }

    /** {@return every parameter, in the order they were registered} */
    List<Parameter> parameters() {
        return parameters;
    }

    /** {@return what a step updates: parameters in the caller's memory, blocks' wholes or members} */
    List<Parameter> stepped() {
        return stepped;
    }

    /** {@return the chunks of {@link #stepped()}} */
    List<Chunk<Parameter>> stepChunks() {
        return stepChunks;
    }

    GradientNorm gradientNorm() {
        return gradientNorm;
    }

    /** {@return the floats of every parameter} */
    long elements() {
        return elements;
    }
}
