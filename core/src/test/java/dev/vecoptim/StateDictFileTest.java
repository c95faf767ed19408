package dev.vecoptim;

import static dev.vecoptim.CheckpointFiles.filled;
import static dev.vecoptim.CheckpointFiles.state;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vecoptim.io.CheckpointHeader;
import dev.vecoptim.io.LittleEndianElements;
import dev.vecoptim.io.Safetensors;
import dev.vecoptim.io.SafetensorsReader;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Optimizer state as safetensors: exact round trips, PyTorch's layout, and refusal of every bad file. */
class StateDictFileTest {
    @TempDir
    Path directory;

    static Stream<TestedOptimizers.Kind> kinds() {
        return TestedOptimizers.ALL.stream();
    }

    /**
     * Group 0 over memory the optimizer allocates (a flat block), group 1 over the caller's; three steps, then
     * (but for SGD, which PyTorch counts no steps for) a parameter added and one more step, so that step counts
     * differ.
     */
    private static Optimizer trained(Arena arena, Algorithm first, Algorithm second, boolean addLate, long seed) {
        Optimizer optimizer = Optimizer.builder().build();
        SplittableRandom random = new SplittableRandom(seed);
        List<Parameter> allocated = optimizer.addGroup(first).allocate(7, 33);
        for (Parameter parameter : allocated) {
            parameter.value().copyFrom(filled(arena, (int) parameter.elementCount(), random));
        }
        ParameterGroup user = optimizer.addGroup(second);
        user.add(filled(arena, 1, random), arena.allocate(4));
        for (int s = 0; s < 3; s++) {
            newGradients(optimizer, random, arena);
            optimizer.step();
        }
        if (addLate) {
            user.add(filled(arena, 5, random), arena.allocate(20));
            newGradients(optimizer, random, arena);
            optimizer.step();
        }
        return optimizer;
    }

    private static void newGradients(Optimizer optimizer, SplittableRandom random, Arena arena) {
        for (ParameterGroup group : optimizer.groups()) {
            for (Parameter parameter : group.parameters()) {
                parameter.grad().copyFrom(filled(arena, (int) parameter.elementCount(), random));
            }
        }
    }

    /** The same structure at other learning rates, values and state, never stepped. */
    private static Optimizer fresh(Arena arena, Optimizer like) {
        return fresh(arena, like, UnaryOperator.identity());
    }

    /** The same, each group's optimizer changed by {@code change}. */
    private static Optimizer fresh(Arena arena, Optimizer like, UnaryOperator<Algorithm> change) {
        Optimizer optimizer = Optimizer.builder().build();
        SplittableRandom random = new SplittableRandom(99);
        for (ParameterGroup group : like.groups()) {
            Algorithm other = change.apply(group.hyperParameters().withLr(group.lr() * 3 + 0.25));
            if (group.index() == 0) {
                optimizer.addGroup(other).allocate(group.parameters().stream().mapToLong(Parameter::elementCount)
                        .toArray());
            } else {
                ParameterGroup added = optimizer.addGroup(other);
                for (Parameter parameter : group.parameters()) {
                    int size = (int) parameter.elementCount();
                    added.add(filled(arena, size, random), filled(arena, size, random));
                }
            }
        }
        return optimizer;
    }

    /** Gives {@code twin} the values and gradients of {@code optimizer}: they are the caller's, not the file's. */
    private static void copyValuesAndGradients(Optimizer optimizer, Optimizer twin) {
        for (ParameterGroup group : optimizer.groups()) {
            for (Parameter parameter : group.parameters()) {
                Parameter other = twin.groups().get(group.index()).parameters().get(parameter.index());
                other.value().copyFrom(parameter.value());
                other.grad().copyFrom(parameter.grad());
            }
        }
    }

    @ParameterizedTest
    @MethodSource("kinds")
    void aFileLoadsBackExactlyAndStepsOnTheSame(TestedOptimizers.Kind kind) throws IOException {
        SplittableRandom random = new SplittableRandom(kind.name().hashCode());
        for (int trial = 0; trial < 4; trial++) {
            Algorithm first = trial == 0 ? kind.everyBuffer() : kind.random().apply(random);
            Algorithm second = kind.random().apply(random);
            try (Arena arena = Arena.ofShared();
                 // A parameter added after the others has a step count of its own, which only a step in the file holds.
                 Optimizer trained = trained(arena, first, second, kind.prototype().keepsStep(), random.nextLong());
                 Optimizer fresh = fresh(arena, trained)) {
                Path file = directory.resolve(kind.name() + ".safetensors");
                trained.saveStateDict(file);
                fresh.loadStateDict(file);
                assertEquals(state(trained), state(fresh), () -> first + " / " + second);
                copyValuesAndGradients(trained, fresh);
                trained.step();
                fresh.step();
                assertArrayEquals(ModelMemory.stateBits(trained), ModelMemory.stateBits(fresh));
            }
        }
    }

    @Test
    void theFileIsLaidOutAsPyTorchsStateDict() throws IOException {
        try (Arena arena = Arena.ofShared();
             Optimizer optimizer = trained(arena, Adam.builder().amsgrad(true).build(),
                     Adam.builder().amsgrad(true).lr(0.5).weightDecay(0.25).build(), true, 3)) {
            Path file = directory.resolve("adam.safetensors");
            optimizer.saveStateDict(file);
            byte[] bytes = Files.readAllBytes(file);
            ByteBuffer littleEndianBytes = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
            int headerLength = (int) littleEndianBytes.getLong(0);
            assertEquals(0, headerLength % 8, "the header is padded to 8 bytes");
            String header = new String(bytes, 8, headerLength, StandardCharsets.UTF_8);
            assertTrue(header.startsWith("{\"__metadata__\":{\"format\":\"torch.optim state_dict\",\"param_groups\":"
                    + "\"[{\\\"lr\\\":0.001,\\\"betas\\\":[0.9,0.999],\\\"eps\\\":1.0E-8,\\\"weight_decay\\\":0.0,"
                    + "\\\"amsgrad\\\":true,\\\"maximize\\\":false,\\\"params\\\":[0,1]},{\\\"lr\\\":0.5,"
                    + "\\\"betas\\\":[0.9,0.999],\\\"eps\\\":1.0E-8,\\\"weight_decay\\\":0.25,\\\"amsgrad\\\":true,"
                    + "\\\"maximize\\\":false,\\\"params\\\":[2,3]}]\",\"optimizers\":\"[\\\"Adam\\\",\\\"Adam\\\"]\","
                    + "\"step_count\":\"4\",\"semantics\":\"[\\\"PYTORCH_2\\\",\\\"PYTORCH_2\\\"]\","
                    + "\"rounding\":\"[{\\\"fused\\\":false,\\\"stochastic_rounding_seed\\\":null},"
                    + "{\\\"fused\\\":false,\\\"stochastic_rounding_seed\\\":null}]\",\"schedules\":\"[null,null]\","
                    + "\"crc32\":\""), header);
            assertTrue(header.matches("(?s).*\"crc32\":\"[0-9a-f]{8}\"},\"state\\.0\\.exp_avg\".*"), header);
            assertTrue(header.stripTrailing().endsWith("}"), header);
            assertTrue(header.length() - header.stripTrailing().length() < 8, "padded with spaces, no more");

            SafetensorsEdit contents = SafetensorsEdit.of(file);
            Set<String> expected = new TreeSet<>();
            for (int i = 0; i < 4; i++) {
                expected.addAll(List.of("state." + i + ".exp_avg", "state." + i + ".exp_avg_sq",
                        "state." + i + ".max_exp_avg_sq", "state." + i + ".step"));
            }
            assertEquals(expected, new TreeSet<>(contents.tensors.keySet()));
            List<Parameter> parameters = Checkpoint.inGroupOrder(optimizer);
            for (int i = 0; i < parameters.size(); i++) {
                Parameter parameter = parameters.get(i);
                SafetensorsEdit.Raw step = contents.tensors.get("state." + i + ".step");
                assertEquals("F32", step.dtype());
                assertEquals(0, step.shape().length);
                assertEquals((float) parameter.stepCount(), ByteBuffer.wrap(step.bytes()).order(ByteOrder.LITTLE_ENDIAN)
                        .getFloat());
                for (String name : parameter.stateNames()) {
                    SafetensorsEdit.Raw buffer = contents.tensors.get("state." + i + "." + name);
                    assertEquals("F32", buffer.dtype());
                    assertArrayEquals(new long[] {parameter.elementCount()}, buffer.shape());
                    MemorySegment littleEndian = MemorySegment.ofArray(buffer.bytes());
                    for (long k = 0; k < parameter.elementCount(); k++) {
                        assertEquals(Float.floatToRawIntBits(parameter.state(name).getAtIndex(ValueLayout.JAVA_FLOAT, k)),
                                littleEndian.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN),
                                        4 * k), name);
                    }
                }
            }
            assertEquals(List.of(4L, 4L, 4L, 1L), parameters.stream().map(Parameter::stepCount).toList());
        }
    }

    @Test
    void sgdCountsTheDeclaredStepsOnceItsMomentumBufferExists() throws IOException {
        Algorithm sgd = Sgd.builder(0.1).momentum(0.9).dampening(0.5).build();
        try (Arena arena = Arena.ofShared(); Optimizer trained = trained(arena, sgd, sgd, false, 7);
             Optimizer fresh = fresh(arena, trained)) {
            ParameterGroup late = trained.groups().get(1);
            late.add(filled(arena, 3, new SplittableRandom(1)), arena.allocate(12));
            Path file = directory.resolve("sgd.safetensors");
            trained.saveStateDict(file);
            SafetensorsEdit contents = SafetensorsEdit.of(file);
            assertEquals(Set.of("state.0.momentum_buffer", "state.1.momentum_buffer", "state.2.momentum_buffer"),
                    contents.tensors.keySet(), "a parameter that never stepped has no buffer yet, as in PyTorch");
            fresh.groups().get(1).add(filled(arena, 3, new SplittableRandom(2)), arena.allocate(12));
            fresh.loadStateDict(file);
            assertEquals(state(trained), state(fresh));

            contents.metadata.remove("step_count");
            contents.write(file);
            fresh.loadStateDict(file);
            assertEquals(1, fresh.stepCount(), "PyTorch's SGD counts no steps");
            assertEquals(List.of(1L, 1L, 1L, 0L), Checkpoint.inGroupOrder(fresh).stream().map(Parameter::stepCount)
                    .toList());
            copyValuesAndGradients(trained, fresh);
            trained.step();
            fresh.step();
            assertArrayEquals(valueBits(trained), valueBits(fresh), "the last parameter's first step copies its"
                    + " gradient into its buffer; the others decay theirs");
        }
    }

    @Test
    void aParameterThatHasNotSteppedHasEntriesOnlyWherePyTorchMakesThemBeforeTheFirstStep() throws IOException {
        for (Algorithm algorithm : List.of(Asgd.builder().build(), Rprop.builder().build(), Adam.builder().build(),
                Adagrad.builder().initialAccumulatorValue(0.5).build())) {
            try (Arena arena = Arena.ofShared(); Optimizer trained = trained(arena, algorithm, algorithm, false, 31)) {
                trained.groups().get(1).add(filled(arena, 3, new SplittableRandom(3)), arena.allocate(12));
                Path file = directory.resolve("late.safetensors");
                trained.saveStateDict(file);
                Set<String> late = new TreeSet<>();
                SafetensorsEdit.of(file).tensors.keySet().stream().filter(name -> name.startsWith("state.3."))
                        .forEach(late::add);
                assertEquals(algorithm.eagerState() ? Set.of("state.3.step", "state.3.sum") : Set.of(), late,
                        algorithm.toString());
            }
        }
    }

    private static int[][] valueBits(Optimizer optimizer) {
        return Checkpoint.inGroupOrder(optimizer).stream()
                .map(parameter -> dev.vecoptim.kernel.TestFloats.canonicalBits(parameter.value())).toArray(int[][]::new);
    }

    @Test
    void aParameterWithoutStateStartsAfreshAsInPyTorch() throws IOException {
        for (Algorithm algorithm : List.of(Adagrad.builder().initialAccumulatorValue(0.5).build(),
                Rprop.builder().lr(0.125).build(), Asgd.builder().lr(0.25).build())) {
            try (Arena arena = Arena.ofShared(); Optimizer trained = trained(arena, algorithm, algorithm, false, 11);
                 Optimizer loaded = fresh(arena, trained); Optimizer reference = Optimizer.builder().build()) {
                Path file = directory.resolve("partial.safetensors");
                trained.saveStateDict(file);
                SafetensorsEdit edit = SafetensorsEdit.of(file);
                edit.tensors.keySet().removeIf(name -> name.startsWith("state.2."));
                edit.write(file);
                loaded.loadStateDict(file);
                Parameter afresh = Checkpoint.inGroupOrder(loaded).get(2);
                assertEquals(0, afresh.stepCount());
                // Where the group's restored hyper-parameters start a parameter of that size.
                Parameter start = reference.addGroup(trained.groups().get(1).hyperParameters())
                        .add(arena.allocate(afresh.value().byteSize()), arena.allocate(afresh.grad().byteSize()));
                for (String name : afresh.stateNames()) {
                    assertArrayEquals(start.state(name).toArray(ValueLayout.JAVA_INT),
                            afresh.state(name).toArray(ValueLayout.JAVA_INT), algorithm + " " + name);
                }
                for (String name : afresh.scalarNames()) {
                    assertEquals(start.scalar(name), afresh.scalar(name), algorithm + " " + name);
                }
                List<Object> expected = state(trained);
                List<Object> got = state(loaded);
                int lastParameter = 1 + afresh.stateNames().size() + afresh.scalarNames().size();
                assertEquals(expected.subList(0, expected.size() - lastParameter),
                        got.subList(0, got.size() - lastParameter), "the other parameters load as saved");
            }
        }
    }

    private static Number[] zeros(int count) {
        Number[] zeros = new Number[count];
        java.util.Arrays.fill(zeros, 0f);
        return zeros;
    }

    /** Saves a trained Adam (AMSGrad, two groups), edits the file, and expects {@code message} on loading it. */
    private void assertRefusedAfter(EditStep edit, String message) throws IOException {
        assertRefusedAfter(edit, file -> message);
    }

    /** The same, with a message that depends on the edited file. */
    private void assertRefusedAfter(EditStep edit, MessageOf expectedMessage) throws IOException {
        try (Arena arena = Arena.ofShared();
             Optimizer trained = trained(arena, Adam.builder().amsgrad(true).build(),
                     Adam.builder().amsgrad(true).build(), true, 13);
             Optimizer target = fresh(arena, trained)) {
            Path file = Files.createTempFile(directory, "edited", ".safetensors");
            trained.saveStateDict(file);
            edit.apply(file);
            String message = expectedMessage.of(file);
            List<Object> before = state(target);
            CheckpointException thrown = assertThrows(CheckpointException.class, () -> target.loadStateDict(file));
            assertTrue(thrown.getMessage().contains(message), () -> "'" + thrown.getMessage() + "' lacks '" + message + "'");
            assertTrue(thrown.getMessage().startsWith(file.toAbsolutePath().toString()), thrown.getMessage());
            assertEquals(before, state(target), "a refused file changed the optimizer");
        }
    }

    /** A change to a saved file. */
    private interface EditStep {
        void apply(Path file) throws IOException;
    }

    /** The message a load of an edited file must give. */
    private interface MessageOf {
        String of(Path file) throws IOException;
    }

    private static byte[] littleEndianLength(long length, String header) {
        byte[] text = header.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(8 + text.length).order(ByteOrder.LITTLE_ENDIAN).putLong(length).put(text).array();
    }

    private static EditStep header(UnaryOperator<String> change) {
        return file -> SafetensorsEdit.of(file).write(file, change);
    }

    private static EditStep tensors(java.util.function.Consumer<SafetensorsEdit> change) {
        return file -> {
            SafetensorsEdit edit = SafetensorsEdit.of(file);
            change.accept(edit);
            edit.write(file);
        };
    }

    private static EditStep groups(UnaryOperator<String> change) {
        return tensors(edit -> edit.metadata.put("param_groups", change.apply(edit.metadata.get("param_groups"))));
    }

    @Test
    void filesThatAreNotSafetensorsAreRefused() throws IOException {
        assertRefusedAfter(file -> Files.writeString(file, "not a safetensors file"),
                "its header length 7021991845529153390 is beyond safetensors' limit of 100000000 bytes");
        assertRefusedAfter(file -> Files.write(file, new byte[7]), "it has 7 bytes, fewer than a header length");
        assertRefusedAfter(file -> Files.write(file, new byte[8]), "its header length 0 leaves no room for a JSON object");
        assertRefusedAfter(file -> Files.write(file, littleEndianLength(1, "{")),
                "its header length 1 leaves no room for a JSON object");
        assertRefusedAfter(file -> Files.write(file, littleEndianLength(Safetensors.MAX_HEADER_BYTES, "{}")),
                "its header length 100000000 is more than a state dict of this optimizer's 4 parameters can need"
                        + " (81920 bytes)");
        assertRefusedAfter(file -> Files.write(file, littleEndianLength(81920, "{}")),
                "its header length 81920 is more than the 2 bytes after it");
        assertRefusedAfter(file -> Files.write(file, littleEndianLength(3, "{}")),
                "its header length 3 is more than the 2 bytes after it");
        assertRefusedAfter(file -> Files.write(file, littleEndianLength(2, "{}")),
                "its __metadata__ has no format \"torch.optim state_dict\": it holds no optimizer's state");
        assertRefusedAfter(file -> {
            Files.delete(file);
            Files.createDirectory(file);
        }, "is a directory, not a safetensors file");
        assertRefusedAfter(header(json -> "{\"__metadata__\":" + json), "its header is not JSON");
        assertRefusedAfter(header(json -> json.replace("}}", "},\"state.0.step\":{}}")), "Duplicate");
        assertRefusedAfter(header(json -> "[" + json + "]"), "its header is not a JSON object");
        assertRefusedAfter(header(json -> json.replace("\"data_offsets\":[0,", "\"data_offsets\":[4,")),
                "tensor state.0.exp_avg of shape [7] and dtype F32 does not take the 24 bytes its data_offsets give it");
        assertRefusedAfter(header(json -> json.replace("\"data_offsets\":[0,28]", "\"data_offsets\":[29,28]")),
                "tensor state.0.exp_avg's data_offsets are not [begin, end] with begin <= end");
        assertRefusedAfter(header(json -> java.util.regex.Pattern.compile("\"data_offsets\":\\[(\\d+),(\\d+)\\]")
                .matcher(json).replaceAll(offsets -> "\"data_offsets\":[" + (Long.parseLong(offsets.group(1)) + 4) + ","
                        + (Long.parseLong(offsets.group(2)) + 4) + "]")),
                "tensor state.0.exp_avg starts at byte 4 of the data, leaving a gap (the tensors before it end at 0)");
        assertRefusedAfter(header(json -> json.replace("\"data_offsets\":[28,56]", "\"data_offsets\":[0,28]")),
                "starts at byte 0 of the data, inside another tensor (the tensors before it end at 28)");
        assertRefusedAfter(tensors(edit -> edit.put("state.0.unknown", "F32", new long[] {0})),
                "tensor state.0.unknown: group 0 parameter 0 (Adam) keeps");
        assertRefusedAfter(header(json -> json.replaceFirst("\"dtype\":\"F32\"", "\"dtype\":\"Q8\"")),
                "which safetensors does not define");
        assertRefusedAfter(header(json -> json.replaceFirst("\"shape\":\\[", "\"shape\":[-1,")),
                "is not a list of integers ≥ 0");
        assertRefusedAfter(file -> Files.write(file, new byte[] {1}, java.nio.file.StandardOpenOption.APPEND),
                file -> "its tensors end at byte " + (Files.size(file) - 1) + " of " + Files.size(file));
        assertRefusedAfter(header(json -> json.replace("\"__metadata__\":{", "\"__metadata__\":{\"n\":1,")),
                "its __metadata__ entry n is not a string");
    }

    @Test
    void filesOfOtherThingsOrOptimizersAreRefused() throws IOException {
        assertRefusedAfter(tensors(edit -> edit.metadata.put("format", "pt")),
                "has no format \"torch.optim state_dict\" (it says \"pt\"): it holds no optimizer's state");
        assertRefusedAfter(tensors(edit -> edit.metadata.remove("param_groups")), "its __metadata__ has no param_groups");
        assertRefusedAfter(groups(json -> json.substring(0, json.indexOf("},{") + 1) + "]"),
                "it has 1 param_groups and this optimizer 2");
        assertRefusedAfter(groups(json -> json.replace("[0,1]", "[1,0]")),
                "param_groups[0] has the params [1, 0] and this optimizer's group 0 [0, 1]");
        assertRefusedAfter(groups(json -> json.replaceFirst("\"eps\":1.0E-8,", "")), "param_groups[0] has no eps");
        assertRefusedAfter(groups(json -> json.replaceFirst("\"amsgrad\":true,", "")), "param_groups[0] has no amsgrad,"
                + " which PyTorch takes as False, and amsgrad=True here; a file restores numbers, not flags");
        assertRefusedAfter(groups(json -> json.replaceFirst("\"eps\"", "\"foo\":1,\"eps\"")),
                "param_groups[0] has foo, which Adam does not have");
        assertRefusedAfter(groups(json -> json.replaceFirst("\"amsgrad\":true", "\"amsgrad\":false")),
                "param_groups[0] has amsgrad=False in the file and amsgrad=True here; a file restores numbers, not flags");
        assertRefusedAfter(groups(json -> json.replaceFirst("\"lr\":0.001", "\"lr\":-1")),
                "param_groups[0] holds invalid hyper-parameters");
        assertRefusedAfter(groups(json -> json.replaceFirst("\"lr\":0.001", "\"lr\":\"fast\"")),
                "param_groups[0] has lr=fast, not a number");
        assertRefusedAfter(groups(json -> json.replaceFirst("\"eps\"", "\"decoupled_weight_decay\":true,\"eps\"")),
                "param_groups[0] has decoupled_weight_decay=True and this group is Adam");
        assertRefusedAfter(tensors(edit -> edit.metadata.put("optimizers", "[\"AdamW\",\"AdamW\"]")),
                "param_groups[0] is AdamW's in the file and Adam here");
        assertRefusedAfter(tensors(edit -> edit.metadata.put("optimizers", "[\"Adam\"]")),
                "its optimizers name 1 groups and this optimizer has 2");
        assertRefusedAfter(tensors(edit -> edit.metadata.put("param_groups", "{}")), "its param_groups is not a JSON list");
        assertRefusedAfter(tensors(edit -> edit.metadata.put("param_groups", "[")), "its param_groups is not JSON");
        assertRefusedAfter(tensors(edit -> edit.metadata.put("param_groups", "[1,2]")),
                "param_groups[0] is not a JSON object");
    }

    @Test
    void malformedValuesAreRefusedByName() throws IOException {
        assertRefusedAfter(groups(json -> json.replaceFirst("\"amsgrad\":true", "\"amsgrad\":null")),
                "param_groups[0] has amsgrad=None, not True or False");
        assertRefusedAfter(groups(json -> json.replaceFirst("\"maximize\":false", "\"maximize\":null")),
                "param_groups[0] has maximize=None, not True or False");
        assertRefusedAfter(groups(json -> json.replaceFirst("\"maximize\":false", "\"maximize\":0")),
                "param_groups[0] has maximize=0, not True or False");
        assertRefusedAfter(groups(json -> json.replaceFirst("\"eps\"", "\"decoupled_weight_decay\":null,\"eps\"")),
                "param_groups[0] has decoupled_weight_decay=None and this group is Adam");
        assertRefusedAfter(groups(json -> json.replaceFirst("\"lr\":0.001", "\"lr\":null")),
                "param_groups[0] has lr=None, not a number");
        assertRefusedAfter(groups(json -> json.replaceFirst("\"eps\":1.0E-8", "\"eps\":true")),
                "param_groups[0] has eps=True, not a number");
        assertRefusedAfter(groups(json -> json.replaceFirst("\"betas\":\\[0.9,0.999]", "\"betas\":null")),
                "param_groups[0] has betas=None, not a tuple of two numbers");
        assertRefusedAfter(groups(json -> json.replaceFirst("\"betas\":\\[0.9,0.999]", "\"betas\":[0.9,\"x\"]")),
                "param_groups[0] has betas=[0.9, x], not a tuple of two numbers");
        assertRefusedAfter(groups(json -> json.replaceFirst("\"params\":\\[0,1]", "\"params\":null")),
                "param_groups[0] has the params null and this optimizer's group 0 [0, 1]");
        assertRefusedAfter(tensors(edit -> edit.metadata.put("steps_count", "4")), "its __metadata__ has steps_count,"
                + " which a state dict does not have (it has format, param_groups, optimizers, step_count, semantics,"
                + " rounding, schedules, grad_scaler, reduce_lr_on_plateau, torch_version, crc32)");
        assertRefusedAfter(tensors(edit -> edit.metadata.put("optimizers", "[null,null]")),
                "its optimizers [null, null] are not PyTorch class names");
        assertRefusedAfter(tensors(edit -> edit.metadata.put("step_count", "NaN")), "its step_count \"NaN\" is not a count");
        assertRefusedAfter(tensors(edit -> edit.scalar("state.1.step", "F64", Double.NaN)),
                "state.1.step is NaN, not a step count");
    }

    @Test
    void aFileFromAnotherSemanticsLoadsWithAWarningThatNamesTheSetting() throws IOException {
        Algorithm older = Adam.builder().semantics(Semantics.PYTORCH_1_13).build();
        try (Arena arena = Arena.ofShared(); Optimizer trained = trained(arena, older, older, false, 53);
             Optimizer target = fresh(arena, trained); Optimizer same = fresh(arena, trained)) {
            Path file = directory.resolve("older.safetensors");
            trained.saveStateDict(file);
            RecordingLogger sameLog = new RecordingLogger();
            StateDictFile.load(same, file, Arena::ofShared, SafetensorsReader.FILE, sameLog);
            assertEquals(List.of(), sameLog.lines, "the same semantics: nothing to say");

            Optimizer newer = Optimizer.builder().build();
            for (ParameterGroup group : trained.groups()) {
                ParameterGroup added = newer.addGroup(group.hyperParameters().withSemantics(Semantics.PYTORCH_2));
                for (Parameter parameter : group.parameters()) {
                    added.add(filled(arena, (int) parameter.elementCount(), new SplittableRandom(1)),
                            arena.allocate(parameter.value().byteSize()));
                }
            }
            try (newer) {
                RecordingLogger log = new RecordingLogger();
                StateDictFile.load(newer, file, Arena::ofShared, SafetensorsReader.FILE, log);
                assertArrayEquals(Checkpoint.inGroupOrder(trained).get(1).state("exp_avg").toArray(ValueLayout.JAVA_INT),
                        Checkpoint.inGroupOrder(newer).get(1).state("exp_avg").toArray(ValueLayout.JAVA_INT),
                        "loaded all the same");
                assertEquals(2, log.lines.size(), log.lines.toString());
                assertEquals("WARNING " + file.toAbsolutePath() + ": group 0 was written by vecoptim under"
                        + " Semantics.PYTORCH_1_13 and runs Semantics.PYTORCH_2 here, whose roundings differ (PyTorch"
                        + " 1.13 against PyTorch 2.x); build it with .semantics(Semantics.PYTORCH_1_13) to go on with"
                        + " the bits of PyTorch 1.13", log.lines.getFirst());

                SafetensorsEdit fromPyTorch = SafetensorsEdit.of(file);
                fromPyTorch.metadata.remove("semantics");
                fromPyTorch.metadata.put("torch_version", "1.13.0a0");
                fromPyTorch.write(file);
                log.lines.clear();
                StateDictFile.load(newer, file, Arena::ofShared, SafetensorsReader.FILE, log);
                assertTrue(log.lines.getFirst().endsWith(": group 0 was written by PyTorch 1.13.0a0 and runs"
                        + " Semantics.PYTORCH_2 here, whose roundings differ (PyTorch 1.13 against PyTorch 2.x); build"
                        + " it with .semantics(Semantics.PYTORCH_1_13) to go on with the bits of PyTorch 1.13"),
                        log.lines.toString());
                log.lines.clear();
                StateDictFile.load(target, file, Arena::ofShared, SafetensorsReader.FILE, log);
                assertEquals(List.of(), log.lines, "PyTorch 1.13's file into 1.13's semantics");
            }
        }
        assertRefusedAfter(tensors(edit -> edit.metadata.put("semantics", "[\"PYTORCH_3\",\"PYTORCH_2\"]")),
                "its semantics[0] PYTORCH_3 is none of [PYTORCH_2, PYTORCH_1_13]");
        assertRefusedAfter(tensors(edit -> edit.metadata.put("semantics", "[\"PYTORCH_2\"]")),
                "its semantics name 1 groups and this optimizer has 2");
        assertRefusedAfter(tensors(edit -> edit.metadata.put("torch_version", "banana")),
                "its torch_version \"banana\" is not a PyTorch version");
    }

    /**
     * A state dict records each group's rounding ({@code rounding}: {@code fused} and the stochastic rounding seed):
     * a file of another loads all the same, with a warning that names the setting; so does a file from PyTorch whose
     * param_groups say {@code fused=True}, into a group of 16-bit parameters that is not fused. {@code fused} is not
     * warned of where every parameter is float32, whose updates it does not change. A malformed entry is refused.
     */
    @Test
    void aFileOfAnotherRoundingLoadsWithAWarningThatNamesTheSetting() throws IOException {
        Algorithm stochastic = Adam.builder().stateDtype(Dtype.BFLOAT16).stochasticRounding(7).build();
        try (Arena arena = Arena.ofShared(); Optimizer trained = trained(arena, stochastic, stochastic, false, 5);
             Optimizer same = fresh(arena, trained);
             Optimizer nearest = fresh(arena, trained, algorithm -> algorithm.toBuilder().nearestRounding().fused(true)
                     .build())) {
            Path file = directory.resolve("stochastic.safetensors");
            trained.saveStateDict(file);
            assertEquals("[{\"fused\":false,\"stochastic_rounding_seed\":7},{\"fused\":false,"
                    + "\"stochastic_rounding_seed\":7}]", SafetensorsEdit.of(file).metadata.get("rounding"));
            RecordingLogger log = new RecordingLogger();
            StateDictFile.load(same, file, Arena::ofShared, SafetensorsReader.FILE, log);
            assertEquals(List.of(), log.lines, "the same rounding: nothing to say");
            StateDictFile.load(nearest, file, Arena::ofShared, SafetensorsReader.FILE, log);
            assertArrayEquals(
                    Checkpoint.inGroupOrder(trained).get(1).state("exp_avg_sq").toArray(ValueLayout.JAVA_SHORT),
                    Checkpoint.inGroupOrder(nearest).get(1).state("exp_avg_sq").toArray(ValueLayout.JAVA_SHORT),
                    "loaded all the same");
            assertEquals(List.of("WARNING " + file.toAbsolutePath() + ": group 0 was written by vecoptim rounding its"
                    + " state stochastically (seed 7) and rounds it to nearest here; build it with"
                    + " .stochasticRounding(7L) to go on with the writer's bits", "WARNING " + file.toAbsolutePath()
                    + ": group 1 was written by vecoptim rounding its state stochastically (seed 7) and rounds it to"
                    + " nearest here; build it with .stochasticRounding(7L) to go on with the writer's bits"),
                    log.lines, "float32 parameters: fused changes nothing");
        }
        Path file = directory.resolve("bfloat16.safetensors");
        try (Optimizer fused = Optimizer.builder().build(); Optimizer plain = Optimizer.builder().build()) {
            fused.addGroup(Adam.builder().fused(true).build()).allocate(Dtype.BFLOAT16, 8);
            plain.addGroup(Adam.builder().build()).allocate(Dtype.BFLOAT16, 8);
            fused.step();
            fused.saveStateDict(file);
            RecordingLogger log = new RecordingLogger();
            StateDictFile.load(plain, file, Arena::ofShared, SafetensorsReader.FILE, log);
            String warning = "group 0 was written by vecoptim with fused=True and runs fused=False here, whose 16-bit"
                    + " updates round otherwise; build it with .fused(true) to go on with the writer's bits";
            assertEquals(List.of("WARNING " + file.toAbsolutePath() + ": " + warning), log.lines);

            SafetensorsEdit fromPyTorch = SafetensorsEdit.of(file);
            fromPyTorch.metadata.remove("rounding");
            fromPyTorch.metadata.remove("semantics");
            fromPyTorch.metadata.put("torch_version", "2.6.0");
            fromPyTorch.metadata.put("param_groups", fromPyTorch.metadata.get("param_groups")
                    .replace("\"params\"", "\"fused\":true,\"params\""));
            fromPyTorch.write(file);
            log.lines.clear();
            StateDictFile.load(plain, file, Arena::ofShared, SafetensorsReader.FILE, log);
            assertEquals(List.of("WARNING " + file.toAbsolutePath() + ": " + warning.replace("vecoptim",
                    "PyTorch 2.6.0")), log.lines);
            log.lines.clear();
            StateDictFile.load(fused, file, Arena::ofShared, SafetensorsReader.FILE, log);
            assertEquals(List.of(), log.lines, "PyTorch's fused file into a fused group");
        }
        assertRefusedAfter(tensors(edit -> edit.metadata.put("rounding", "[{\"fused\":1,"
                + "\"stochastic_rounding_seed\":null},{\"fused\":false,\"stochastic_rounding_seed\":null}]")),
                "its rounding[0] {\"fused\":1,\"stochastic_rounding_seed\":null} is not {\"fused\": a boolean,"
                + " \"stochastic_rounding_seed\": an integer or null}");
        assertRefusedAfter(tensors(edit -> edit.metadata.put("rounding", "[{\"fused\":false},{\"fused\":false,"
                + "\"stochastic_rounding_seed\":null}]")), "its rounding[0] {\"fused\":false} is not");
        assertRefusedAfter(tensors(edit -> edit.metadata.put("rounding", "[]")),
                "its rounding names 0 groups and this optimizer has 2");
        assertRefusedAfter(tensors(edit -> edit.metadata.put("grad_scaler", "[]")), "its grad_scaler is not a JSON"
                + " object");
    }

    @Test
    void theChecksumIsWhereItSaysAndMatchesTheFile() throws IOException {
        String unsigned = "\"crc32\":\"00000000\"";
        assertRefusedAfter(header(json -> json.replace(unsigned, "\"crc32\":\"0000000G\"")),
                "its crc32 \"0000000G\" is not 8 lowercase hexadecimal digits");
        assertRefusedAfter(header(json -> json.replace(unsigned, "\"\\u0063rc32\":\"00000000\"")),
                "its crc32 is not written as \"crc32\":\"<digits>\" exactly once");
        assertRefusedAfter(header(json -> json.replace(unsigned, "\"crc32\":\"12345678\"")),
                "is damaged, truncated, or was changed while it was read: its crc32 does not match its contents");
        assertRefusedAfter(tensors(edit -> edit.metadata.put("optimizers", "[\"AdamW\",\"AdamW\"]")),
                "param_groups[0] is AdamW's in the file and Adam here");
        assertRefusedAfter(file -> {
            tensors(edit -> edit.metadata.put("optimizers", "[\"AdamW\",\"AdamW\"]")).apply(file);
            byte[] bytes = Files.readAllBytes(file);
            bytes[bytes.length - 1] ^= 1;
            Files.write(file, bytes);
        }, "is damaged, truncated, or was changed while it was read: its crc32 does not match its contents");
    }

    @Test
    void aCheckpointGivenAsAStateDictAndTheReverseAreCalledWhatTheyAre() throws IOException {
        try (Arena arena = Arena.ofShared();
             Optimizer optimizer = trained(arena, Adam.builder().build(), Adam.builder().build(), false, 47)) {
            Path checkpoint = directory.resolve("model.ckpt");
            Path stateDict = directory.resolve("model.safetensors");
            optimizer.save(checkpoint);
            optimizer.saveStateDict(stateDict);
            assertEquals(checkpoint.toAbsolutePath() + ": it is a vecoptim checkpoint, not a state dict:"
                    + " Optimizer.load(path) loads it", assertThrows(CheckpointException.class,
                            () -> optimizer.loadStateDict(checkpoint)).getMessage());
            assertEquals(stateDict.toAbsolutePath() + " is not a vecoptim checkpoint (no VECOPTIM magic): it is a"
                    + " safetensors file, which Optimizer.loadStateDict(path) loads if it is a state dict",
                    assertThrows(CheckpointException.class, () -> optimizer.load(stateDict)).getMessage());
        }
    }

    @Test
    void stateThatIsNotThisOptimizersIsRefused() throws IOException {
        assertRefusedAfter(tensors(edit -> edit.rename("state.0.exp_avg", "param.0")),
                "tensor param.0 is not named state.<parameter index>.<state name>");
        assertRefusedAfter(tensors(edit -> edit.rename("state.3.exp_avg", "state.9.exp_avg")),
                "tensor state.9.exp_avg is of parameter 9, and this optimizer has 4");
        assertRefusedAfter(tensors(edit -> edit.rename("state.3.exp_avg", "state.4.exp_avg")),
                "tensor state.4.exp_avg is of parameter 4, and this optimizer has 4");
        assertRefusedAfter(tensors(edit -> edit.scalar("state.1.step", "F32", 0x1p63f)),
                "state.1.step is 9.223372036854776E18, not a step count");
        assertRefusedAfter(tensors(edit -> edit.rename("state.0.exp_avg", "state.0.momentum_buffer")),
                "tensor state.0.momentum_buffer: group 0 parameter 0 (Adam) keeps [exp_avg, exp_avg_sq,"
                        + " max_exp_avg_sq, step]");
        assertRefusedAfter(tensors(edit -> edit.tensors.remove("state.1.exp_avg_sq")),
                "state.1 has [exp_avg, max_exp_avg_sq, step] but no [exp_avg_sq]");
        assertRefusedAfter(tensors(edit -> edit.put("state.1.exp_avg", "F16", new long[] {33}, zeros(33))),
                "state.1.exp_avg is F16 of 33 elements, and group 0 parameter 1 keeps F32 of 33");
        assertRefusedAfter(tensors(edit -> edit.put("state.1.exp_avg", "F32", new long[] {3, 11}, zeros(32))),
                "does not take the");
        assertRefusedAfter(tensors(edit -> edit.put("state.1.exp_avg", "F32", new long[] {32}, zeros(32))),
                "state.1.exp_avg is F32 of 32 elements, and group 0 parameter 1 keeps F32 of 33");
        assertRefusedAfter(tensors(edit -> edit.scalar("state.1.step", "F32", 2.5f)), "state.1.step is 2.5, not a step count");
        assertRefusedAfter(tensors(edit -> edit.scalar("state.1.step", "F64", -1.0)), "state.1.step is -1.0, not a step count");
        assertRefusedAfter(tensors(edit -> edit.scalar("state.1.step", "F32", Float.NaN)), "not a step count");
        assertRefusedAfter(tensors(edit -> edit.scalar("state.1.step", "F16", 2f)), "is F16, not F32, F64, I32 or I64");
        assertRefusedAfter(tensors(edit -> edit.put("state.1.step", "F32", new long[] {2}, 4f, 4f)),
                "state.1.step has 2 elements, not one");
        assertRefusedAfter(tensors(edit -> edit.metadata.put("step_count", "four")), "its step_count \"four\" is not a count");
        assertRefusedAfter(tensors(edit -> edit.metadata.put("step_count", "99999999999999999999")),
                "its step_count 99999999999999999999 is beyond 2^63 - 1");
        assertRefusedAfter(tensors(edit -> edit.metadata.put("step_count", "3")),
                "state.0 has made 4 steps, more than the optimizer's 3 (step_count)");
    }

    @Test
    void scalarsMustBeFloats() throws IOException {
        try (Arena arena = Arena.ofShared();
             Optimizer trained = trained(arena, NAdam.builder().build(), NAdam.builder().build(), false, 17);
             Optimizer target = fresh(arena, trained)) {
            Path file = directory.resolve("nadam.safetensors");
            List<Object> before = state(target);
            trained.saveStateDict(file);
            SafetensorsEdit.of(file).scalar("state.0.mu_product", "F64", 0.1).write(file);
            CheckpointException notFloat = assertThrows(CheckpointException.class, () -> target.loadStateDict(file));
            assertTrue(notFloat.getMessage().endsWith("state.0.mu_product is 0.1, which no float32 is"),
                    notFloat.getMessage());
            SafetensorsEdit.of(file).scalar("state.0.mu_product", "I64", 1).write(file);
            CheckpointException integer = assertThrows(CheckpointException.class, () -> target.loadStateDict(file));
            assertTrue(integer.getMessage().endsWith("state.0.mu_product is I64, not F32 or F64"), integer.getMessage());
            assertEquals(before, state(target));

            trained.saveStateDict(file);
            double muProduct = Checkpoint.inGroupOrder(trained).get(0).scalar("mu_product");
            SafetensorsEdit.of(file).scalar("state.0.mu_product", "F64", muProduct)
                    .scalar("state.0.step", "I64", 3).write(file);
            target.loadStateDict(file);
            assertEquals(state(trained), state(target), "F64 scalars that are floats and I64 steps load");
        }
    }

    @Test
    void whatOnlyChoosesHowPyTorchRunsIsIgnored() throws IOException {
        try (Arena arena = Arena.ofShared();
             Optimizer trained = trained(arena, Adam.builder().build(), Adam.builder().build(), false, 19);
             Optimizer target = fresh(arena, trained)) {
            Path file = directory.resolve("pytorch.safetensors");
            trained.saveStateDict(file);
            SafetensorsEdit edit = SafetensorsEdit.of(file);
            edit.metadata.put("param_groups", edit.metadata.get("param_groups").replace("\"eps\"",
                    "\"foreach\":null,\"fused\":false,\"capturable\":false,\"differentiable\":false,"
                            + "\"initial_lr\":0.1,\"decoupled_weight_decay\":false,\"param_names\":[\"w\"],\"eps\""));
            edit.metadata.remove("optimizers");
            edit.write(file);
            target.loadStateDict(file);
            assertEquals(state(trained), state(target));

            edit.metadata.put("param_groups", edit.metadata.get("param_groups").replace(",\"maximize\":false", ""));
            edit.write(file);
            target.loadStateDict(file);
            assertEquals(state(trained), state(target), "a flag a PyTorch before it did not write is False");

            SafetensorsEdit.Raw weight = edit.tensors.get("state.1.exp_avg");
            edit.tensors.put("state.1.exp_avg", new SafetensorsEdit.Raw("F32", new long[] {3, 11}, weight.bytes()));
            SafetensorsEdit.Raw bias = edit.tensors.get("state.2.exp_avg_sq");
            edit.tensors.put("state.2.exp_avg_sq", new SafetensorsEdit.Raw("F32", new long[0], bias.bytes()));
            edit.write(file);
            target.loadStateDict(file);
            assertEquals(state(trained), state(target), "state in the parameter's shape, a 1-element one 0-dim");
        }
    }

    @Test
    void aStepUnderWayOrAClosedOptimizerIsRefused() throws IOException {
        try (Arena arena = Arena.ofShared()) {
            Optimizer optimizer = trained(arena, Adam.builder().build(), Adam.builder().build(), false, 23);
            Path file = directory.resolve("any.safetensors");
            optimizer.saveStateDict(file);
            optimizer.stepParameters(List.of(Checkpoint.inGroupOrder(optimizer).get(0)));
            IllegalStateException saving = assertThrows(IllegalStateException.class,
                    () -> optimizer.saveStateDict(directory.resolve("other.safetensors")));
            assertTrue(saving.getMessage().contains("nothing can be saved"), saving.getMessage());
            assertFalse(Files.exists(directory.resolve("other.safetensors")));
            IllegalStateException loading = assertThrows(IllegalStateException.class, () -> optimizer.loadStateDict(file));
            assertTrue(loading.getMessage().contains("nothing can be loaded"), loading.getMessage());
            optimizer.step();
            optimizer.close();
            assertThrows(IllegalStateException.class, () -> optimizer.saveStateDict(file));
            assertThrows(IllegalStateException.class, () -> optimizer.loadStateDict(file));
        }
    }

    @Test
    void abandonedTemporaryFilesOfAStateDictAreRecognisedByTheirHeader() throws IOException {
        Instant old = Instant.now().minus(Duration.ofMinutes(5));
        try (Arena arena = Arena.ofShared();
             Optimizer optimizer = trained(arena, Adam.builder().build(), Adam.builder().build(), false, 29)) {
            Path file = directory.resolve("model.safetensors");
            optimizer.saveStateDict(file);
            byte[] saved = Files.readAllBytes(file);
            Path ours = Files.write(directory.resolve("model.safetensors.111.tmp"), java.util.Arrays.copyOf(saved, 60));
            Path notOurs = Files.write(directory.resolve("model.safetensors.222.tmp"),
                    "{\"__metadata__\":{\"format\":\"pt\"}}".getBytes(StandardCharsets.UTF_8));
            Files.setLastModifiedTime(ours, FileTime.from(old));
            Files.setLastModifiedTime(notOurs, FileTime.from(old));
            optimizer.saveStateDict(file);
            assertFalse(Files.exists(ours));
            assertTrue(Files.exists(notOurs));
        }
    }

    @Test
    void countsPast2To24AreWrittenAsPyTorchHoldsThemAndScalarsAsZeroDimensionalFloats() throws IOException {
        try (Arena arena = Arena.ofShared();
             Optimizer nadam = trained(arena, NAdam.builder().build(), NAdam.builder().build(), false, 37);
             Optimizer target = fresh(arena, nadam);
             Optimizer uninterrupted = fresh(arena, nadam)) {
            Path checkpoint = directory.resolve("nadam.ckpt");
            nadam.save(checkpoint);
            long last = Algorithm.LAST_COUNTED_STEP;
            CheckpointFiles.rewriteHeader(checkpoint, header -> CheckpointFiles.withParameterSteps(
                    CheckpointFiles.withParameterSteps(new CheckpointHeader(last + 5, header.groups()), 0, 0, last),
                    0, 1, last + 5));
            nadam.load(checkpoint);
            uninterrupted.load(checkpoint);
            Path file = directory.resolve("nadam.safetensors");
            nadam.saveStateDict(file);
            try (Arena reading = Arena.ofConfined()) {
                SafetensorsEdit.Contents contents = SafetensorsEdit.read(file, reading);
                ValueLayout.OfFloat littleEndian = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
                for (String step : List.of("state.0.step", "state.1.step")) {
                    assertEquals("F32", contents.tensors().get(step).dtype());
                    assertEquals(0x1p24f, contents.data().get(littleEndian, contents.tensors().get(step).begin()), step);
                }
                Safetensors.Tensor muProduct = contents.tensors().get("state.0.mu_product");
                assertEquals("F32", muProduct.dtype());
                assertEquals(0, muProduct.shape().length);
                assertEquals(Checkpoint.inGroupOrder(nadam).get(0).scalar("mu_product"),
                        contents.data().get(littleEndian, muProduct.begin()));
                assertEquals(String.valueOf(last + 5), contents.metadata().get("step_count"));
            }
            target.loadStateDict(file);
            assertEquals(last + 5, target.stepCount(), "the optimizer's own count, which schedules read, is exact");
            assertEquals(last, Checkpoint.inGroupOrder(target).get(1).stepCount());
            copyValuesAndGradients(nadam, target);
            copyValuesAndGradients(nadam, uninterrupted);
            target.step();
            uninterrupted.step();
            assertArrayEquals(valueBits(uninterrupted), valueBits(target), "every formula counts to 2^24 only");
        }
    }

    @Test
    void aHeaderMayListItsTensorsInAnyOrderAndItsNumbersAsIntegers() throws IOException {
        try (Arena arena = Arena.ofShared();
             Optimizer trained = trained(arena, Adam.builder().build(), Adam.builder().build(), false, 41);
             Optimizer target = fresh(arena, trained)) {
            Path file = directory.resolve("backwards.safetensors");
            trained.saveStateDict(file);
            SafetensorsEdit.of(file).writeListedBackwards(file);
            target.loadStateDict(file);
            assertEquals(state(trained), state(target));

            SafetensorsEdit edit = SafetensorsEdit.of(file);
            edit.metadata.put("param_groups", edit.metadata.get("param_groups")
                    .replaceFirst("\"lr\":0.001", "\"lr\":100000000000000000000000")
                    .replaceFirst("\"weight_decay\":0.0", "\"weight_decay\":2"));
            edit.write(file);
            target.loadStateDict(file);
            assertEquals(1e23, target.groups().get(0).lr());
            assertEquals(2.0, ((Adam) target.groups().get(0).hyperParameters()).weightDecay());
        }
    }

    @Test
    void aStepCountOfZeroAndParametersLongerThanOneCopyLoad() throws IOException {
        Algorithm adagrad = Adagrad.builder().initialAccumulatorValue(0.25).build();
        try (Arena arena = Arena.ofShared(); Optimizer trained = Optimizer.builder().build();
             Optimizer target = Optimizer.builder().build()) {
            int longer = LittleEndianElements.COPY_FLOATS + 1000;
            SplittableRandom random = new SplittableRandom(43);
            trained.addGroup(adagrad).add(filled(arena, longer, random), filled(arena, longer, random));
            target.addGroup(adagrad.withLr(0.5)).add(filled(arena, longer, random), filled(arena, longer, random));
            Path file = directory.resolve("long.safetensors");
            trained.saveStateDict(file);
            target.loadStateDict(file);
            assertEquals(state(trained), state(target), "an Adagrad parameter that has not stepped: step 0");
            trained.step();
            trained.saveStateDict(file);
            target.loadStateDict(file);
            assertEquals(state(trained), state(target));
        }
    }
}
