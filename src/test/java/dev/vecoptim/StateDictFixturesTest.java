package dev.vecoptim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.vecoptim.io.Json;
import dev.vecoptim.io.Safetensors;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Replays the round trip of {@code src/test/python/make_state_dict_fixtures.py}, once for PyTorch 2.6 and once for
 * 1.13 (each under its own {@link Semantics}): PyTorch trained 3 steps and
 * wrote its state with {@code python/state_dict.py}; vecoptim loads it, makes steps 4, 5 and 6, and must then
 * hold exactly PyTorch's own step-6 parameters and state, and export a file equal, tensor for tensor, to
 * PyTorch's own export of step 6. Its export is committed too ({@code vecoptim-*-6}): by hand, PyTorch loaded it,
 * made step 7 and matched its uninterrupted step 7 bit for bit (the script's {@code check}); here, the export
 * must stay byte for byte what was checked.
 */
class StateDictFixturesTest {
    private static final int[][] SIZES = {{12, 5}, {6}};
    private static final ValueLayout.OfFloat LITTLE_ENDIAN_FLOAT =
            ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);
    private static final int RESUMED_AT = 3;
    private static final int HANDED_BACK_AT = 6;
    /** Where the test writes vecoptim's files, for the script's check. */
    private static final Path WRITTEN = Path.of(System.getProperty("vecoptim.basedir", "."), "target", "state_dict");

    /**
     * Every optimizer of the registry that {@code torch.optim} has, under each semantics, as the script built it: its
     * hyper-parameters read from its recorded file's {@code param_groups}, a flag that version of PyTorch lacks
     * being false.
     */
    static Stream<Arguments> optimizers() {
        return Stream.of(Semantics.values()).flatMap(semantics -> Optimizers.pyTorchNames().stream()
                .filter(name -> Optimizers.defaults(name).reproducesPyTorch()).map(name -> {
            Algorithm defaults = Optimizers.defaults(name);
            Map<String, Object> recorded = recordedGroup(version(semantics) + "/" + name);
            Map<String, Object> named = new LinkedHashMap<>(defaults.namedHyperParameters());
            named.replaceAll((key, value) -> recorded.containsKey(key) ? typed(recorded.get(key))
                    : value instanceof Boolean ? false : value);
            return Arguments.of(semantics, name, defaults.withNamedHyperParameters(named).withSemantics(semantics));
        }));
    }

    /** The first of {@code param_groups} that PyTorch wrote when it resumed. */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> recordedGroup(String name) {
        try (Arena arena = Arena.ofConfined()) {
            String groups = SafetensorsEdit.read(fixture(name, "pytorch-state-" + RESUMED_AT), arena).metadata()
                    .get("param_groups");
            return ((List<Map<String, Object>>) Json.parse(groups.getBytes(StandardCharsets.UTF_8))).getFirst();
        } catch (IOException | URISyntaxException e) {
            throw new IllegalStateException(name + "'s recorded state dict cannot be read", e);
        }
    }

    /** A JSON value as the hyper-parameters hold it: numbers as doubles, lists of numbers as tuples. */
    private static Object typed(Object json) {
        return switch (json) {
            case Number number -> number.doubleValue();
            case List<?> numbers -> numbers.stream().mapToDouble(number -> ((Number) number).doubleValue()).toArray();
            default -> json;
        };
    }

    /** Where the script writes each PyTorch's files: {@code 2.6/} or {@code 1.13/}. */
    private static String version(Semantics semantics) {
        return semantics == Semantics.PYTORCH_2 ? "2.6" : "1.13";
    }

    /** The same integer formulas as the script's: exact multiples of 1/16. */
    private static float gradient(int i, long k, int t) {
        return (float) (((k * 31 + t * 17L + i * 11L) % 23 - 11) / 16.0);
    }

    @ParameterizedTest
    @MethodSource("optimizers")
    void vecoptimResumesPyTorchsStateAndHandsItBackExactly(Semantics semantics, String optimizer, Algorithm flags)
            throws Exception {
        String name = version(semantics) + "/" + optimizer;
        try (Arena arena = Arena.ofConfined(); Optimizer resumed = Optimizer.builder().build()) {
            List<Parameter> parameters = new ArrayList<>();
            for (int[] group : SIZES) {
                ParameterGroup added = resumed.addGroup(flags);
                for (int size : group) {
                    parameters.add(added.add(arena.allocate(4L * size, 64), arena.allocate(4L * size, 64)));
                }
            }
            setParameters(parameters, fixture(name, "pytorch-params-" + RESUMED_AT));
            resumed.loadStateDict(fixture(name, "pytorch-state-" + RESUMED_AT));
            // PyTorch's SGD keeps no step count: its momentum buffers say only that a step was made.
            assertEquals(flags.keepsStep() ? RESUMED_AT : 1, resumed.stepCount());
            for (int t = RESUMED_AT + 1; t <= HANDED_BACK_AT; t++) {
                for (int i = 0; i < parameters.size(); i++) {
                    MemorySegment grad = parameters.get(i).grad();
                    for (long k = 0; k < grad.byteSize() / Float.BYTES; k++) {
                        grad.setAtIndex(ValueLayout.JAVA_FLOAT, k, gradient(i, k, t));
                    }
                }
                resumed.step();
            }

            Path written = Files.createDirectories(WRITTEN.resolve(name));
            Path state = written.resolve("vecoptim-state-" + HANDED_BACK_AT + ".safetensors");
            Path values = written.resolve("vecoptim-params-" + HANDED_BACK_AT + ".safetensors");
            resumed.saveStateDict(state);
            writeParameters(parameters, values);

            assertSameTensors(fixture(name, "pytorch-params-" + HANDED_BACK_AT), values);
            assertSameTensors(fixture(name, "pytorch-state-" + HANDED_BACK_AT), state);
            assertArrayEquals(Files.readAllBytes(fixture(name, "vecoptim-state-" + HANDED_BACK_AT)),
                    Files.readAllBytes(state), "the export is no longer the one PyTorch was checked against");
            assertArrayEquals(Files.readAllBytes(fixture(name, "vecoptim-params-" + HANDED_BACK_AT)),
                    Files.readAllBytes(values));
        }
    }

    private static Path fixture(String name, String file) throws URISyntaxException {
        String resource = "/state_dict/" + name + "/" + file + ".safetensors";
        URL url = StateDictFixturesTest.class.getResource(resource);
        assertNotNull(url, resource + " is not committed");
        return Path.of(url.toURI());
    }

    private static void setParameters(List<Parameter> parameters, Path file) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            SafetensorsEdit.Contents contents = SafetensorsEdit.read(file, arena);
            for (int i = 0; i < parameters.size(); i++) {
                Safetensors.Tensor tensor = contents.tensors().get("param." + i);
                MemorySegment.copy(contents.data(), LITTLE_ENDIAN_FLOAT, tensor.begin(), parameters.get(i).value(),
                        ValueLayout.JAVA_FLOAT, 0, parameters.get(i).elementCount());
            }
        }
    }

    private static void writeParameters(List<Parameter> parameters, Path file) throws IOException {
        List<Safetensors.Output> tensors = new ArrayList<>();
        for (int i = 0; i < parameters.size(); i++) {
            tensors.add(new Safetensors.Output("param." + i, new long[] {parameters.get(i).elementCount()},
                    parameters.get(i).value()));
        }
        Safetensors.write(file, Map.of("format", "parameters"), tensors, new byte[0]);
    }

    /** Every tensor of {@code expected} is in {@code actual} with the same dtype, shape and bits, and no other. */
    private static void assertSameTensors(Path expected, Path actual) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            SafetensorsEdit.Contents want = SafetensorsEdit.read(expected, arena);
            SafetensorsEdit.Contents got = SafetensorsEdit.read(actual, arena);
            assertEquals(new java.util.TreeSet<>(want.tensors().keySet()), new java.util.TreeSet<>(got.tensors().keySet()));
            for (Safetensors.Tensor tensor : want.tensors().values()) {
                Safetensors.Tensor twin = got.tensors().get(tensor.name());
                assertEquals(tensor.dtype(), twin.dtype(), tensor.name());
                assertEquals(tensor.elements(), twin.elements(), tensor.name());
                assertArrayEquals(bytes(want.data(), tensor), bytes(got.data(), twin), () -> tensor.name() + " differs");
            }
        }
    }

    private static byte[] bytes(MemorySegment data, Safetensors.Tensor tensor) {
        return data.asSlice(tensor.begin(), tensor.end() - tensor.begin()).toArray(ValueLayout.JAVA_BYTE);
    }
}
