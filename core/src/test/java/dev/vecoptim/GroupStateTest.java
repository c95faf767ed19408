package dev.vecoptim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vecoptim.io.Json;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The state a reference keeps in its parameter groups ({@link Algorithm#groupEntries()}, Schedule-Free's {@code k},
 * {@code weight_sum} and {@code lr_max}), as state dicts hold it: written into {@code param_groups} beside each
 * parameter's own, exactly (doubles as doubles); read back from the group where the group holds it, so that a file the
 * reference wrote after stepping further (its group's entries new, the per-parameter ones it does not know stale, or
 * none) loads as the reference left it; refused where malformed. A group whose parameters differ writes none.
 */
class GroupStateTest {
    @TempDir
    Path directory;

    /** The registry's optimizer whose reference keeps state in its groups. */
    private static Algorithm algorithm() {
        List<Algorithm> keeping = TestedOptimizers.ALL.stream().map(TestedOptimizers.Kind::prototype)
                .filter(algorithm -> !algorithm.groupEntries().isEmpty()).toList();
        assertFalse(keeping.isEmpty(), "no optimizer of the registry keeps state in its groups");
        return keeping.getFirst().withLr(0.01);
    }

    @Test
    void aStateDictHoldsTheGroupsEntriesBesideEachParametersExactly() throws IOException {
        Path file = directory.resolve("trained.safetensors");
        try (Arena arena = Arena.ofShared(); Optimizer optimizer = trained(arena, algorithm(), 3)) {
            optimizer.saveStateDict(file);
            Map<?, ?> group = groups(file).getFirst();
            Parameter first = optimizer.groups().getFirst().parameters().getFirst();
            algorithm().groupEntries().forEach((entry, name) -> {
                Object expected = name.equals("step") ? (Object) 3L : first.scalar(name);
                assertEquals(expected, group.get(entry), entry);
            });
            assertEquals(true, group.get(GroupState.TRAIN_MODE));
            double weightSum = first.scalar("weight_sum");
            assertTrue((float) weightSum != weightSum, "a weight_sum that is no float: " + weightSum);
            SafetensorsEdit.Contents contents = SafetensorsEdit.read(file, arena);
            assertEquals("F64", contents.tensors().get("state.0.weight_sum").dtype());
        }
    }

    @Test
    void theGroupsEntriesWinOverEachParametersAndStandInForMissingOnes() throws IOException {
        Path file = directory.resolve("further.safetensors");
        try (Arena arena = Arena.ofShared(); Optimizer further = trained(arena, algorithm(), 5)) {
            further.saveStateDict(file);
            List<Parameter> parameters = Checkpoint.inGroupOrder(further);
            for (boolean stale : new boolean[] {true, false}) {
                SafetensorsEdit edit = SafetensorsEdit.of(file);
                for (int i = 0; i < parameters.size(); i++) {
                    for (String name : List.of("step", "weight_sum", "lr_max")) {
                        if (stale) {
                            edit.scalar("state." + i + "." + name, name.equals("step") ? "F32" : "F64", 1);
                        } else {
                            edit.tensors.remove("state." + i + "." + name);
                        }
                    }
                }
                Path edited = directory.resolve("edited.safetensors");
                edit.write(edited);
                try (Optimizer loaded = trained(arena, algorithm(), 0)) {
                    loaded.loadStateDict(edited);
                    List<Parameter> restored = Checkpoint.inGroupOrder(loaded);
                    for (int i = 0; i < parameters.size(); i++) {
                        assertEquals(5, restored.get(i).stepCount());
                        for (String name : List.of("weight_sum", "lr_max")) {
                            assertEquals(parameters.get(i).scalar(name), restored.get(i).scalar(name), name);
                        }
                    }
                }
            }
        }
    }

    @Test
    void aGroupWhoseParametersDifferWritesNoEntriesAndLoadsBackExactly() throws IOException {
        Path file = directory.resolve("joined.safetensors");
        try (Arena arena = Arena.ofShared(); Optimizer optimizer = trained(arena, algorithm(), 2)) {
            ParameterGroup group = optimizer.groups().getFirst();
            group.add(values(arena, 7, 9), arena.allocate(4L * 7));
            optimizer.step();
            optimizer.saveStateDict(file);
            Map<?, ?> written = groups(file).getFirst();
            for (String entry : algorithm().groupEntries().keySet()) {
                assertFalse(written.containsKey(entry), entry + " written for parameters at steps 3 and 1");
            }
            try (Optimizer loaded = trained(arena, algorithm(), 0)) {
                loaded.groups().getFirst().add(values(arena, 7, 9), arena.allocate(4L * 7));
                loaded.loadStateDict(file);
                assertEquals(CheckpointFiles.state(optimizer), CheckpointFiles.state(loaded));
            }
        }
    }

    @Test
    void malformedGroupEntriesAreRefused() throws IOException {
        Path file = directory.resolve("trained.safetensors");
        try (Arena arena = Arena.ofShared(); Optimizer optimizer = trained(arena, algorithm(), 2)) {
            optimizer.saveStateDict(file);
            String k = algorithm().groupEntries().keySet().iterator().next();
            assertRefused(arena, file, group -> group.put(k, -1L), k + " is -1, not a step count");
            assertRefused(arena, file, group -> group.put(k, 2.5), k + " is 2.5, not a step count");
            assertRefused(arena, file, group -> group.put("weight_sum", "x"), "weight_sum is x, not a number");
            assertRefused(arena, file, group -> group.remove(GroupState.TRAIN_MODE), "has no train_mode");
            assertRefused(arena, file, group -> group.put(GroupState.TRAIN_MODE, 1L), "has train_mode=1");
        }
    }

    /** Edits the first group of {@code file} and checks that a load refuses it, naming what is wrong. */
    private void assertRefused(Arena arena, Path file, Consumer<Map<String, Object>> change, String named)
            throws IOException {
        SafetensorsEdit edit = SafetensorsEdit.of(file);
        List<Map<String, Object>> groups = new ArrayList<>();
        for (Object group : (List<?>) Json.parse(edit.metadata.get("param_groups").getBytes(StandardCharsets.UTF_8))) {
            Map<String, Object> copy = new LinkedHashMap<>();
            ((Map<?, ?>) group).forEach((key, value) -> copy.put((String) key, value));
            groups.add(copy);
        }
        change.accept(groups.getFirst());
        edit.metadata.put("param_groups", new String(Json.write(groups), StandardCharsets.UTF_8));
        Path edited = directory.resolve("malformed.safetensors");
        edit.write(edited);
        try (Optimizer loaded = trained(arena, algorithm(), 0)) {
            String before = CheckpointFiles.state(loaded).toString();
            CheckpointException refused = assertThrows(CheckpointException.class, () -> loaded.loadStateDict(edited));
            assertTrue(refused.getMessage().contains(named), refused.getMessage());
            assertEquals(before, CheckpointFiles.state(loaded).toString(), "a refused load changed the optimizer");
        }
    }

    private static List<Map<?, ?>> groups(Path file) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            String json = SafetensorsEdit.read(file, arena).metadata().get("param_groups");
            return ((List<?>) Json.parse(json.getBytes(StandardCharsets.UTF_8))).stream()
                    .<Map<?, ?>>map(group -> (Map<?, ?>) group).toList();
        }
    }

    /** An optimizer of two parameters of {@code algorithm}, stepped {@code steps} times with random gradients. */
    private static Optimizer trained(Arena arena, Algorithm algorithm, int steps) {
        Optimizer optimizer = Optimizer.builder().build();
        ParameterGroup group = optimizer.addGroup(algorithm);
        List<MemorySegment> grads = List.of(arena.allocate(4L * 13), arena.allocate(4L * 5));
        group.add(values(arena, 13, 1), grads.get(0));
        group.add(values(arena, 5, 2), grads.get(1));
        SplittableRandom random = new SplittableRandom(7);
        for (int step = 0; step < steps; step++) {
            for (MemorySegment grad : grads) {
                for (long i = 0; i < grad.byteSize() / 4; i++) {
                    grad.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) random.nextGaussian());
                }
            }
            optimizer.step();
        }
        return optimizer;
    }

    private static MemorySegment values(Arena arena, int elements, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        MemorySegment values = arena.allocate(4L * elements);
        for (long i = 0; i < elements; i++) {
            values.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) random.nextGaussian());
        }
        return values;
    }
}
