package dev.vecoptim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.vecoptim.io.Json;
import dev.vecoptim.io.LittleEndianElements;
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
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Replays the round trip of {@code src/test/python/make_state_dict_fixtures.py}, once for PyTorch 2.6 and once for
 * 1.13 (each under its own {@link Semantics}), on float32 tensors and, with PyTorch's single-tensor step, on
 * bfloat16 and float16 ones wherever that PyTorch runs the optimizer on them: PyTorch trained 3 steps and
 * wrote its state with {@code python/state_dict.py}; vecoptim loads it, makes steps 4, 5 and 6, and must then
 * hold exactly PyTorch's own step-6 parameters and state, and export a file equal, tensor for tensor, to
 * PyTorch's own export of step 6. Its export is committed too ({@code vecoptim-*-6}): by hand, PyTorch loaded it,
 * made step 7 and matched its uninterrupted step 7 bit for bit (the script's {@code check}); here, the export
 * must stay byte for byte what was checked.
 */
class StateDictFixturesTest {
    private static final int[][] SIZES = {{12, 5}, {6}};
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
        return Stream.of(Semantics.values()).flatMap(semantics -> Stream.of(Dtype.values()).flatMap(dtype ->
                recordedOn(semantics, dtype).stream().map(name -> {
            Algorithm defaults = Optimizers.defaults(name);
            Map<String, Object> recorded = recordedGroup(directory(semantics, dtype, name));
            Map<String, Object> named = new LinkedHashMap<>(defaults.namedHyperParameters());
            named.replaceAll((key, value) -> recorded.containsKey(key) ? typed(recorded.get(key))
                    : value instanceof Boolean ? false : value);
            return Arguments.of(semantics, dtype, name,
                    defaults.withNamedHyperParameters(named).withSemantics(semantics));
        })));
    }

    /**
     * The optimizers PyTorch ran on {@code dtype} under {@code semantics}: every one of {@code torch.optim} on
     * float32, and on 16-bit tensors those its golden vectors were recorded for, which {@code HalfGoldenVectorsTest}
     * holds to be every one that PyTorch runs there (1.13 refuses most on float16).
     */
    private static List<String> recordedOn(Semantics semantics, Dtype dtype) {
        List<String> pyTorchs = Optimizers.pyTorchNames().stream()
                .filter(name -> Optimizers.defaults(name).reproducesPyTorch()).toList();
        if (dtype == Dtype.FLOAT32) {
            return pyTorchs;
        }
        List<String> golden = GoldenCase.read(semantics, dtype.format()).stream().map(GoldenCase::optimizer)
                .distinct().toList();
        return pyTorchs.stream().filter(name -> golden.contains(name.toLowerCase(java.util.Locale.ROOT))).toList();
    }

    /** Where the script writes each PyTorch's files: {@code 2.6/} or {@code 1.13/}, then the dtype's directory. */
    private static String directory(Semantics semantics, Dtype dtype, String optimizer) {
        return version(semantics) + "/" + (dtype == Dtype.FLOAT32 ? ""
                : dtype.name().toLowerCase(java.util.Locale.ROOT) + "/") + optimizer;
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
    void vecoptimResumesPyTorchsStateAndHandsItBackExactly(Semantics semantics, Dtype dtype, String optimizer,
                                                           Algorithm flags) throws Exception {
        String name = directory(semantics, dtype, optimizer);
        try (Arena arena = Arena.ofConfined(); Optimizer resumed = Optimizer.builder().build()) {
            List<Parameter> parameters = new ArrayList<>();
            for (int[] group : SIZES) {
                ParameterGroup added = resumed.addGroup(flags);
                for (int size : group) {
                    parameters.add(added.add(dtype, arena.allocate((long) dtype.bytes() * size, 64),
                            arena.allocate((long) dtype.bytes() * size, 64)));
                }
            }
            setParameters(parameters, fixture(name, "pytorch-params-" + RESUMED_AT));
            resumed.loadStateDict(fixture(name, "pytorch-state-" + RESUMED_AT));
            // PyTorch's SGD keeps no step count: its momentum buffers say only that a step was made.
            assertEquals(flags.keepsStep() ? RESUMED_AT : 1, resumed.stepCount());
            for (int t = RESUMED_AT + 1; t <= HANDED_BACK_AT; t++) {
                for (int i = 0; i < parameters.size(); i++) {
                    Parameter parameter = parameters.get(i);
                    for (long k = 0; k < parameter.elementCount(); k++) {
                        dtype.set(parameter.grad(), k, gradient(i, k, t));
                    }
                }
                resumed.step();
            }

            handBack(name, parameters, resumed::saveStateDict);
        }
    }

    /** How vecoptim exports its state dict: with a scaler or without. */
    private interface Export {
        void save(Path file) throws IOException;
    }

    /**
     * Writes vecoptim's step-6 state (by {@code export}) and parameters where the script's check finds them, and
     * demands PyTorch's step-6 tensors in them, and the export PyTorch was checked against: the same tensors and
     * metadata, all but the checksum, which a NaN of another sign changes (the float16 Adam of 2.6 divides 0 by an
     * eps that rounds to 0). Returns the state's file.
     */
    private static Path handBack(String name, List<Parameter> parameters, Export export) throws Exception {
        Path written = Files.createDirectories(WRITTEN.resolve(name));
        Path state = written.resolve("vecoptim-state-" + HANDED_BACK_AT + ".safetensors");
        Path values = written.resolve("vecoptim-params-" + HANDED_BACK_AT + ".safetensors");
        export.save(state);
        writeParameters(parameters, values);
        assertSameTensors(fixture(name, "pytorch-params-" + HANDED_BACK_AT), values);
        assertSameTensors(fixture(name, "pytorch-state-" + HANDED_BACK_AT), state);
        assertSameTensors(fixture(name, "vecoptim-state-" + HANDED_BACK_AT), state);
        assertSameMetadata(fixture(name, "vecoptim-state-" + HANDED_BACK_AT), state);
        assertSameTensors(fixture(name, "vecoptim-params-" + HANDED_BACK_AT), values);
        return state;
    }

    /**
     * The script's GradScaler run under PyTorch 2.6: Adam on float32 tensors, gradients scaled, infinite ones at
     * steps 2 and 5, the scale grown every 2 good steps. vecoptim loads PyTorch's step-3 file with a scaler (its
     * scale 512, tracker 1), steps 4 to 6 through the scaler (5 skipped and backed off), and must then hold
     * PyTorch's step-6 parameters, state and scaler state exactly; its export is the one PyTorch resumed, by hand, to
     * its own step 7 and scaler state (the script's {@code check}).
     */
    @org.junit.jupiter.api.Test
    void vecoptimResumesPyTorchsStepsThroughAGradScalerAndHandsBothBack() throws Exception {
        String name = "2.6/Adam-GradScaler";
        Map<String, Object> group = recordedGroup(name);
        Map<String, Object> named = new LinkedHashMap<>(Optimizers.defaults("Adam").namedHyperParameters());
        named.replaceAll((key, value) -> group.containsKey(key) ? typed(group.get(key)) : value);
        Algorithm adam = Optimizers.defaults("Adam").withNamedHyperParameters(named);
        GradScaler scaler = GradScaler.builder().initScale(1024).growthInterval(2).build();
        try (Arena arena = Arena.ofConfined(); Optimizer resumed = Optimizer.builder().build()) {
            List<Parameter> parameters = new ArrayList<>();
            for (int[] sizes : SIZES) {
                ParameterGroup added = resumed.addGroup(adam);
                for (int size : sizes) {
                    parameters.add(added.add(arena.allocate(4L * size, 64), arena.allocate(4L * size, 64)));
                }
            }
            setParameters(parameters, fixture(name, "pytorch-params-" + RESUMED_AT));
            resumed.loadStateDict(fixture(name, "pytorch-state-" + RESUMED_AT), scaler);
            assertEquals(512f, scaler.scale());
            assertEquals(1, scaler.growthTracker());
            for (int t = RESUMED_AT + 1; t <= HANDED_BACK_AT; t++) {
                for (int i = 0; i < parameters.size(); i++) {
                    Parameter parameter = parameters.get(i);
                    for (long k = 0; k < parameter.elementCount(); k++) {
                        Dtype.FLOAT32.set(parameter.grad(), k, i == 0 && k == 0 && t == 5 ? Float.POSITIVE_INFINITY
                                : gradient(i, k, t) * scaler.scale());
                    }
                }
                assertEquals(t == 5, scaler.step(resumed).skipped(), "step " + t);
                scaler.update();
            }

            Path state = handBack(name, parameters, file -> resumed.saveStateDict(file, scaler));
            try (Arena files = Arena.ofConfined()) {
                assertEquals(Json.parse(SafetensorsEdit.read(fixture(name, "pytorch-state-" + HANDED_BACK_AT), files)
                                .metadata().get("grad_scaler").getBytes(StandardCharsets.UTF_8)),
                        Json.parse(SafetensorsEdit.read(state, files).metadata().get("grad_scaler")
                                .getBytes(StandardCharsets.UTF_8)), "the scaler's state");
            }
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
                Parameter parameter = parameters.get(i);
                assertEquals(parameter.dtype().safetensorsName(), tensor.dtype(), "param." + i);
                LittleEndianElements.read(contents.data(), tensor.begin(), parameter.value(), parameter.dtype().bytes(),
                        parameter.elementCount());
            }
        }
    }

    private static void writeParameters(List<Parameter> parameters, Path file) throws IOException {
        List<Safetensors.Output> tensors = new ArrayList<>();
        for (int i = 0; i < parameters.size(); i++) {
            Parameter parameter = parameters.get(i);
            tensors.add(new Safetensors.Output("param." + i, parameter.dtype().safetensorsName(),
                    new long[] {parameter.elementCount()}, parameter.value()));
        }
        Safetensors.write(file, Map.of("format", "parameters"), tensors, new byte[0]);
    }

    /** The same metadata, but for the checksum. */
    private static void assertSameMetadata(Path expected, Path actual) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            Map<String, String> want = new LinkedHashMap<>(SafetensorsEdit.read(expected, arena).metadata());
            Map<String, String> got = new LinkedHashMap<>(SafetensorsEdit.read(actual, arena).metadata());
            want.remove(Safetensors.CHECKSUM);
            got.remove(Safetensors.CHECKSUM);
            assertEquals(want, got, "the export is no longer the one PyTorch was checked against");
        }
    }

    /**
     * Every tensor of {@code expected} is in {@code actual} with the same dtype, shape and bits, and no other; any NaN
     * equals any NaN, as Java fixes no NaN's sign or payload (and neither does the hardware's default NaN).
     */
    private static void assertSameTensors(Path expected, Path actual) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            SafetensorsEdit.Contents want = SafetensorsEdit.read(expected, arena);
            SafetensorsEdit.Contents got = SafetensorsEdit.read(actual, arena);
            assertEquals(new java.util.TreeSet<>(want.tensors().keySet()), new java.util.TreeSet<>(got.tensors().keySet()));
            for (Safetensors.Tensor tensor : want.tensors().values()) {
                Safetensors.Tensor twin = got.tensors().get(tensor.name());
                assertEquals(tensor.dtype(), twin.dtype(), tensor.name());
                assertEquals(tensor.elements(), twin.elements(), tensor.name());
                assertArrayEquals(canonical(want.data(), tensor), canonical(got.data(), twin),
                        () -> tensor.name() + " differs");
            }
        }
    }

    /** A tensor's elements as bits, every NaN the same. */
    private static long[] canonical(MemorySegment data, Safetensors.Tensor tensor) {
        MemorySegment bytes = data.asSlice(tensor.begin(), tensor.end() - tensor.begin());
        return switch (tensor.dtype()) {
            case "F32" -> LongStream.range(0, tensor.elements()).map(i -> Float.floatToIntBits(
                    bytes.getAtIndex(LittleEndianElements.LAYOUT, i))).toArray();
            case "BF16", "F16" -> {
                Dtype dtype = tensor.dtype().equals("BF16") ? Dtype.BFLOAT16 : Dtype.FLOAT16;
                MemorySegment nativeOrder = Arena.ofAuto().allocate(bytes.byteSize());
                LittleEndianElements.read(bytes, 0, nativeOrder, Short.BYTES, tensor.elements());
                yield LongStream.range(0, tensor.elements()).map(i -> Float.floatToIntBits(dtype.get(nativeOrder, i)))
                        .toArray();
            }
            default -> bytes.elements(ValueLayout.JAVA_BYTE).mapToLong(b -> b.get(ValueLayout.JAVA_BYTE, 0)).toArray();
        };
    }
}
