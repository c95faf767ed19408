package dev.vecoptim;

import static dev.vecoptim.CheckpointFiles.filled;
import static dev.vecoptim.CheckpointFiles.state;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.vecoptim.io.Json;
import dev.vecoptim.io.RefusedFileException;
import dev.vecoptim.io.SafetensorsReader;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A state dict never loads wrong: a file vecoptim wrote that was damaged in any one bit, or cut short anywhere,
 * is refused (its checksum tells); a file of something else, however large, is refused from its header alone;
 * a malformed value anywhere is refused with a {@link CheckpointException} that names it, and nothing else
 * escapes; memory that cannot be had refuses the load. Whenever a load is refused, the optimizer is unchanged.
 */
class StateDictIntegrityTest {
    @TempDir
    Path directory;

    static Stream<TestedOptimizers.Kind> kinds() {
        return TestedOptimizers.ALL.stream();
    }

    /** Two groups, three parameters of 3, 2 and 1 floats, stepped {@code steps} times on random gradients. */
    private static Optimizer small(Arena arena, Algorithm algorithm, int steps, long seed) {
        Optimizer optimizer = Optimizer.builder().build();
        SplittableRandom random = new SplittableRandom(seed);
        ParameterGroup first = optimizer.addGroup(algorithm);
        ParameterGroup second = optimizer.addGroup(algorithm.withLr(algorithm.lr() / 2));
        for (int size : new int[] {3, 2}) {
            first.add(filled(arena, size, random), filled(arena, size, random));
        }
        second.add(filled(arena, 1, random), filled(arena, 1, random));
        for (int s = 0; s < steps; s++) {
            for (ParameterGroup group : optimizer.groups()) {
                for (Parameter parameter : group.parameters()) {
                    parameter.grad().copyFrom(filled(arena, (int) parameter.elementCount(), random));
                }
            }
            optimizer.step();
        }
        return optimizer;
    }

    @ParameterizedTest
    @MethodSource("kinds")
    void everyBitFlipAndEveryTruncationOfAStateDictIsRefusedOrLoadsTheSameState(TestedOptimizers.Kind kind)
            throws IOException {
        Algorithm algorithm = kind.everyBuffer();
        try (Arena arena = Arena.ofShared(); Optimizer saved = small(arena, algorithm, 3, 1);
             Optimizer target = small(arena, algorithm.withLr(algorithm.lr() * 3), 0, 2)) {
            Path original = directory.resolve("original.safetensors");
            saved.saveStateDict(original);
            Path reset = directory.resolve("reset.ckpt");
            target.save(reset);
            byte[] bytes = Files.readAllBytes(original);
            List<Object> wanted = state(saved);
            List<Object> untouched = state(target);
            Path file = directory.resolve("variant.safetensors");
            int[] outcomes = new int[2];
            for (long bit = 0; bit < 8L * bytes.length; bit++) {
                byte[] variant = bytes.clone();
                variant[(int) (bit >>> 3)] ^= (byte) (1 << (bit & 7));
                Files.write(file, variant);
                outcomes[load(target, file, "bit " + bit, wanted, untouched, reset)]++;
            }
            for (int length = 0; length < bytes.length; length++) {
                Files.write(file, Arrays.copyOf(bytes, length));
                outcomes[load(target, file, "the first " + length + " bytes", wanted, untouched, reset)]++;
            }
            assertEquals(0, outcomes[1], kind.name() + ": every variant of " + bytes.length + " bytes was refused");
            System.out.println(kind.name() + ": " + outcomes[0] + " damaged variants of a " + bytes.length
                    + "-byte state dict, all refused");
        }
    }

    /**
     * Loads a variant: 0 if refused with the optimizer unchanged, 1 if loaded with exactly the state saved (then
     * reset for the next); anything else fails the test.
     */
    private static int load(Optimizer target, Path file, String variant, List<Object> wanted, List<Object> untouched,
                            Path reset) throws IOException {
        try {
            target.loadStateDict(file);
        } catch (CheckpointException refused) {
            assertEquals(untouched, state(target), variant + ": a refused load changed the optimizer");
            return 0;
        } catch (RuntimeException | IOException other) {
            throw new AssertionError(variant + ": " + other, other);
        }
        assertEquals(wanted, state(target), variant + " loaded a state that the file never held");
        target.load(reset);
        return 1;
    }

    @Test
    void aLargeFileOfSomethingElseIsRefusedFromItsHeaderAlone() throws IOException {
        try (Arena arena = Arena.ofShared(); Optimizer optimizer = small(arena, Adam.builder().build(), 1, 3)) {
            List<Object> before = state(optimizer);
            long tensorBytes = 3L << 30;
            Map<String, String> weights = new LinkedHashMap<>();
            weights.put("model.weight", "{\"dtype\":\"F32\",\"shape\":[" + tensorBytes / 4 + "],\"data_offsets\":[0,"
                    + tensorBytes + "]}");
            assertRefusedReadingOnlyTheHeader(optimizer, sparse("weights.safetensors", "{\"format\":\"pt\"}", weights,
                    tensorBytes), "its __metadata__ has no format \"torch.optim state_dict\" (it says \"pt\"): it"
                    + " holds no optimizer's state (model weights?)");

            Map<String, String> huge = new LinkedHashMap<>();
            huge.put("state.0.exp_avg", weights.get("model.weight"));
            huge.put("state.0.exp_avg_sq", "{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[" + tensorBytes + ","
                    + (tensorBytes + 12) + "]}");
            huge.put("state.0.step", "{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[" + (tensorBytes + 12) + ","
                    + (tensorBytes + 16) + "]}");
            assertRefusedReadingOnlyTheHeader(optimizer, sparse("huge.safetensors", "{\"format\":\"torch.optim"
                    + " state_dict\",\"param_groups\":\"" + groupsOf(optimizer).replace("\"", "\\\"") + "\"}", huge,
                    tensorBytes + 16), "state.0.exp_avg is F32 of 805306368 elements, and group 0 parameter 0 keeps"
                    + " F32 of 3");
            assertEquals(before, state(optimizer));
        }
    }

    @Test
    void memoryThatCannotBeHadRefusesTheLoadAndChangesNothing() throws IOException {
        try (Arena arena = Arena.ofShared(); Optimizer saved = small(arena, Adam.builder().build(), 2, 4);
             Optimizer target = small(arena, Adam.builder().lr(0.5).build(), 0, 5)) {
            Path file = directory.resolve("adam.safetensors");
            saved.saveStateDict(file);
            List<Object> before = state(target);
            long[] asked = {-1};
            RefusedFileException refused = assertThrows(RefusedFileException.class, () -> StateDictFile.load(target, file,
                    () -> new Arena() {
                        private final Arena own = Arena.ofConfined();

                        @Override
                        public MemorySegment allocate(long byteSize, long byteAlignment) {
                            asked[0] = byteSize;
                            throw new OutOfMemoryError("no " + byteSize + " bytes today");
                        }

                        @Override
                        public MemorySegment.Scope scope() {
                            return own.scope();
                        }

                        @Override
                        public void close() {
                            own.close();
                        }
                    }, SafetensorsReader.FILE, new RecordingLogger()));
            long stateBytes = 4L * (3 + 2 + 1) * 2 + 4L * 3;
            assertEquals(stateBytes, asked[0], "exactly the bytes of the state it restores: two buffers and a step each");
            assertTrue(refused.getMessage().endsWith(": cannot allocate the " + stateBytes + " bytes to read its state"
                    + " into (no " + stateBytes + " bytes today); nothing was loaded"), refused.getMessage());
            assertEquals(before, state(target));
        }
    }

    /** JSON values of every type, and numbers and lists of every shape a hyper-parameter takes or does not. */
    private static final List<String> ODD_JSON = List.of("null", "true", "false", "\"x\"", "[]", "{}", "0", "-1", "1.5",
            "1e308", "NaN", "[1]", "[0.5,0.5]", "[1,2,3]", "[null,null]", "[\"a\",\"b\"]", "{\"a\":1}");

    @ParameterizedTest
    @MethodSource("kinds")
    void anyValueOfAnyTypeAnywhereInTheMetadataLoadsOrIsRefusedAsACheckpointException(TestedOptimizers.Kind kind)
            throws IOException {
        Algorithm algorithm = kind.everyBuffer();
        try (Arena arena = Arena.ofShared(); Optimizer saved = small(arena, algorithm, 2, 6);
             Optimizer target = small(arena, algorithm, 0, 7)) {
            Path file = directory.resolve("odd.safetensors");
            saved.saveStateDict(file);
            SafetensorsEdit original = SafetensorsEdit.of(file);
            List<Object> groups = new ArrayList<>((List<?>) Json.parse(original.metadata.get("param_groups")
                    .getBytes(StandardCharsets.UTF_8)));
            List<String> keys = new ArrayList<>(((Map<?, ?>) groups.getFirst()).keySet().stream().map(String::valueOf)
                    .toList());
            keys.addAll(List.of("decoupled_weight_decay", "nesterov", "foreach", "unknown"));
            int tried = 0;
            for (String key : keys) {
                for (String value : ODD_JSON) {
                    Map<Object, Object> group = new LinkedHashMap<>((Map<?, ?>) groups.getFirst());
                    group.put(key, Json.parse(value.getBytes(StandardCharsets.UTF_8)));
                    List<Object> edited = new ArrayList<>(groups);
                    edited.set(0, group);
                    String json = new String(Json.write(edited), StandardCharsets.UTF_8);
                    loadsOrRefuses(target, file, original, "param_groups", json, key + "=" + value);
                    tried++;
                }
            }
            for (String key : List.of("format", "param_groups", "optimizers", "step_count", "steps_count")) {
                for (String value : ODD_JSON) {
                    loadsOrRefuses(target, file, original, key, value, key + "=" + value);
                }
                loadsOrRefuses(target, file, original, key, null, "no " + key);
                tried += ODD_JSON.size() + 1;
            }
            System.out.println(kind.name() + ": " + tried + " odd values loaded or refused");
        }
    }

    /** Loads {@code original} with metadata entry {@code key} set to {@code value} (or removed, if null). */
    private static void loadsOrRefuses(Optimizer target, Path file, SafetensorsEdit original, String key, String value,
                                       String what) throws IOException {
        SafetensorsEdit edit = new SafetensorsEdit();
        edit.signed = true;
        edit.metadata.putAll(original.metadata);
        edit.tensors.putAll(original.tensors);
        if (value == null) {
            edit.metadata.remove(key);
        } else {
            edit.metadata.put(key, value);
        }
        Path variant = file.resolveSibling("variant.safetensors");
        edit.write(variant);
        List<Object> before = state(target);
        try {
            target.loadStateDict(variant);
        } catch (CheckpointException refused) {
            assertEquals(before, state(target), what + ": a refused load changed the optimizer");
            assertTrue(refused.getMessage().startsWith(variant.toAbsolutePath().toString()), refused.getMessage());
        } catch (RuntimeException | IOException other) {
            fail(what + " escaped as " + other, other);
        }
    }

    /** {@code optimizer}'s own param_groups, as its state dict has them. */
    private String groupsOf(Optimizer optimizer) throws IOException {
        Path file = directory.resolve("own.safetensors");
        optimizer.saveStateDict(file);
        return SafetensorsEdit.of(file).metadata.get("param_groups");
    }

    /** A sparse safetensors file: the header, then {@code dataBytes} that take no disk. */
    private Path sparse(String name, String metadata, Map<String, String> tensors, long dataBytes) throws IOException {
        StringBuilder header = new StringBuilder("{\"__metadata__\":").append(metadata);
        tensors.forEach((tensor, described) -> header.append(",\"").append(tensor).append("\":").append(described));
        byte[] json = header.append('}').toString().getBytes(StandardCharsets.UTF_8);
        Path file = directory.resolve(name);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            channel.write(ByteBuffer.allocate(8 + json.length).order(ByteOrder.LITTLE_ENDIAN).putLong(json.length)
                    .put(json).flip());
            channel.write(ByteBuffer.allocate(1), 8 + json.length + dataBytes - 1);
        }
        return file;
    }

    private static void assertRefusedReadingOnlyTheHeader(Optimizer optimizer, Path file, String message)
            throws IOException {
        AtomicReference<CountingChannel> opened = new AtomicReference<>();
        RefusedFileException refused = assertThrows(RefusedFileException.class, () -> StateDictFile.load(optimizer, file,
                Arena::ofConfined, path -> {
                    opened.set(CountingChannel.open(path));
                    return opened.get();
                }, new RecordingLogger()));
        assertTrue(refused.getMessage().endsWith(message), refused.getMessage());
        assertEquals(8 + headerLength(file), opened.get().end(), "read up to the end of the header, and not a byte"
                + " of the data");
    }

    private static long headerLength(Path file) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer length = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            channel.read(length, 0);
            return length.getLong(0);
        }
    }
}
