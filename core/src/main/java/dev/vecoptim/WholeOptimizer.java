package dev.vecoptim;

import dev.vecoptim.mpi.Communicator;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * A {@link ShardedOptimizer} as one process's {@link Optimizer}: the same groups, each its parameters allocated as
 * one block (flat storage), with every shard's state and the values: what a sharded optimizer's files hold, so that
 * they are the files of one process, which any number of processes can load again. It holds one process's whole
 * state while it lives.
 */
final class WholeOptimizer {
    private WholeOptimizer() {
    }

    /**
     * {@return a one-process optimizer of the sharded groups' structure and hyper-parameters, its state at start, with
     * a copy of {@code shardOptimizer}'s ReduceLROnPlateau if it has one}
     */
    static Optimizer like(List<ShardedGroup> groups, Optimizer shardOptimizer) {
        Optimizer whole = Optimizer.builder().threads(1).build();
        for (ShardedGroup group : groups) {
            ParameterGroup wholeGroup = whole.addGroup(group.hyperParameters());
            group.schedule().ifPresent(wholeGroup::schedule);
            wholeGroup.allocate(group.dtype(), group.sizeArray());
        }
        if (shardOptimizer.plateau() != null) {
            shardOptimizer.plateau().attachCopy(whole);
        }
        whole.restoreMode(shardOptimizer.training());
        return whole;
    }

    /**
     * {@return every process's shards of the state, and the values, gathered into a one-process optimizer on every
     * process} A collective: every process calls it.
     */
    static Optimizer gather(List<ShardedGroup> groups, Optimizer shardOptimizer, long steps,
                            Communicator communicator) {
        Optimizer whole = like(groups, shardOptimizer);
        for (int g = 0; g < groups.size(); g++) {
            ShardedGroup group = groups.get(g);
            List<Parameter> members = whole.groups().get(g).parameters();
            if (members.isEmpty()) {
                continue;
            }
            Parameter block = members.getFirst().block().whole();
            block.value().copyFrom(group.valueBuffer());
            MemorySegment[] own = group.ownShard().stateBuffers();
            MemorySegment[] buffers = block.stateBuffers();
            for (int[] buffer : elementBuffers(group)) {
                int s = buffer[0];
                MemorySegment.copy(own[s], 0, buffers[s], group.shardStart() * buffer[1], own[s].byteSize());
                communicator.allGather(buffers[s], group.shards().counts(), buffer[1]);
            }
            for (Parameter member : members) {
                copyScalars(own, member.stateBuffers(), group.hyperParameters());
                member.stepCount(steps);
            }
        }
        whole.restored(steps);
        return whole;
    }

    /**
     * Gives the sharded groups what {@code whole} holds: the values, this process's shard of the state, and the
     * settings of {@link #restoreSettings}.
     */
    static void scatter(Optimizer whole, List<ShardedGroup> groups, Optimizer shardOptimizer) {
        for (int g = 0; g < groups.size(); g++) {
            ShardedGroup group = groups.get(g);
            List<Parameter> members = whole.groups().get(g).parameters();
            if (!members.isEmpty()) {
                Parameter block = members.getFirst().block().whole();
                group.valueBuffer().copyFrom(block.value());
                MemorySegment[] own = group.ownShard().stateBuffers();
                MemorySegment[] buffers = block.stateBuffers();
                for (int[] buffer : elementBuffers(group)) {
                    int s = buffer[0];
                    MemorySegment.copy(buffers[s], group.shardStart() * buffer[1], own[s], 0, own[s].byteSize());
                }
            }
        }
        restoreSettings(whole, groups, shardOptimizer);
    }

    /**
     * Gives the sharded groups what {@code source}'s groups hold besides values and state buffers: hyper-parameters
     * and learning rates, a schedule for a group that has none, the scalars of the group's first parameter, and the
     * step count; the shard optimizer's mode; and its ReduceLROnPlateau, if it has one, the counters of
     * {@code source}'s copy.
     */
    static void restoreSettings(Optimizer source, List<ShardedGroup> groups, Optimizer shardOptimizer) {
        for (int g = 0; g < groups.size(); g++) {
            ShardedGroup group = groups.get(g);
            ParameterGroup sourceGroup = source.groups().get(g);
            group.hyperParameters(sourceGroup.hyperParameters());
            group.lr(sourceGroup.lr());
            if (group.schedule().isEmpty()) {
                sourceGroup.schedule().ifPresent(group::schedule);
            }
            if (!sourceGroup.parameters().isEmpty()) {
                copyScalars(sourceGroup.parameters().getFirst().stateBuffers(), group.ownShard().stateBuffers(),
                        group.hyperParameters());
            }
            group.ownShard().stepCount(source.stepCount());
        }
        shardOptimizer.restored(source.stepCount());
        shardOptimizer.restoreMode(source.training());
        if (shardOptimizer.plateau() != null) {
            shardOptimizer.plateau().restore(source.plateau().stateDict());
        }
    }

    /**
     * The entries of a group's parameters' state that hold one element per element of the parameter: its state
     * buffers, then its master if it keeps one (not its scalars), each as {@code {index, bytes of an element}}.
     */
    static int[][] elementBuffers(ShardedGroup group) {
        Algorithm algorithm = group.hyperParameters();
        int names = algorithm.stateNames().size();
        int entries = group.ownShard().stateBuffers().length;
        List<int[]> buffers = new java.util.ArrayList<>();
        for (int s = 0; s < names; s++) {
            buffers.add(new int[] {s, Parameter.bufferDtype(algorithm, group.dtype(), s).bytes()});
        }
        if (entries > names + algorithm.scalarNames().size()) {
            buffers.add(new int[] {entries - 1, Parameter.bufferDtype(algorithm, group.dtype(), names).bytes()});
        }
        return buffers.toArray(int[][]::new);
    }

    /** Copies the scalars (ASGD's {@code eta}, NAdam's {@code mu_product}, ...) of one parameter to another. */
    private static void copyScalars(MemorySegment[] from, MemorySegment[] to, Algorithm algorithm) {
        int first = algorithm.stateNames().size();
        for (int s = first; s < first + algorithm.scalarNames().size(); s++) {
            Algorithm.scalar(to[s], Algorithm.scalar(from[s]));
        }
    }
}
