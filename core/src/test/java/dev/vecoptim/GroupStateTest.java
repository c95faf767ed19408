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
 * The state a reference keeps in its parameter groups ({@link Algorithm#groupEntries()}: a step count, or
 * Schedule-Free's {@code k}, {@code weight_sum} and {@code lr_max}), as state dicts hold it, for
 * every optimizer of the registry whose reference keeps some: written into {@code param_groups} beside each
 * parameter's own, exactly (doubles as doubles); read back from the group where the group holds it, so that a file the
 * reference wrote after stepping further (its group's entries new, the per-parameter ones it does not know stale, or
 * none) loads as the reference left it; refused where malformed. A group whose parameters differ writes none.
 */
class GroupStateTest {
    @TempDir
    Path directory;

    /** The registry's optimizers whose references keep state in their groups. */
    private static List<Algorithm> keeping() {
        List<Algorithm> keeping = TestedOptimizers.ALL.stream().map(TestedOptimizers.Kind::prototype)
                .filter(algorithm -> !algorithm.groupEntries().isEmpty()).map(algorithm -> algorithm.withLr(0.01))
                .toList();
        assertFalse(keeping.isEmpty(), "no optimizer of the registry keeps state in its groups");
        return keeping;
    }

    @Test
    void aStateDictHoldsTheGroupsEntriesBesideEachParametersExactly() throws IOException {
        Path file = directory.resolve("trained.safetensors");
        int doubles = 0;
        for (Algorithm algorithm : keeping()) {
            try (Arena arena = Arena.ofShared(); Optimizer optimizer = trained(arena, algorithm, 3)) {
                optimizer.saveStateDict(file);
                Map<?, ?> group = groups(file).getFirst();
                Parameter first = optimizer.groups().getFirst().parameters().getFirst();
                algorithm.groupEntries().forEach((entry, name) -> {
                    Object expected = name.equals("step") ? (Object) 3L : first.scalar(name);
                    assertEquals(expected, group.get(entry), algorithm.name() + " " + entry);
                });
                assertEquals(algorithm.hasModes() ? true : null, group.get(GroupState.TRAIN_MODE));
                SafetensorsEdit.Contents contents = SafetensorsEdit.read(file, arena);
                for (int s = 0; s < algorithm.scalarNames().size(); s++) {
                    String name = algorithm.scalarNames().get(s);
                    boolean isDouble = algorithm.scalarBytes().get(s) == Double.BYTES;
                    assertEquals(isDouble ? "F64" : "F32", contents.tensors().get("state.0." + name).dtype(), name);
                    if (isDouble && (float) first.scalar(name) != first.scalar(name)) {
                        doubles++;
                    }
                }
            }
        }
        assertTrue(doubles > 0, "no double scalar held a value that no float is");
    }

    @Test
    void theGroupsEntriesWinOverEachParametersAndStandInForMissingOnes() throws IOException {
        Path file = directory.resolve("further.safetensors");
        for (Algorithm algorithm : keeping()) {
            try (Arena arena = Arena.ofShared(); Optimizer further = trained(arena, algorithm, 5)) {
                further.saveStateDict(file);
                List<Parameter> parameters = Checkpoint.inGroupOrder(further);
                for (boolean stale : new boolean[] {true, false}) {
                    SafetensorsEdit edit = SafetensorsEdit.of(file);
                    for (int i = 0; i < parameters.size(); i++) {
                        for (String name : algorithm.groupEntries().values()) {
                            String entry = "state." + i + "." + name;
                            if (stale) {
                                edit.scalar(entry, edit.tensors.get(entry).dtype(), 1);
                            } else {
                                edit.tensors.remove(entry);
                            }
                        }
                    }
                    Path edited = directory.resolve("edited.safetensors");
                    edit.write(edited);
                    try (Optimizer loaded = trained(arena, algorithm, 0)) {
                        loaded.loadStateDict(edited);
                        assertEquals(CheckpointFiles.state(further), CheckpointFiles.state(loaded),
                                algorithm.name() + (stale ? ", stale" : ", missing") + " per-parameter entries");
                    }
                }
            }
        }
    }

    @Test
    void aGroupWhoseParametersDifferWritesNoEntriesAndLoadsBackExactly() throws IOException {
        Path file = directory.resolve("joined.safetensors");
        for (Algorithm algorithm : keeping()) {
            try (Arena arena = Arena.ofShared(); Optimizer optimizer = trained(arena, algorithm, 2)) {
                ParameterGroup group = optimizer.groups().getFirst();
                group.add(values(arena, 7, 9), arena.allocate(4L * 7));
                optimizer.step();
                optimizer.saveStateDict(file);
                Map<?, ?> written = groups(file).getFirst();
                for (String entry : algorithm.groupEntries().keySet()) {
                    assertFalse(written.containsKey(entry), entry + " written for parameters at steps 3 and 1");
                }
                try (Optimizer loaded = trained(arena, algorithm, 0)) {
                    loaded.groups().getFirst().add(values(arena, 7, 9), arena.allocate(4L * 7));
                    loaded.loadStateDict(file);
                    assertEquals(CheckpointFiles.state(optimizer), CheckpointFiles.state(loaded));
                }
            }
        }
    }

    @Test
    void malformedGroupEntriesAreRefused() throws IOException {
        Path file = directory.resolve("trained.safetensors");
        for (Algorithm algorithm : keeping()) {
            try (Arena arena = Arena.ofShared(); Optimizer optimizer = trained(arena, algorithm, 2)) {
                optimizer.saveStateDict(file);
                for (Map.Entry<String, String> entry : algorithm.groupEntries().entrySet()) {
                    String key = entry.getKey();
                    if (entry.getValue().equals("step")) {
                        assertRefused(arena, algorithm, file, group -> group.put(key, -1L),
                                key + " is -1, not a step count");
                        assertRefused(arena, algorithm, file, group -> group.put(key, 2.5),
                                key + " is 2.5, not a step count");
                    }
                    assertRefused(arena, algorithm, file, group -> group.put(key, "x"), key + " is x, not a number");
                }
                if (algorithm.hasModes()) {
                    assertRefused(arena, algorithm, file, group -> group.remove(GroupState.TRAIN_MODE),
                            "has no train_mode");
                    assertRefused(arena, algorithm, file, group -> group.put(GroupState.TRAIN_MODE, 1L),
                            "has train_mode=1");
                }
            }
        }
    }

    /** Edits the first group of {@code file} and checks that a load refuses it, naming what is wrong. */
    private void assertRefused(Arena arena, Algorithm algorithm, Path file, Consumer<Map<String, Object>> change,
                               String named) throws IOException {
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
        try (Optimizer loaded = trained(arena, algorithm, 0)) {
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
