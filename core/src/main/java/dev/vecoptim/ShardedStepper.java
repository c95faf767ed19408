package dev.vecoptim;

import dev.vecoptim.kernel.Format;
import dev.vecoptim.kernel.Kernels;
import dev.vecoptim.kernel.NoFlags;
import dev.vecoptim.kernel.NormKernel;
import dev.vecoptim.kernel.Vectorization;
import dev.vecoptim.mpi.Communicator;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.zip.CRC32C;

/**
 * How a {@link ShardedOptimizer} steps: the agreement before each call, the average of the gradients, the
 * non-finite decision, clipping, the step of this process's shards and the gathering of the values, for whole steps
 * and for steps of some groups. {@link ShardedOptimizer} documents each call and guards it before it comes here.
 */
final class ShardedStepper {
    private final Communicator communicator;
    private final Optimizer shardOptimizer;
    private final Agreement agreement;
    private final NonFiniteGradients nonFiniteGradients;
    private final double maxGradNorm;
    private final boolean inRankOrder;
    private final int zeroStage;
    private final List<ShardedGroup> groups;
    private final NormKernel norm;
    private final GradientAverage average;
    /** The groups that steps of some groups have stepped since the step count last advanced. */
    private final Set<ShardedGroup> steppedThisStep = Collections.newSetFromMap(new IdentityHashMap<>());
    /** The norms of every group's gradients, when clipping. */
    private NormStack normStack = new NormStack(List.of());

    ShardedStepper(Communicator communicator, Optimizer shardOptimizer, List<ShardedGroup> groups,
                   NonFiniteGradients nonFiniteGradients, double maxGradNorm, boolean inRankOrder, int zeroStage,
                   int part) {
        this.communicator = communicator;
        this.shardOptimizer = shardOptimizer;
        this.groups = groups;
        this.nonFiniteGradients = nonFiniteGradients;
        this.maxGradNorm = maxGradNorm;
        this.inRankOrder = inRankOrder;
        this.zeroStage = zeroStage;
        // Its memory outlives a close, so that a closed optimizer still takes part in the agreement of a call.
        agreement = new Agreement(communicator, Arena.ofAuto());
        int bits = VectorWidth.PREFERRED.resolveBits();
        norm = Kernels.kernel(NormKernel.FAMILY, Vectorization.normBits(bits), new NoFlags());
        average = new GradientAverage(communicator, inRankOrder, part, ShardedOptimizer.ALIGNMENT, bits, norm);
    }

    Agreement agreement() {
        return agreement;
    }

    /** Whether a {@link ShardedOptimizer} runs {@code algorithm} at all (on some dtype): {@link #checkShardable}. */
    static boolean shardable(Algorithm algorithm) {
        return !algorithm.layerwise();
    }

    /**
     * Refuses a group whose update a shard would change, and what PyTorch 1.13 cannot clip.
     *
     * @throws IllegalArgumentException naming why
     */
    void checkShardable(Algorithm algorithm, Dtype dtype) {
        if (algorithm.layerwise()) {
            throw new IllegalArgumentException(algorithm.name() + " steps each parameter by norms of the whole of it,"
                    + " which no shard holds: it cannot be sharded");
        }
        if (!algorithm.positionIndependent(dtype)) {
            throw new IllegalArgumentException(dtype == Dtype.FLOAT32 || algorithm.stochasticRoundingSeed().isPresent()
                    ? algorithm.name() + " with " + algorithm.stateDtype() + " state and stochastic rounding updates an"
                    + " element by its position in its tensor, which a shard changes: it cannot be sharded"
                    : algorithm.name() + "'s single-tensor step on " + dtype + " rounds the last n % 32 elements of"
                    + " each tensor its own way, which a shard changes: shard it fused (fused(true)) or with"
                    + " masterWeights(MasterWeights.FLOAT32)");
        }
        if (dtype == Dtype.FLOAT16 && maxGradNorm > 0 && algorithm.semantics() == Semantics.PYTORCH_1_13) {
            throw new IllegalArgumentException(GradientNorm.PYTORCH_113_FLOAT16 + ", and this optimizer clips"
                    + " (maxGradNorm)");
        }
    }

    /** A group was added: the averages' scratch memory and the norms, when clipping, must fit it. */
    void groupAdded(ShardedGroup group, Arena arena) {
        average.groupAdded(group, arena);
        if (maxGradNorm > 0) {
            List<Format> formats = new ArrayList<>();
            for (ShardedGroup each : groups) {
                formats.addAll(Collections.nCopies(each.grads().size(), each.dtype().format()));
            }
            normStack = new NormStack(formats);
        }
    }

    /**
     * Runs this process's {@code checks} of a call, and agrees with every process that each passed and that their
     * optimizers, and the groups the call steps ({@code part}, or null for none), are the same; else throws on every
     * process.
     */
    void ready(Runnable checks, String call, List<ShardedGroup> part) {
        RuntimeException failure = null;
        try {
            checks.run();
            if (part != null) {
                checkPart(part);
            }
        } catch (RuntimeException e) {
            failure = e;
        }
        agreement.ready(failure, fingerprint(call, part));
    }

    /** {@code checks}, then that a step may run in the shard optimizer's mode ({@link Optimizer#train()}). */
    private Runnable inTrainMode(Runnable checks) {
        return () -> {
            checks.run();
            shardOptimizer.checkTrainMode();
        };
    }

    /**
     * Moves every process's shards of the values to their train or eval values ({@link Algorithm#hasModes()}), then
     * gathers the values on every process; checks {@link #ready} first, and that no step is half made.
     */
    void moveTo(Runnable checks, boolean train, String call) {
        ready(() -> {
            checks.run();
            if (!steppedThisStep.isEmpty()) {
                throw new IllegalStateException("stepGroups() has stepped " + steppedThisStep.size() + " of "
                        + groups.size() + " groups; " + call + " waits until step() completes the step");
            }
        }, call, null);
        if (shardOptimizer.training() == train) {
            return;
        }
        if (train) {
            shardOptimizer.train();
        } else {
            shardOptimizer.eval();
        }
        for (ShardedGroup group : groups) {
            communicator.allGather(group.valueBuffer(), group.shards().counts(), group.dtype().bytes());
        }
    }

    /** Steps every group, or the groups a step of some groups has not stepped; checks {@link #ready} first. */
    StepReport step(Runnable checks) {
        if (!steppedThisStep.isEmpty()) {
            List<ShardedGroup> rest = new ArrayList<>();
            for (ShardedGroup group : groups) {
                if (!steppedThisStep.contains(group)) {
                    rest.add(group);
                }
            }
            return stepPart(checks, rest);
        }
        ready(inTrainMode(checks), "step()", groups);
        for (ShardedGroup group : groups) {
            average(group);
        }
        if (nonFiniteGradients != NonFiniteGradients.PROPAGATE && anyNonFinite()) {
            return new StepReport(shardOptimizer.stepCount(), true, OptionalDouble.empty());
        }
        OptionalDouble gradNorm = maxGradNorm > 0 ? OptionalDouble.of(clip()) : OptionalDouble.empty();
        StepReport report = shardOptimizer.step();
        for (ShardedGroup group : groups) {
            communicator.allGather(group.valueBuffer(), group.shards().counts(), group.dtype().bytes());
        }
        return new StepReport(report.step(), false, gradNorm);
    }

    /** Steps the groups of {@code part} only, as {@link Optimizer#stepParameters} steps some parameters. */
    StepReport stepPart(Runnable checks, List<ShardedGroup> part) {
        ready(inTrainMode(checks), "stepGroups()", part);
        List<Parameter> shards = new ArrayList<>();
        for (ShardedGroup group : part) {
            average(group);
            shards.add(group.ownShard());
        }
        StepReport report = shardOptimizer.stepParameters(shards);
        for (ShardedGroup group : part) {
            communicator.allGather(group.valueBuffer(), group.shards().counts(), group.dtype().bytes());
        }
        steppedThisStep.addAll(part);
        if (steppedThisStep.size() == groups.size()) {
            steppedThisStep.clear();
        }
        return report;
    }

    /** The checks of the groups a step steps: the next learning rates, and for a part what a partial step needs. */
    private void checkPart(List<ShardedGroup> part) {
        boolean whole = part == groups;
        if (!whole && (maxGradNorm > 0 || nonFiniteGradients != NonFiniteGradients.PROPAGATE)) {
            throw new IllegalStateException("a step of some groups cannot see every gradient, so it cannot "
                    + (maxGradNorm > 0 ? "clip them" : "check them (" + nonFiniteGradients + ")")
                    + "; step() steps every group");
        }
        Set<ShardedGroup> given = Collections.newSetFromMap(new IdentityHashMap<>());
        for (ShardedGroup group : part) {
            if (!groups.contains(group)) {
                throw new IllegalArgumentException(group + " is not a group of this optimizer");
            }
            if (!given.add(group)) {
                throw new IllegalArgumentException("group " + group.index() + " is given twice");
            }
            if (steppedThisStep.contains(group)) {
                throw new IllegalStateException("group " + group.index() + " was already stepped in step "
                        + (shardOptimizer.stepCount() + 1) + ", which is complete once every group has been; nothing"
                        + " was changed");
            }
            group.shard().lrForStep(shardOptimizer.stepCount());
        }
    }

    /** Fails while steps of some groups have stepped some but not all: the step is half made. */
    void checkNoStepBegun(String what) {
        if (!steppedThisStep.isEmpty()) {
            throw new IllegalStateException("step " + (shardOptimizer.stepCount() + 1) + " has stepped "
                    + steppedThisStep.size() + " of " + groups.size() + " groups; nothing can be " + what + " until"
                    + " step() or stepGroups() completes it");
        }
    }

    /**
     * Replaces this process's shard of the group's gradients by their average over every process, and at ZeRO stage
     * 1 gathers every shard's averages.
     */
    private void average(ShardedGroup group) {
        average.average(group);
        if (zeroStage == 1 && communicator.size() > 1) {
            communicator.allGather(group.gradBuffer(), group.shards().counts(), group.dtype().bytes());
        }
    }

    /**
     * Clips the averaged gradients as {@link Optimizer.Builder#maxGradNorm} clips one process's, bit for bit:
     * PyTorch's norm of each parameter's whole gradient, then of those norms ({@link NormStack}), then the gradients
     * scaled, in their dtype ({@link GradientNorm}). A parameter's norm is one sequential reduction over its
     * elements, which no cut into shards can share out, so every process first gathers every shard's averages (as at
     * ZeRO stage 1) and computes the norm alone; then it scales its shard, or every shard at stage 1. {@return the
     * norm}
     */
    private float clip() {
        boolean pyTorch113 = groups.getFirst().hyperParameters().semantics() == Semantics.PYTORCH_1_13;
        float[] norms = normStack.norms();
        int p = 0;
        for (ShardedGroup group : groups) {
            if (zeroStage == 2) {
                communicator.allGather(group.gradBuffer(), group.shards().counts(), group.dtype().bytes());
            }
            for (MemorySegment grad : group.grads()) {
                norms[p++] = GradientNorm.pyTorchNorm(norm, grad, group.dtype().format(), pyTorch113);
            }
        }
        float total = normStack.total(pyTorch113);
        float coefficient = GradientNorm.clipCoefficient(total, maxGradNorm, normStack.format(), pyTorch113);
        if (!(coefficient >= 1)) {
            for (ShardedGroup group : groups) {
                MemorySegment scaled = zeroStage == 1 ? group.gradBuffer() : group.ownGrads();
                GradientNorm.scale(norm, scaled, group.dtype().format(), coefficient, pyTorch113, 0,
                        scaled.byteSize() / group.dtype().bytes());
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
            if (!finite(groups.get(g))) {
                firstNonFinite = g + 1;
            }
        }
        int[] everyone = agreement.share(firstNonFinite);
        for (int p = 0; p < everyone.length; p++) {
            if (everyone[p] != 0 && nonFiniteGradients == NonFiniteGradients.THROW) {
                throw new ArithmeticException("the averaged gradient of group " + (everyone[p] - 1) + " holds a NaN or"
                        + " an infinity in process " + p + "'s shard at step " + (shardOptimizer.stepCount() + 1)
                        + "; the parameters and state were not changed (the gradients hold their averages)");
            }
            if (everyone[p] != 0) {
                return true;
            }
        }
        return false;
    }

    /** Whether this process's shard of the group's averaged gradients holds only finite numbers. */
    private boolean finite(ShardedGroup group) {
        return Double.isFinite(GradientNorm.sumOfSquares(norm, group.ownGrads(), group.dtype(), 0,
                group.shardElements()));
    }

    /** What every process must agree on before a call, as a 48-bit hash: the optimizer, the call, its groups. */
    private long fingerprint(String call, List<ShardedGroup> part) {
        StringBuilder description = new StringBuilder().append(shardOptimizer.stepCount()).append(' ')
                .append(inRankOrder).append(zeroStage).append(nonFiniteGradients).append(maxGradNorm).append(call);
        for (ShardedGroup group : part == null ? List.<ShardedGroup>of() : part) {
            description.append(' ').append(group.index());
        }
        for (ShardedGroup group : groups) {
            description.append('|').append(group.hyperParameters().name()).append(group.hyperParameters()
                    .stateNames()).append(group.dtype()).append(group.sizes());
        }
        CRC32C crc = new CRC32C();
        crc.update(description.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        return crc.getValue() | (long) (description.toString().hashCode() & 0xFFFF) << 32;
    }
}
