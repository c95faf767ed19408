package dev.vecoptim;

import dev.vecoptim.io.RefusedFileException;
import dev.vecoptim.io.ShardManifest;
import dev.vecoptim.mpi.Communicator;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A sharded optimizer's checkpoint written shard by shard: each process writes its shard (values and state) as the
 * checkpoint of a one-process {@link Optimizer} whose groups each hold one parameter, the shard, and process 0 then
 * writes the {@link ShardManifest} that names every process's file. The files of one save share a random name
 * ({@code <manifest>.<save>.<process>-of-<processes>}), so a save that does not finish leaves the previous manifest
 * and its files whole; process 0 deletes the previous save's files once the new manifest is in place. Loading, each
 * process reads the files of the processes whose shards overlap its own (any number of processes: the cut may
 * differ), checks each against the manifest, and takes its range; every process then gathers every shard's values.
 */
final class ShardedCheckpoint {
    private ShardedCheckpoint() {
    }

    /** Writes this process's shard, and on process 0 the manifest, as above; a collective. */
    static void save(Path manifest, List<ShardedGroup> groups, Optimizer shardOptimizer, long steps,
                     Communicator communicator, Agreement agreement) throws IOException {
        int processes = communicator.size();
        String prefix = manifest.getFileName() + "." + saveName(communicator) + ".";
        Path own = manifest.resolveSibling(prefix + communicator.rank() + "-of-" + processes);
        Exception failure = null;
        MemorySegment records = Arena.ofAuto().allocate((long) processes * 4 * Integer.BYTES);
        try (Optimizer piece = piece(groups, ownCounts(groups), shardOptimizer)) {
            copyOwnShard(groups, piece, steps);
            piece.save(own);
            ShardManifest.Shard shard = ShardManifest.Shard.of(own);
            long at = (long) communicator.rank() * 4 * Integer.BYTES;
            records.set(ValueLayout.JAVA_LONG_UNALIGNED, at, shard.bytes());
            records.set(ValueLayout.JAVA_INT_UNALIGNED, at + Long.BYTES, shard.crc32c());
        } catch (IOException | RuntimeException e) {
            failure = e;
        }
        doneOrDelete(agreement, failure, own);
        int[] fours = new int[processes];
        Arrays.fill(fours, 4);
        // Raw bits, copied as they are: the records travel as floats but are never added.
        communicator.allGather(records, fours);
        if (communicator.rank() == 0) {
            try {
                writeManifest(manifest, groups, steps, prefix, records, processes);
            } catch (IOException | RuntimeException e) {
                failure = e;
            }
        }
        doneOrDelete(agreement, failure, own);
    }

    /** Agrees on the outcome of a part of a save; when any process failed, this one's new file goes. */
    private static void doneOrDelete(Agreement agreement, Exception failure, Path own) throws IOException {
        try {
            agreement.done(failure);
        } catch (IOException | RuntimeException e) {
            try {
                Files.deleteIfExists(own);
            } catch (IOException notDeleted) {
                e.addSuppressed(notDeleted);
            }
            throw e;
        }
    }

    /** A name no other save shares, drawn by process 0. */
    private static String saveName(Communicator communicator) {
        MemorySegment name = Arena.ofAuto().allocate(Long.BYTES);
        name.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, ThreadLocalRandom.current().nextLong());
        communicator.broadcast(name, 0);
        return HexFormat.of().toHexDigits(name.get(ValueLayout.JAVA_LONG_UNALIGNED, 0));
    }

    private static void writeManifest(Path manifest, List<ShardedGroup> groups, long steps, String prefix,
                                      MemorySegment records, int processes) throws IOException {
        List<ShardManifest.Shard> shards = new ArrayList<>();
        for (int p = 0; p < processes; p++) {
            long at = (long) p * 4 * Integer.BYTES;
            shards.add(new ShardManifest.Shard(prefix + p + "-of-" + processes,
                    records.get(ValueLayout.JAVA_LONG_UNALIGNED, at),
                    records.get(ValueLayout.JAVA_INT_UNALIGNED, at + Long.BYTES)));
        }
        List<long[]> counts = new ArrayList<>();
        for (ShardedGroup group : groups) {
            counts.add(Arrays.stream(group.shards().counts()).asLongStream().toArray());
        }
        List<ShardManifest.Shard> previous = List.of();
        if (Files.exists(manifest)) {
            try {
                previous = ShardManifest.read(manifest).shards();
            } catch (IOException unreadable) {
                // Not a manifest of ours, or damaged: replaced, and nothing of it deleted.
            }
        }
        new ShardManifest(processes, steps, counts, shards).write(manifest);
        for (ShardManifest.Shard old : previous) {
            if (shards.stream().noneMatch(shard -> shard.file().equals(old.file()))) {
                Files.deleteIfExists(manifest.resolveSibling(old.file()));
            }
        }
    }

    /**
     * Loads the checkpoint of {@code manifest} into this process's shards, as above; a collective. Nothing changes
     * unless every process could read and check all it needs.
     */
    static void load(Path manifest, List<ShardedGroup> groups, Optimizer shardOptimizer, Communicator communicator,
                     Agreement agreement) throws IOException {
        List<Optimizer> pieces = new ArrayList<>();
        List<Integer> read = new ArrayList<>();
        Exception failure = null;
        ShardManifest contents = null;
        try {
            contents = ShardManifest.read(manifest);
            checkGroups(manifest, contents, groups);
            for (int q = 0; q < contents.processes(); q++) {
                if (overlaps(contents, q, groups) || q == 0) {
                    contents.shards().get(q).check(manifest.resolveSibling(contents.shards().get(q).file()));
                    Optimizer piece = piece(groups, countsOf(contents, q), shardOptimizer);
                    pieces.add(piece);
                    read.add(q);
                    piece.load(manifest.resolveSibling(contents.shards().get(q).file()));
                    if (piece.stepCount() != contents.stepCount()) {
                        throw new CheckpointException(contents.shards().get(q).file() + " is of step "
                                + piece.stepCount() + ", and its manifest " + manifest + " of step "
                                + contents.stepCount());
                    }
                }
            }
        } catch (RefusedFileException refused) {
            failure = new CheckpointException(refused.getMessage(), refused);
        } catch (IOException | RuntimeException e) {
            failure = e;
        }
        try {
            agreement.done(failure);
            for (int k = 0; k < pieces.size(); k++) {
                takeOverlap(contents, read.get(k), pieces.get(k), groups);
            }
            WholeOptimizer.restoreSettings(pieces.getFirst(), groups, shardOptimizer);
            for (ShardedGroup group : groups) {
                communicator.allGather(group.valueBuffer(), group.shards().counts(), group.dtype().bytes());
            }
        } finally {
            for (Optimizer piece : pieces) {
                piece.close();
            }
        }
    }

    private static void checkGroups(Path manifest, ShardManifest contents, List<ShardedGroup> groups)
            throws CheckpointException {
        boolean same = contents.groupCounts().size() == groups.size();
        for (int g = 0; same && g < groups.size(); g++) {
            same = Arrays.stream(contents.groupCounts().get(g)).sum() == groups.get(g).shards().elements();
        }
        if (!same) {
            throw new CheckpointException(manifest + " holds groups of " + contents.groupCounts().stream()
                    .map(counts -> String.valueOf(Arrays.stream(counts).sum())).toList() + " elements, and this"
                    + " optimizer's groups hold " + groups.stream().map(group -> group.shards().elements()).toList());
        }
    }

    /** Whether process {@code q}'s shard of the saved cut overlaps this process's shard in any group. */
    private static boolean overlaps(ShardManifest contents, int q, List<ShardedGroup> groups) {
        for (int g = 0; g < groups.size(); g++) {
            long from = savedStart(contents, g, q);
            long to = from + contents.groupCounts().get(g)[q];
            ShardedGroup group = groups.get(g);
            if (from < group.shardStart() + group.shardElements() && group.shardStart() < to) {
                return true;
            }
        }
        return false;
    }

    private static long savedStart(ShardManifest contents, int g, int q) {
        return Arrays.stream(contents.groupCounts().get(g), 0, q).sum();
    }

    private static long[] countsOf(ShardManifest contents, int q) {
        return contents.groupCounts().stream().mapToLong(counts -> counts[q]).toArray();
    }

    private static long[] ownCounts(List<ShardedGroup> groups) {
        return groups.stream().mapToLong(ShardedGroup::shardElements).toArray();
    }

    /**
     * A one-process optimizer of the groups' hyper-parameters, each group one parameter of {@code counts[g]}, with a
     * copy of {@code shardOptimizer}'s ReduceLROnPlateau if it has one: every file of a save holds its state.
     */
    private static Optimizer piece(List<ShardedGroup> groups, long[] counts, Optimizer shardOptimizer) {
        Optimizer piece = Optimizer.builder().threads(1).build();
        for (int g = 0; g < groups.size(); g++) {
            ParameterGroup pieceGroup = piece.addGroup(groups.get(g).hyperParameters());
            groups.get(g).schedule().ifPresent(pieceGroup::schedule);
            pieceGroup.allocate(groups.get(g).dtype(), counts[g]);
        }
        if (shardOptimizer.plateau() != null) {
            shardOptimizer.plateau().attachCopy(piece);
        }
        piece.restoreMode(shardOptimizer.training());
        return piece;
    }

    /** Copies this process's values and state, step count and scalars into {@code piece}. */
    private static void copyOwnShard(List<ShardedGroup> groups, Optimizer piece, long steps) {
        for (int g = 0; g < groups.size(); g++) {
            ShardedGroup group = groups.get(g);
            Parameter parameter = piece.groups().get(g).parameters().getFirst();
            int elementBytes = group.dtype().bytes();
            MemorySegment.copy(group.valueBuffer(), group.shardStart() * elementBytes, parameter.value(), 0,
                    group.shardElements() * elementBytes);
            MemorySegment[] own = group.ownShard().stateBuffers();
            MemorySegment[] state = parameter.stateBuffers();
            for (int s = 0; s < own.length; s++) {
                MemorySegment.copy(own[s], 0, state[s], 0, own[s].byteSize());
            }
            parameter.stepCount(steps);
        }
        piece.restored(steps);
    }

    /** Copies the values and state of saved process {@code q}'s piece that fall in this process's shards. */
    private static void takeOverlap(ShardManifest contents, int q, Optimizer piece, List<ShardedGroup> groups) {
        for (int g = 0; g < groups.size(); g++) {
            ShardedGroup group = groups.get(g);
            long savedFrom = savedStart(contents, g, q);
            long from = Math.max(savedFrom, group.shardStart());
            long to = Math.min(savedFrom + contents.groupCounts().get(g)[q], group.shardStart()
                    + group.shardElements());
            if (from >= to) {
                continue;
            }
            Parameter parameter = piece.groups().get(g).parameters().getFirst();
            int valueBytes = group.dtype().bytes();
            MemorySegment.copy(parameter.value(), (from - savedFrom) * valueBytes, group.valueBuffer(),
                    from * valueBytes, (to - from) * valueBytes);
            MemorySegment[] own = group.ownShard().stateBuffers();
            MemorySegment[] state = parameter.stateBuffers();
            for (int[] buffer : WholeOptimizer.elementBuffers(group)) {
                MemorySegment.copy(state[buffer[0]], (from - savedFrom) * buffer[1], own[buffer[0]],
                        (from - group.shardStart()) * buffer[1], (to - from) * buffer[1]);
            }
        }
    }
}
