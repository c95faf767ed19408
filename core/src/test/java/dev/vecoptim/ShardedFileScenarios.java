package dev.vecoptim;

import static dev.vecoptim.ShardedRank.fill;
import static dev.vecoptim.ShardedRank.fillAverage;
import static dev.vecoptim.ShardedRank.firstGroup;
import static dev.vecoptim.ShardedRank.secondGroup;
import static dev.vecoptim.ShardedScenarios.SEED;
import static dev.vecoptim.ShardedScenarios.differs;
import static dev.vecoptim.ShardedScenarios.segments;
import static dev.vecoptim.ShardedScenarios.stateDiffers;
import static dev.vecoptim.ShardedSixteenBitScenarios.storeEach;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What {@link ShardedRank}'s processes check of a sharded optimizer's files: a job saves after two steps, and a job
 * of any number of processes (or one process's {@link Optimizer}) resumes from the files, bit for bit as one process
 * that stepped all along. Both sides step NAdam, whose {@code mu_product} is a scalar of the state.
 */
final class ShardedFileScenarios {
    private static final String CHECKPOINT = "sharded.ckpt";
    private static final String STATE_DICT = "sharded.safetensors";
    private static final String ONE_PROCESS = "one-process.ckpt";
    private static final String MANIFEST = "sharded.manifest";

    private ShardedFileScenarios() {
    }

    /** Two groups of NAdam, the second at half the learning rate. */
    static List<ShardedGroup> groups(ShardedOptimizer sharded) {
        Algorithm nadam = NAdam.builder().lr(0.01).build();
        return List.of(sharded.addGroup(nadam, firstGroup()), sharded.addGroup(nadam.withLr(0.005), secondGroup()));
    }

    /** The same groups in one process, allocated as blocks, as a sharded optimizer's files hold them. */
    static List<List<Parameter>> groups(Optimizer reference) {
        Algorithm nadam = NAdam.builder().lr(0.01).build();
        return List.of(reference.addGroup(nadam).allocate(firstGroup()),
                reference.addGroup(nadam.withLr(0.005)).allocate(secondGroup()));
    }

    /** Steps {@code from} to {@code to} of a sharded optimizer with this process's gradients. */
    static void step(ShardedOptimizer sharded, List<ShardedGroup> groups, World world, int from, int to) {
        for (int step = from; step <= to; step++) {
            for (int g = 0; g < groups.size(); g++) {
                fill(groups.get(g).grads(), SEED + g, step, world.rank());
            }
            sharded.step();
        }
    }

    /** Steps {@code from} to {@code to} of one process with the averages of {@code processes}' gradients. */
    static void step(Optimizer reference, List<List<Parameter>> groups, int processes, int from, int to) {
        for (int step = from; step <= to; step++) {
            for (int g = 0; g < groups.size(); g++) {
                fillAverage(segments(groups.get(g), Parameter::grad), SEED + g, step, processes);
            }
            reference.step();
        }
    }

    /**
     * Steps 1 and 2, then saves a checkpoint and a state dict into {@code dir}; the state dict is, byte for byte, the
     * one of one process that made the same steps.
     */
    static String save(World world, Path dir) {
        try (ShardedOptimizer sharded = ShardedOptimizer.builder(world).threads(1).build();
             Optimizer reference = Optimizer.builder().threads(1).build()) {
            List<ShardedGroup> groups = groups(sharded);
            List<List<Parameter>> references = groups(reference);
            for (int g = 0; g < groups.size(); g++) {
                fill(groups.get(g).values(), SEED - g, 0, 0);
                fill(segments(references.get(g), Parameter::value), SEED - g, 0, 0);
            }
            step(sharded, groups, world, 1, 2);
            step(reference, references, world.size(), 1, 2);
            sharded.save(dir.resolve(CHECKPOINT));
            sharded.saveStateDict(dir.resolve(STATE_DICT));
            sharded.saveShards(dir.resolve(MANIFEST));
            Path own = dir.resolve("one-process-" + world.rank() + ".safetensors");
            reference.saveStateDict(own);
            if (world.rank() == 0) {
                reference.save(dir.resolve(ONE_PROCESS));
            }
            world.barrier();
            return Files.mismatch(own, dir.resolve(STATE_DICT)) < 0 ? "OK" : "the state dict is not one process's";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Loads the checkpoint {@link #save} wrote with {@code savedBy} processes, and steps 3 and 4 with this job's
     * gradients: values and state equal one process that loaded the same file and made the same steps. A sharded
     * optimizer that loads the state dict, the checkpoint of the one process that {@link #save} stepped beside, or the
     * shards' files, holds the same state as one that loads the sharded checkpoint.
     */
    static String resume(World world, Path dir) {
        try (ShardedOptimizer sharded = ShardedOptimizer.builder(world).threads(1).build();
             ShardedOptimizer fromStateDict = ShardedOptimizer.builder(world).threads(1).build();
             ShardedOptimizer fromOneProcess = ShardedOptimizer.builder(world).threads(1).build();
             ShardedOptimizer fromShards = ShardedOptimizer.builder(world).threads(1).build();
             Optimizer reference = Optimizer.builder().threads(1).build()) {
            List<ShardedGroup> groups = groups(sharded);
            List<ShardedGroup> stateDictGroups = groups(fromStateDict);
            List<ShardedGroup> oneProcessGroups = groups(fromOneProcess);
            List<ShardedGroup> shardsGroups = groups(fromShards);
            List<List<Parameter>> references = groups(reference);
            sharded.load(dir.resolve(CHECKPOINT));
            fromStateDict.loadStateDict(dir.resolve(STATE_DICT));
            fromOneProcess.load(dir.resolve(ONE_PROCESS));
            fromShards.loadShards(dir.resolve(MANIFEST));
            reference.load(dir.resolve(CHECKPOINT));
            List<String> wrong = new ArrayList<>();
            for (int g = 0; g < groups.size(); g++) {
                wrong.add(stateDiffers(groups.get(g), references.get(g)));
                wrong.add(stateDiffers(stateDictGroups.get(g), references.get(g)));
                wrong.add(stateDiffers(oneProcessGroups.get(g), references.get(g)));
                wrong.add(differs(oneProcessGroups.get(g).values(), segments(references.get(g), Parameter::value),
                        true));
                wrong.add(stateDiffers(shardsGroups.get(g), references.get(g)));
                wrong.add(differs(shardsGroups.get(g).values(), segments(references.get(g), Parameter::value), true));
            }
            if (sharded.stepCount() != 2 || fromStateDict.stepCount() != 2 || fromShards.stepCount() != 2) {
                wrong.add("loaded step counts " + sharded.stepCount() + ", " + fromStateDict.stepCount() + " and "
                        + fromShards.stepCount());
            }
            step(sharded, groups, world, 3, 4);
            step(reference, references, world.size(), 3, 4);
            for (int g = 0; g < groups.size(); g++) {
                wrong.add(differs(groups.get(g).values(), segments(references.get(g), Parameter::value), true));
                wrong.add(stateDiffers(groups.get(g), references.get(g)));
            }
            wrong.removeIf(java.util.Objects::isNull);
            return wrong.isEmpty() ? "OK" : wrong.toString();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The last process loads a damaged copy of the checkpoint, the others the checkpoint: every process throws the
     * same {@link CheckpointException}, naming the last process, and none loaded anything (its step count is 0).
     */
    static String refusedOnEveryProcess(World world, Path dir) {
        int last = world.size() - 1;
        try (ShardedOptimizer sharded = ShardedOptimizer.builder(world).threads(1).build()) {
            groups(sharded);
            Path checkpoint = dir.resolve(CHECKPOINT);
            Path damaged = dir.resolve("damaged-" + world.rank() + ".ckpt");
            byte[] bytes = Files.readAllBytes(checkpoint);
            bytes[bytes.length / 2] ^= 1;
            Files.write(damaged, bytes);
            try {
                sharded.load(world.rank() == last ? damaged : checkpoint);
                return "the damaged copy was loaded";
            } catch (CheckpointException refused) {
                String expected = "process " + last + " of " + world.size() + ": " + dir.resolve("damaged-" + last
                        + ".ckpt");
                return refused.getMessage().startsWith(expected) && sharded.stepCount() == 0 ? "OK"
                        : "refused with " + refused.getMessage() + " at step " + sharded.stepCount();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Files written shard by shard, in a directory of their own: after a second save, the first save's files are gone
     * and its manifest (a copy kept) is refused as naming a missing file; a shard file damaged on disk is refused. Both
     * on every process, with nothing loaded.
     */
    static String shardFilesRefusedOnEveryProcess(World world, Path dir) {
        List<String> wrong = new ArrayList<>();
        try (ShardedOptimizer sharded = ShardedOptimizer.builder(world).threads(1).build()) {
            List<ShardedGroup> groups = groups(sharded);
            step(sharded, groups, world, 1, 1);
            Path manifest = dir.resolve("refusals.manifest");
            Path first = dir.resolve("first.manifest");
            sharded.saveShards(manifest);
            if (world.rank() == 0) {
                Files.copy(manifest, first);
            }
            step(sharded, groups, world, 2, 2);
            sharded.saveShards(manifest);
            wrong.add(refusedLoad(world, first, "is missing: the sharded checkpoint's manifest names it"));
            if (world.rank() == 0) {
                Path last = dir.resolve(dev.vecoptim.io.ShardManifest.read(manifest).shards().get(world.size() - 1)
                        .file());
                byte[] bytes = Files.readAllBytes(last);
                bytes[bytes.length - 1] ^= 1;
                Files.write(last, bytes);
            }
            world.barrier();
            wrong.add(refusedLoad(world, manifest, "is not the file the manifest names"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        wrong.removeIf(java.util.Objects::isNull);
        return wrong.isEmpty() ? "OK" : wrong.toString();
    }

    /** Null if a fresh sharded optimizer's load of {@code manifest} is refused with {@code part} in its message. */
    private static String refusedLoad(World world, Path manifest, String part) throws IOException {
        try (ShardedOptimizer fresh = ShardedOptimizer.builder(world).threads(1).build()) {
            groups(fresh);
            fresh.loadShards(manifest);
            return "loaded " + manifest;
        } catch (CheckpointException refused) {
            return refused.getMessage().contains(part) ? null : "refused with " + refused.getMessage();
        }
    }

    /** bfloat16 AdamW with float32 masters: the 16-bit group of the files' scenarios. */
    private static ShardedGroup sixteenBitGroup(ShardedOptimizer sharded) {
        return sharded.addGroup(sixteenBitAdamW(), Dtype.BFLOAT16, firstGroup());
    }

    private static Algorithm sixteenBitAdamW() {
        return Adam.adamWBuilder().lr(0.01).masterWeights(MasterWeights.FLOAT32).build();
    }

    /**
     * A bfloat16 group with float32 masters: {@code save} steps twice and saves a checkpoint and shard files into
     * {@code dir}; otherwise the files are loaded (at this job's size) and the values, masters included in the state,
     * equal one process that loaded the checkpoint, before and after one more step.
     */
    static String sixteenBitFiles(World world, Path dir, boolean save) {
        dev.vecoptim.kernel.Format format = Dtype.BFLOAT16.format();
        try (ShardedOptimizer sharded = ShardedOptimizer.builder(world).threads(1).build();
             ShardedOptimizer fromShards = ShardedOptimizer.builder(world).threads(1).build();
             Optimizer reference = Optimizer.builder().threads(1).build()) {
            ShardedGroup group = sixteenBitGroup(sharded);
            ShardedGroup shardsGroup = sixteenBitGroup(fromShards);
            List<Parameter> parameters = reference.addGroup(sixteenBitAdamW()).allocate(Dtype.BFLOAT16,
                    firstGroup());
            if (save) {
                storeEach(group.values(), i -> ShardedRank.gradient(SEED, 0, 0, i), format);
                storeEach(segments(parameters, Parameter::value), i -> ShardedRank.gradient(SEED, 0, 0, i), format);
                for (int step = 1; step <= 2; step++) {
                    ShardedSixteenBitScenarios.step(world, sharded, List.of(group), reference, List.of(parameters),
                            step);
                }
                sharded.save(dir.resolve("sixteen.ckpt"));
                sharded.saveShards(dir.resolve("sixteen.manifest"));
                // The checkpoint is one process's, byte for byte: masters and all.
                Path own = dir.resolve("sixteen-one-process-" + world.rank() + ".ckpt");
                reference.save(own);
                String differs = ShardedSixteenBitScenarios.differs(group, parameters, 2, true);
                return differs != null ? differs : Files.mismatch(own, dir.resolve("sixteen.ckpt")) < 0 ? "OK"
                        : "the checkpoint is not one process's";
            }
            sharded.load(dir.resolve("sixteen.ckpt"));
            fromShards.loadShards(dir.resolve("sixteen.manifest"));
            reference.load(dir.resolve("sixteen.ckpt"));
            List<String> wrong = new ArrayList<>();
            wrong.add(ShardedSixteenBitScenarios.differs(group, parameters, 2, true));
            wrong.add(ShardedSixteenBitScenarios.differs(shardsGroup, parameters, 2, true));
            ShardedSixteenBitScenarios.step(world, sharded, List.of(group), reference, List.of(parameters), 3);
            storeEach(shardsGroup.grads(), i -> ShardedRank.gradient(SEED, 3, world.rank(), i), format);
            fromShards.step();
            wrong.add(ShardedSixteenBitScenarios.differs(group, parameters, 3, true));
            wrong.add(ShardedSixteenBitScenarios.differs(shardsGroup, parameters, 3, true));
            wrong.removeIf(java.util.Objects::isNull);
            return wrong.isEmpty() ? "OK" : wrong.toString();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
