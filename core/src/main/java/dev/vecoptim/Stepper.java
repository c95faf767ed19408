package dev.vecoptim;

import dev.vecoptim.step.Chunk;
import dev.vecoptim.step.ChunkRunner;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Objects;
import java.util.OptionalDouble;
import java.util.Set;

/**
 * How an optimizer steps: whole steps and partial ones, the gradient norm that clipping and the non-finite policy
 * read, the step count that schedules read. {@link Optimizer} documents each call and guards it (one thread at a
 * time, open) before it comes here.
 */
final class Stepper {
    private final NonFiniteGradients nonFiniteGradients;
    private final double maxGradNorm;
    private final ChunkRunner<Parameter> runner;
    private final Optimizer owner;
    private final ParameterRegistry registry;
    private final List<ParameterGroup> groups;
    /** The parameters partial steps have stepped since the step count last advanced. */
    private final Set<Parameter> steppedThisStep = Collections.newSetFromMap(new IdentityHashMap<>());
    /** A partial step parted a block from its whole: the plan is made again once the step is complete. */
    private boolean replanWhenComplete;
    /** Each group's learning rate for the step being made, by group index. */
    private double[] stepLrs = new double[0];
    /** Each group's hyper-parameters at the momentum its schedule cycles, for the step being made; or null. */
    private Algorithm[] stepCycled = new Algorithm[0];
    private long steps;
    /** The wholes of the layer-wise parameters a step prepares, in its order: emptied and refilled by each step. */
    private final List<Chunk<Parameter>> layerwise = new ArrayList<>();

    Stepper(NonFiniteGradients nonFiniteGradients, double maxGradNorm, ChunkRunner<Parameter> runner, Optimizer owner,
            ParameterRegistry registry, List<ParameterGroup> groups) {
        this.owner = owner;
        this.nonFiniteGradients = nonFiniteGradients;
        this.maxGradNorm = maxGradNorm;
        this.runner = runner;
        this.registry = registry;
        this.groups = groups;
    }

    long steps() {
        return steps;
    }

    /** After a load: the step count, and the plan of the step, which the loaded per-parameter state may change. */
    void restored(long steps) {
        this.steps = steps;
        registry.replanSteps();
    }

    /** A group was added: the learning rates of a step have one more entry. */
    void groupAdded() {
        stepLrs = new double[groups.size()];
        stepCycled = new Algorithm[groups.size()];
    }

    StepReport step() {
        if (!steppedThisStep.isEmpty()) {
            List<Parameter> rest = new ArrayList<>();
            for (Parameter parameter : registry.parameters()) {
                if (!steppedThisStep.contains(parameter)) {
                    rest.add(parameter);
                }
            }
            return stepPart(rest);
        }
        registry.checkUsable(maxGradNorm > 0);
        if (maxGradNorm > 0) {
            checkClippable();
        }
        startStep();
        OptionalDouble norm = OptionalDouble.empty();
        if (nonFiniteGradients != NonFiniteGradients.PROPAGATE) {
            GradientNorm gradientNorm = registry.gradientNorm();
            double sumOfSquares = gradientNorm.sumOfSquares(registry.elements(), runner);
            norm = OptionalDouble.of(Math.sqrt(sumOfSquares));
            if (!Double.isFinite(sumOfSquares) && nonFiniteGradients == NonFiniteGradients.SKIP) {
                return new StepReport(steps, true, norm);
            }
            if (!Double.isFinite(sumOfSquares) && nonFiniteGradients == NonFiniteGradients.THROW) {
                throw new ArithmeticException(gradientNorm.firstNonFinite().label()
                        + " has a NaN or infinite gradient at step " + (steps + 1) + "; nothing was changed");
            }
        }
        if (maxGradNorm > 0) {
            norm = OptionalDouble.of(clip(maxGradNorm));
        }
        update(registry.stepped(), registry.stepChunks(), registry.elements());
        steps++;
        return new StepReport(steps, false, norm);
    }

    /** Checks the step count, then sets every group's learning rate for the next step. */
    private void startStep() {
        if (steps == Long.MAX_VALUE) {
            // Every parameter has made at most as many steps as the optimizer, so none can overflow first.
            throw new IllegalStateException("the optimizer has made " + steps + " steps, as many as a long"
                    + " counts; nothing was changed");
        }
        // Every schedule is asked before any group changes, so a schedule that throws changes nothing.
        for (int g = 0; g < groups.size(); g++) {
            stepLrs[g] = groups.get(g).lrForStep(steps);
            stepCycled[g] = groups.get(g).cycledForStep(steps);
        }
        for (int g = 0; g < groups.size(); g++) {
            groups.get(g).setLrForStep(stepLrs[g]);
            groups.get(g).setCycledForStep(stepCycled[g]);
        }
    }

    /** Steps {@code part}: parameters read once from the caller's collection, or those a step has not stepped. */
    StepReport stepPart(List<Parameter> part) {
        if (maxGradNorm > 0 || nonFiniteGradients != NonFiniteGradients.PROPAGATE) {
            throw new IllegalStateException("a partial step cannot see every gradient, so it cannot "
                    + (maxGradNorm > 0 ? "clip them" : "check them (" + nonFiniteGradients + ")")
                    + "; step() steps every parameter");
        }
        Set<Parameter> given = Collections.newSetFromMap(new IdentityHashMap<>());
        long partElements = 0;
        for (Parameter parameter : part) {
            Objects.requireNonNull(parameter, "a parameter");
            if (!parameter.group().holds(parameter) || parameter.group().optimizer() != owner) {
                throw new IllegalArgumentException(parameter + " is not a parameter of this optimizer");
            }
            if (!given.add(parameter)) {
                throw new IllegalArgumentException(parameter.label() + " is given twice");
            }
            if (steppedThisStep.contains(parameter)) {
                throw new IllegalStateException(parameter.label() + " was already stepped in this step, which is"
                        + " complete once every parameter has been; nothing was changed");
            }
            if (parameter.block() == null) {
                ParameterRegistry.checkReachable(parameter);
            }
            partElements += parameter.elementCount();
        }
        startStep();
        List<Chunk<Parameter>> chunks = new ArrayList<>();
        for (Parameter parameter : part) {
            // Stepping a member of a block stepped whole parts the block (its new step count is its own), and
            // its whole no longer stands for it: plan again once the step is complete and the counts agree.
            replanWhenComplete |= parameter.block() != null && parameter.block().steppedWhole();
            chunks.addAll(parameter.chunks(runner));
        }
        update(part, chunks, partElements);
        steppedThisStep.addAll(part);
        if (steppedThisStep.size() == registry.parameters().size()) {
            steppedThisStep.clear();
            steps++;
            if (replanWhenComplete) {
                replanWhenComplete = false;
                registry.replanSteps();
            }
        }
        return new StepReport(steps, false, OptionalDouble.empty());
    }

    /**
     * Steps {@code updated} (parameters, or blocks' wholes) whose chunks are {@code chunks}: scalars started at
     * step 1, the chunks run, then each one's step count and scalars moved on.
     */
    private void update(List<Parameter> updated, List<Chunk<Parameter>> chunks, long chunkElements) {
        // Indexed loops: an iterator is an allocation until C2 compiles the step, which a step of 16M floats takes
        // minutes to reach.
        for (int p = 0; p < updated.size(); p++) {
            Parameter parameter = updated.get(p);
            ParameterGroup group = parameter.group();
            long steps = parameter.stepCount();
            if (steps == 0) {
                group.algorithm().initializeScalars(group.lr(), parameter.stateBuffers());
                parameter.startMaster();
            }
            group.prepare(steps + 1, parameter.dtype());
            if (parameter.ownsUpdate(steps + 1)) {
                parameter.prepareOwnUpdate(steps + 1);
            }
        }
        prepareLayerwise(updated);
        runner.run(chunks, chunkElements, chunk -> {
            Parameter parameter = chunk.parameter();
            parameter.update(parameter.stepCount() + 1).apply(parameter.value(), parameter.grad(),
                    parameter.stateBuffers(), chunk.from(), chunk.to());
        });
        for (int p = 0; p < updated.size(); p++) {
            Parameter parameter = updated.get(p);
            ParameterGroup group = parameter.group();
            parameter.stepCount(parameter.stepCount() + 1);
            if (!parameter.scalarNames().isEmpty()) {
                group.algorithm().advanceScalars(group.lr(), parameter.stateBuffers(), parameter.stepCount());
                if (parameter.isWholeBlock()) {
                    parameter.block().shareScalars();
                }
            }
        }
    }

    /**
     * Prepares each layer-wise parameter of {@code updated} whole, on its own update, before any chunk of it steps:
     * one parameter per thread, as its norms are reduced in one order.
     */
    private void prepareLayerwise(List<Parameter> updated) {
        layerwise.clear();
        long elements = 0;
        for (int p = 0; p < updated.size(); p++) {
            Parameter parameter = updated.get(p);
            if (parameter.group().algorithm().layerwise()) {
                layerwise.add(parameter.whole());
                elements += parameter.elementCount();
            }
        }
        if (!layerwise.isEmpty()) {
            runner.run(layerwise, elements, whole -> {
                Parameter parameter = whole.parameter();
                parameter.update(parameter.stepCount() + 1).prepareParameter(parameter.value(), parameter.grad(),
                        parameter.stateBuffers(), parameter.elementCount());
            });
        }
    }

    double clipGradNorm(double maxNorm) {
        registry.checkUsable(true);
        checkClippable();
        return clip(maxNorm);
    }

    /**
     * PyTorch 1.13 refuses to clip float16 gradients alone, and computes a float16 gradient's norm in float16
     * arithmetic (overflowing past 256) among others, which vecoptim does not reproduce: an optimizer of its
     * semantics refuses to clip float16 gradients.
     */
    private void checkClippable() {
        if (pyTorch113() && registry.parameters().stream().anyMatch(p -> p.dtype() == Dtype.FLOAT16)) {
            throw new IllegalStateException(GradientNorm.PYTORCH_113_FLOAT16 + ", and this optimizer reproduces"
                    + " PyTorch 1.13; nothing was changed");
        }
    }

    private boolean pyTorch113() {
        return !groups.isEmpty() && groups.getFirst().algorithm().semantics() == Semantics.PYTORCH_1_13;
    }

    /** Scales the gradients, already checked writable, when their norm exceeds maxNorm; returns the norm. */
    private float clip(double maxNorm) {
        boolean pyTorch113 = pyTorch113();
        GradientNorm gradientNorm = registry.gradientNorm();
        float norm = gradientNorm.pyTorchNorm(pyTorch113, registry.elements(), runner);
        float coefficient = GradientNorm.clipCoefficient(norm, maxNorm, gradientNorm.normsFormat(), pyTorch113);
        if (!(coefficient >= 1)) {
            gradientNorm.scale(registry.stepChunks(), registry.elements(), coefficient, pyTorch113, runner);
        }
        return norm;
    }

    /**
     * What PyTorch's {@code _amp_foreach_non_finite_check_and_unscale_} does to every gradient: notes whether an
     * element is NaN or infinite (the non-finite policies' pass: a finite square never overflows its double sum), then
     * {@code g = rn(g · invScale)}, computed in float32 and rounded to the gradient's dtype, unless {@code invScale}
     * is 1; on every thread of a step, at the vector width.
     */
    boolean unscale(float invScale) {
        registry.checkUsable(true);
        GradientNorm gradientNorm = registry.gradientNorm();
        boolean nonFinite = !Double.isFinite(gradientNorm.sumOfSquares(registry.elements(), runner));
        if (invScale != 1f) {
            gradientNorm.scale(registry.stepChunks(), registry.elements(), invScale, false, runner);
        }
        return nonFinite;
    }

    void zeroGrad() {
        registry.checkUsable(true);
        for (Parameter parameter : registry.stepped()) {
            parameter.grad().fill((byte) 0);
        }
    }

    /** Fails while partial steps have stepped some parameters but not all: the step is half made. */
    void checkNoStepBegun(String what) {
        if (!steppedThisStep.isEmpty()) {
            throw new IllegalStateException("step " + (steps + 1) + " has stepped " + steppedThisStep.size() + " of "
                    + registry.parameters().size() + " parameters; nothing can be " + what + " until step() or"
                    + " stepParameters() completes it");
        }
    }
}
