package dev.vecoptim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A {@link ReduceLROnPlateau} is saved and loaded with its optimizer, in checkpoints, state dicts and a sharded
 * optimizer's files: a run stopped in the middle resumes with the same counters and so the same rates; a file and an
 * optimizer that disagree on having one, or on its arguments, are refused with nothing loaded.
 */
class PlateauFilesTest {
    /** Epoch metrics that improve, stall and improve again, so that the counters and cooldown all move. */
    private static final double[] METRICS = {1.0, 0.9, 0.95, 0.97, 0.99, 0.8, 0.85, 0.86, 0.9, 0.7, 0.75, 0.76};
    private static final int STOP = 5;

    @TempDir
    Path directory;

    /** A file of one process's optimizer: how to save it and load it. */
    private enum Kind {
        CHECKPOINT, STATE_DICT;

        void save(Optimizer optimizer, Path file) throws IOException {
            if (this == CHECKPOINT) {
                optimizer.save(file);
            } else {
                optimizer.saveStateDict(file);
            }
        }

        void load(Optimizer optimizer, Path file) throws IOException {
            if (this == CHECKPOINT) {
                optimizer.load(file);
            } else {
                optimizer.loadStateDict(file);
            }
        }
    }

    private static Optimizer twoGroups() {
        Optimizer optimizer = Optimizer.builder().threads(1).build();
        optimizer.addGroup(Sgd.builder(0.1).momentum(0.9).build()).allocate(5);
        optimizer.addGroup(Sgd.builder(0.05).build()).allocate(3);
        return optimizer;
    }

    private static ReduceLROnPlateau.Builder arguments() {
        return ReduceLROnPlateau.builder().patience(1).factor(0.5).cooldown(1).minLrs(List.of(0.01, 0.0));
    }

    /** Runs epochs {@code from} to {@code to} (one step each, then the metric): {@return the rates after each} */
    private static List<String> epochs(Optimizer optimizer, ReduceLROnPlateau plateau, int from, int to) {
        List<String> rates = new ArrayList<>();
        for (int epoch = from; epoch < to; epoch++) {
            for (ParameterGroup group : optimizer.groups()) {
                for (Parameter parameter : group.parameters()) {
                    for (long i = 0; i < parameter.elementCount(); i++) {
                        parameter.grad().setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) Math.sin(epoch + i));
                    }
                }
            }
            optimizer.step();
            plateau.step(METRICS[epoch]);
            rates.add(optimizer.groups().get(0).lr() + " " + optimizer.groups().get(1).lr());
        }
        return rates;
    }

    @Test
    void aStoppedRunResumesWithTheSameCountersFromEitherFile() throws IOException {
        for (Kind kind : Kind.values()) {
            Path file = directory.resolve(kind + ".file");
            List<String> whole;
            Map<String, Object> end;
            try (Optimizer optimizer = twoGroups()) {
                ReduceLROnPlateau plateau = arguments().build(optimizer);
                epochs(optimizer, plateau, 0, STOP);
                kind.save(optimizer, file);
                whole = epochs(optimizer, plateau, STOP, METRICS.length);
                end = plateau.stateDict();
            }
            try (Optimizer resumed = twoGroups()) {
                ReduceLROnPlateau plateau = arguments().build(resumed);
                kind.load(resumed, file);
                assertEquals(whole, epochs(resumed, plateau, STOP, METRICS.length), kind + ": the rates after resuming");
                assertEquals(end.toString(), plateau.stateDict().toString(), kind + ": the counters at the end");
            }
        }
        assertTrue(Files.readString(directory.resolve("STATE_DICT.file"), java.nio.charset.StandardCharsets.ISO_8859_1)
                .contains("\"reduce_lr_on_plateau\""), "the state dict's __metadata__ names it as documented");
    }

    @Test
    void aFileAndAnOptimizerThatDisagreeAreRefusedWithNothingLoaded() throws IOException {
        for (Kind kind : Kind.values()) {
            Path with = directory.resolve(kind + "-with.file");
            Path without = directory.resolve(kind + "-without.file");
            try (Optimizer optimizer = twoGroups(); Optimizer plain = twoGroups()) {
                epochs(optimizer, arguments().build(optimizer), 0, STOP);
                kind.save(optimizer, with);
                kind.save(plain, without);
            }
            String name = kind == Kind.CHECKPOINT ? "the checkpoint" : "the state dict";
            try (Optimizer none = twoGroups()) {
                String before = describe(none);
                assertRefused(kind, none, with, name + " holds a ReduceLROnPlateau's state (best 0.9, num_bad_epochs"
                        + " 0); build one of its arguments on this optimizer (ReduceLROnPlateau.builder()...build"
                        + "(optimizer)) before loading, which the load restores");
                assertEquals(before, describe(none), "nothing was loaded");
            }
            try (Optimizer one = twoGroups()) {
                ReduceLROnPlateau plateau = arguments().build(one);
                Map<String, Object> fresh = plateau.stateDict();
                assertRefused(kind, one, without, name + " holds no ReduceLROnPlateau's state: it was saved without"
                        + " one, and this optimizer's would keep its own counters");
                assertEquals(fresh, plateau.stateDict());
            }
            try (Optimizer other = twoGroups()) {
                ReduceLROnPlateau plateau = arguments().factor(0.25).build(other);
                String before = describe(other);
                assertRefused(kind, other, with, name + "'s ReduceLROnPlateau state is refused: ReduceLROnPlateau's"
                        + " factor is 0.25 here and 0.5 in the state");
                assertEquals(before, describe(other), "nothing was loaded");
                assertEquals(0L, plateau.stateDict().get("last_epoch"));
            }
        }
    }

    /** A checkpoint whose ReduceLROnPlateau state is not a JSON object is refused, saying so. */
    @Test
    void aMalformedStateIsRefused() throws IOException {
        Path file = directory.resolve("malformed.ckpt");
        try (Optimizer optimizer = twoGroups()) {
            arguments().build(optimizer);
            optimizer.save(file);
            for (String malformed : List.of("{\"best\": 0.5", "[1, 2]")) {
                CheckpointFiles.rewriteHeader(file, header -> new dev.vecoptim.io.CheckpointHeader(header.steps(),
                        header.groups(), header.gradScaler(), malformed, header.training()));
                String message = assertThrows(CheckpointException.class, () -> optimizer.load(file)).getMessage();
                assertTrue(message.contains("its ReduceLROnPlateau state is malformed: "), message);
            }
        }
    }

    /** What a load would change: the step count, the rates and every value. */
    private static String describe(Optimizer optimizer) {
        StringBuilder described = new StringBuilder(String.valueOf(optimizer.stepCount()));
        for (ParameterGroup group : optimizer.groups()) {
            described.append(' ').append(group.lr());
            for (Parameter parameter : group.parameters()) {
                for (long i = 0; i < parameter.elementCount(); i++) {
                    described.append(' ').append(parameter.value().getAtIndex(ValueLayout.JAVA_FLOAT, i));
                }
            }
        }
        return described.toString();
    }

    private static void assertRefused(Kind kind, Optimizer optimizer, Path file, String why) {
        String message = assertThrows(CheckpointException.class, () -> kind.load(optimizer, file)).getMessage();
        assertTrue(message.contains(why), message);
    }

    @Test
    void anOptimizerHasOneAtMostAndPyTorchsIntegersAreItsNumbers() {
        try (Optimizer optimizer = twoGroups()) {
            ReduceLROnPlateau plateau = ReduceLROnPlateau.builder().build(optimizer);
            assertEquals("this optimizer has a ReduceLROnPlateau already, whose state its files hold; an optimizer has"
                    + " one at most", assertThrows(IllegalStateException.class,
                            () -> ReduceLROnPlateau.builder().build(optimizer)).getMessage());
            // PyTorch's state_dict() of ReduceLROnPlateau(optimizer) writes min_lrs as the integers [0, 0].
            Map<String, Object> pyTorchs = new LinkedHashMap<>(plateau.stateDict());
            pyTorchs.put("min_lrs", List.of(0L, 0L));
            pyTorchs.put("num_bad_epochs", 3L);
            pyTorchs.put("verbose", false);
            plateau.loadStateDict(pyTorchs);
            assertEquals(3L, plateau.stateDict().get("num_bad_epochs"));
        }
    }

    /** A sharded optimizer's files, whole and in shards, hold its ReduceLROnPlateau, loaded on every process. */
    @Test
    void aShardedOptimizersFilesHoldItToo() {
        List<String> outcomes = ThreadedJob.run(2, world -> {
            try (ShardedOptimizer sharded = ShardedOptimizer.builder(world).threads(1).build();
                 ShardedOptimizer fromWhole = ShardedOptimizer.builder(world).threads(1).build();
                 ShardedOptimizer fromShards = ShardedOptimizer.builder(world).threads(1).build();
                 ShardedOptimizer plain = ShardedOptimizer.builder(world).threads(1).build()) {
                for (ShardedOptimizer each : List.of(sharded, fromWhole, fromShards, plain)) {
                    each.addGroup(Sgd.builder(0.1).build(), 8, 3);
                }
                ReduceLROnPlateau plateau = ReduceLROnPlateau.builder().patience(1).build(sharded);
                for (double metric : new double[] {1.0, 2.0, 3.0}) {
                    plateau.step(metric);
                }
                Path whole = directory.resolve("sharded.ckpt");
                Path manifest = directory.resolve("sharded.manifest");
                sharded.save(whole);
                sharded.saveShards(manifest);
                ReduceLROnPlateau loadedWhole = ReduceLROnPlateau.builder().patience(1).build(fromWhole);
                ReduceLROnPlateau loadedShards = ReduceLROnPlateau.builder().patience(1).build(fromShards);
                fromWhole.load(whole);
                fromShards.loadShards(manifest);
                String refused = assertThrows(CheckpointException.class, () -> plain.load(whole)).getMessage();
                String saved = plateau.stateDict().toString();
                return saved.equals(loadedWhole.stateDict().toString()) + " "
                        + saved.equals(loadedShards.stateDict().toString()) + " " + plateau.stateDict().get("last_epoch")
                        + " " + refused.contains("holds a ReduceLROnPlateau's state");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        assertEquals(Collections.nCopies(2, "true true 3 true"), outcomes);
    }

    @Test
    void noPlateauMeansNoEntry() throws IOException {
        Path file = directory.resolve("plain.safetensors");
        try (Optimizer optimizer = twoGroups()) {
            optimizer.saveStateDict(file);
            assertNull(optimizer.plateau());
        }
        assertTrue(!Files.readString(file, java.nio.charset.StandardCharsets.ISO_8859_1)
                .contains("reduce_lr_on_plateau"));
    }
}
