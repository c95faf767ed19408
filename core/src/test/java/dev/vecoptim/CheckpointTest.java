package dev.vecoptim;

import static dev.vecoptim.CheckpointFiles.rewriteHeader;
import static dev.vecoptim.CheckpointFiles.state;
import static dev.vecoptim.CheckpointFiles.trained;
import static dev.vecoptim.CheckpointFiles.withHyperParameter;
import static dev.vecoptim.CheckpointFiles.withParameterSteps;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.Generate.longRange;
import static org.quicktheories.generators.Generate.range;

import dev.vecoptim.CheckpointFixtures.Recipe;
import dev.vecoptim.io.CheckpointHeader;
import dev.vecoptim.io.CheckpointReader;
import dev.vecoptim.io.LittleEndianElements;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/** Checkpoints: exact round trips, the committed formats, and refusal of every damaged or mismatched file. */
class CheckpointTest {
    @TempDir
    Path directory;

    @Test
    void saveLoadThenStepEqualsStepWithoutTheSave() throws IOException {
        try (Arena arena = Arena.ofShared(); Arena other = Arena.ofShared();
             Optimizer uninterrupted = trained(arena, 3); Optimizer resumed = trained(other, 0)) {
            uninterrupted.groups().getFirst().lr(0.01);
            assertResumesExactly(uninterrupted, resumed);
            assertEquals(0.01, resumed.groups().getFirst().lr());
            try (Stream<Path> files = Files.list(directory)) {
                assertEquals(List.of(directory.resolve("resumed.ckpt")), files.toList(), "a temporary file was left behind");
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Recipe.class)
    void groupsRegisteredLayerByLayerLoadIntoTheirOwnParameters(Recipe recipe) throws IOException {
        try (Arena arena = Arena.ofShared(); Optimizer trained = CheckpointFixtures.trained(arena, recipe, 3);
             Optimizer fresh = CheckpointFixtures.trained(arena, recipe, 0)) {
            assertResumesExactly(trained, fresh);
        }
    }

    /**
     * Saves {@code trained}, loads the file into {@code fresh}, gives it the same values and gradients, as a
     * training program would (they are the caller's), and checks that both are and stay equal after a step.
     */
    private void assertResumesExactly(Optimizer trained, Optimizer fresh) throws IOException {
        Path file = directory.resolve("resumed.ckpt");
        trained.save(file);
        fresh.load(file);
        assertEquals(state(trained), state(fresh));
        for (ParameterGroup group : trained.groups()) {
            for (Parameter parameter : group.parameters()) {
                Parameter twin = fresh.groups().get(group.index()).parameters().get(parameter.index());
                twin.value().copyFrom(parameter.value());
                twin.grad().copyFrom(parameter.grad());
            }
        }
        trained.step();
        fresh.step();
        assertEquals(state(trained), state(fresh));
    }

    /** Format 1 was written before Adagrad. */
    @ParameterizedTest
    @EnumSource(names = {"SGD", "RMSPROP", "ADAMW"})
    void filesOfFormat1StillLoadIntoTheirOwnParameters(Recipe recipe) throws IOException {
        Path file = fixture(recipe.resource(1));
        try (Arena arena = Arena.ofShared();
             Optimizer trained = CheckpointFixtures.trained(arena, recipe, CheckpointFixtures.STEPS,
                     Semantics.PYTORCH_1_13);
             Optimizer fresh = CheckpointFixtures.trained(arena, recipe, 0, Semantics.PYTORCH_1_13);
             Optimizer other = CheckpointFixtures.trained(arena, recipe, 0)) {
            fresh.load(file);
            assertEquals(state(trained), state(fresh));
            assertRefused(other, file, "group 0 was saved with PYTORCH_1_13 semantics and runs PYTORCH_2 here; build it"
                    + " with .semantics(Semantics.PYTORCH_1_13) to load this file");
        }
    }

    /**
     * The committed files of the current format pin it: saving their recipe gives the same bytes, and loading them
     * gives the same state. To write them anew after a deliberate change of format, run this test with
     * {@code -Dvecoptim.writeCheckpointFixtures=src/test/resources/checkpoints}.
     */
    @ParameterizedTest
    @EnumSource(Recipe.class)
    void theCommittedFilesOfTheCurrentFormatAreWhatSaveWrites(Recipe recipe) throws IOException {
        String resource = recipe.resource(CheckpointReader.VERSION);
        try (Arena arena = Arena.ofShared();
             Optimizer trained = CheckpointFixtures.trained(arena, recipe, CheckpointFixtures.STEPS);
             Optimizer fresh = CheckpointFixtures.trained(arena, recipe, 0)) {
            String rewrite = System.getProperty("vecoptim.writeCheckpointFixtures");
            if (rewrite != null) {
                trained.save(Path.of(rewrite).resolve(Path.of(resource).getFileName()));
            }
            Path file = directory.resolve("saved.ckpt");
            trained.save(file);
            assertArrayEquals(Files.readAllBytes(fixture(resource)), Files.readAllBytes(file));
            fresh.load(fixture(resource));
            assertEquals(state(trained), state(fresh));
        }
    }

    /**
     * The committed files of formats 2 to the one before the current, each written by the vecoptim of its day from
     * the recipes it could save (format 2: float32 only; 4: 16-bit parameters and state; 5: master weights), still
     * load into the same state.
     */
    @ParameterizedTest
    @MethodSource("earlierFiles")
    void theCommittedFilesOfEarlierFormatsStillLoad(Recipe recipe, int format) throws IOException {
        try (Arena arena = Arena.ofShared();
             Optimizer trained = CheckpointFixtures.trained(arena, recipe, CheckpointFixtures.STEPS);
             Optimizer fresh = CheckpointFixtures.trained(arena, recipe, 0)) {
            fresh.load(fixture(recipe.resource(format)));
            assertEquals(state(trained), state(fresh));
        }
    }

    static Stream<Arguments> earlierFiles() {
        return Stream.of(Recipe.values()).flatMap(recipe -> IntStream.range(recipe.since,
                CheckpointReader.VERSION).mapToObj(format -> Arguments.of(recipe, format)));
    }

    /**
     * A checkpoint refuses a parameter of another dtype, and a group whose updates of 16-bit tensors round
     * otherwise ({@code fused}), as it refuses other semantics: either would change what the steps after compute.
     */
    @Test
    void aCheckpointRefusesAnotherDtypeOrAnotherFusedSetting() throws IOException {
        Path file = directory.resolve("bf16.ckpt");
        try (Arena arena = Arena.ofShared();
             Optimizer trained = CheckpointFixtures.trained(arena, Recipe.ADAMW_BFLOAT16, 2)) {
            trained.save(file);
        }
        try (Optimizer float16 = Optimizer.builder().build(); Optimizer unfused = Optimizer.builder().build()) {
            for (int g = 0; g < 2; g++) {
                Algorithm algorithm = g == 0 ? Recipe.ADAMW_BFLOAT16.decayed : Recipe.ADAMW_BFLOAT16.plain;
                ParameterGroup sixteen = float16.addGroup(algorithm);
                ParameterGroup plain = unfused.addGroup(algorithm.withFused(false));
                for (int p = g; p < 4; p += 2) {
                    long elements = new long[] {48, 8, 24, 8}[p];
                    sixteen.allocate(Dtype.FLOAT16, elements);
                    plain.allocate(Dtype.BFLOAT16, elements);
                }
            }
            CheckpointException dtype = assertThrows(CheckpointException.class, () -> float16.load(file));
            assertTrue(dtype.getMessage().endsWith("group 0 parameter 0 holds BFLOAT16 in the checkpoint and FLOAT16"
                    + " here"), dtype.getMessage());
            CheckpointException fused = assertThrows(CheckpointException.class, () -> unfused.load(file));
            assertTrue(fused.getMessage().endsWith("group 0 was saved with fused=true and runs fused=false here;"
                    + " build it with .fused(true) to load this file"), fused.getMessage());
            assertEquals(0, unfused.stepCount());
        }
    }

    private Path fixture(String resource) throws IOException {
        try (InputStream in = CheckpointTest.class.getResourceAsStream(resource)) {
            assertTrue(in != null, resource + " is missing");
            Path file = directory.resolve(Path.of(resource).getFileName().toString());
            Files.write(file, in.readAllBytes());
            return file;
        }
    }

    @Test
    void aParameterLongerThanOneCopyBufferRoundTrips() throws IOException {
        int floats = LittleEndianElements.COPY_FLOATS * 2 + 3;
        try (Arena arena = Arena.ofShared(); Optimizer trained = trained(arena, 2, floats, 5);
             Optimizer fresh = trained(arena, 0, floats, 5)) {
            Path file = directory.resolve("large.ckpt");
            trained.save(file);
            fresh.load(file);
            assertEquals(state(trained), state(fresh));
        }
    }

    @Test
    void aCheckpointLoadsAtAnyVectorWidth() throws IOException {
        try (Arena arena = Arena.ofShared(); Optimizer wide = trained(arena, 2);
             Optimizer scalar = Optimizer.builder().build()) {
            Path file = directory.resolve("wide.ckpt");
            wide.save(file);
            ParameterGroup w = scalar.addGroup(Adam.adamWBuilder().amsgrad(true).vectorWidth(VectorWidth.SCALAR).build());
            ParameterGroup b = scalar.addGroup(Adam.adamWBuilder().amsgrad(true).vectorWidth(VectorWidth.SCALAR).build());
            w.add(arena.allocate(4000), arena.allocate(4000));
            w.add(arena.allocate(148), arena.allocate(148));
            b.add(arena.allocate(44), arena.allocate(44));
            scalar.load(file);
            assertEquals(VectorWidth.SCALAR, scalar.groups().getFirst().hyperParameters().vectorWidth());
            assertEquals(3e-3, scalar.groups().getFirst().lr());
        }
    }

    @Test
    void mismatchedOptimizersAreRefusedWithTheirDifference() throws IOException {
        try (Arena arena = Arena.ofShared(); Optimizer adam = trained(arena, 1)) {
            Path file = directory.resolve("adam.ckpt");
            adam.save(file);
            try (Optimizer sgd = Optimizer.builder().build()) {
                sgd.addGroup(Sgd.builder(0.1).build()).add(arena.allocate(4000), arena.allocate(4000));
                sgd.addGroup(Sgd.builder(0.1).build());
                assertRefused(sgd, file, "group 0 is AdamW in the checkpoint and SGD here");
            }
            try (Optimizer oneGroup = Optimizer.builder().build()) {
                oneGroup.addGroup(Adam.adamWBuilder().amsgrad(true).build());
                assertRefused(oneGroup, file, "the checkpoint has 2 parameter groups and this optimizer 1");
            }
            try (Optimizer smaller = Optimizer.builder().build()) {
                ParameterGroup w = smaller.addGroup(Adam.adamWBuilder().amsgrad(true).build());
                smaller.addGroup(Adam.adamWBuilder().amsgrad(true).build()).add(arena.allocate(44), arena.allocate(44));
                w.add(arena.allocate(4000), arena.allocate(4000));
                w.add(arena.allocate(144), arena.allocate(144));
                assertRefused(smaller, file, "group 0 parameter 1 has 37 floats in the checkpoint and 36 here");
            }
            try (Optimizer fewer = Optimizer.builder().build()) {
                fewer.addGroup(Adam.adamWBuilder().amsgrad(true).build()).add(arena.allocate(4000), arena.allocate(4000));
                fewer.addGroup(Adam.adamWBuilder().amsgrad(true).build());
                assertRefused(fewer, file, "group 0 has 2 parameters in the checkpoint and 1 here");
            }
        }
    }

    @Test
    void aCheckpointRestoresNumbersButNeverTurnsOneOptimizerIntoAnother() throws IOException {
        try (Arena arena = Arena.ofShared()) {
            Path adamW = saved(arena, Adam.adamWBuilder().lr(3e-3).betas(0.8, 0.9).weightDecay(0.05).build());
            assertRefused(arena, Adam.builder().build(), adamW, "group 0 is AdamW in the checkpoint and Adam here");
            assertRefused(arena, Adam.adamWBuilder().maximize(true).build(), adamW,
                    "group 0 has maximize=False in the checkpoint and maximize=True here; a checkpoint restores"
                            + " numbers, not flags");
            assertRefused(arena, Adam.adamWBuilder().amsgrad(true).build(), adamW,
                    "group 0 has amsgrad=False in the checkpoint and amsgrad=True here");
            try (Optimizer numbers = single(arena, Adam.adamWBuilder().build())) {
                numbers.load(adamW);
                assertEquals(Adam.adamWBuilder().lr(3e-3).betas(0.8, 0.9).weightDecay(0.05).build(),
                        numbers.groups().getFirst().hyperParameters());
            }
            Path nesterov = saved(arena, Sgd.builder(0.1).momentum(0.9).nesterov(true).build());
            assertRefused(arena, Sgd.builder(0.1).momentum(0.9).build(), nesterov,
                    "group 0 has nesterov=True in the checkpoint and nesterov=False here");
            Path centered = saved(arena, RmsProp.builder().centered(true).build());
            assertRefused(arena, RmsProp.builder().build(), centered,
                    "group 0 has centered=True in the checkpoint and centered=False here");
            Path withMomentum = saved(arena, Sgd.builder(0.1).momentum(0.9).build());
            assertRefused(arena, Sgd.builder(0.1).build(), withMomentum,
                    "group 0 parameter 0 keeps [momentum_buffer] in the checkpoint and [] here");
        }
    }

    /** An optimizer of one group and one parameter of 10 floats, in {@code arena}. */
    private static Optimizer single(Arena arena, Algorithm hyperParameters) {
        Optimizer optimizer = Optimizer.builder().build();
        optimizer.addGroup(hyperParameters).add(arena.allocate(40), arena.allocate(40));
        return optimizer;
    }

    private static void assertRefused(Arena arena, Algorithm hyperParameters, Path file, String message) {
        try (Optimizer optimizer = single(arena, hyperParameters)) {
            assertRefused(optimizer, file, message);
        }
    }

    private Path saved(Arena arena, Algorithm hyperParameters) throws IOException {
        Path file = Files.createTempFile(directory, hyperParameters.name(), ".ckpt");
        try (Optimizer optimizer = single(arena, hyperParameters)) {
            optimizer.step();
            optimizer.save(file);
        }
        return file;
    }

    @Test
    void damagedFilesAreRefusedAndLoadNothing() throws IOException {
        Path good = directory.resolve("good.ckpt");
        try (Arena arena = Arena.ofShared(); Optimizer source = trained(arena, 2)) {
            source.save(good);
        }
        byte[] original = Files.readAllBytes(good);
        qt().withExamples(300).forAll(range(0, 4), longRange(Long.MIN_VALUE, Long.MAX_VALUE))
                .checkAssert((damage, seed) -> {
                    SplittableRandom random = new SplittableRandom(seed);
                    byte[] bytes = damaged(original, damage, random);
                    Path file = directory.resolve("damaged.ckpt");
                    try (Arena arena = Arena.ofShared(); Optimizer target = trained(arena, 1)) {
                        Files.write(file, bytes);
                        List<Object> before = state(target);
                        assertThrows(CheckpointException.class, () -> target.load(file),
                                () -> "damage " + damage + " was loaded");
                        assertEquals(before, state(target), "a refused checkpoint changed the optimizer");
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                });
    }

    /** 0: one flipped bit; 1: truncated; 2: random bytes; 3: another format version, 1 included. */
    private static byte[] damaged(byte[] original, int damage, SplittableRandom random) {
        byte[] bytes = original.clone();
        switch (damage) {
            case 0 -> bytes[random.nextInt(bytes.length)] ^= (byte) (1 << random.nextInt(8));
            case 1 -> bytes = java.util.Arrays.copyOf(bytes, random.nextInt(bytes.length));
            case 2 -> {
                bytes = new byte[random.nextInt(2 * original.length)];
                random.nextBytes(bytes);
                if (bytes.length > 8 && random.nextBoolean()) {
                    System.arraycopy(original, 0, bytes, 0, 8);
                }
            }
            default -> {
                int version = random.nextInt(-1, 100);
                ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putInt(8,
                        version == CheckpointReader.VERSION ? 1 : version);
            }
        }
        return bytes;
    }

    @Test
    void infiniteOrInvalidHyperParametersInAFileAreRefused() throws IOException {
        try (Arena arena = Arena.ofShared(); Optimizer source = trained(arena, 1); Optimizer target = trained(arena, 0)) {
            Path file = directory.resolve("crafted.ckpt");
            List<Object> before = state(target);
            for (var entry : Map.of("lr", "Invalid learning rate: inf", "weight_decay", "Invalid weight_decay value: inf",
                    "eps", "Invalid epsilon value: inf").entrySet()) {
                source.save(file);
                rewriteHeader(file, header -> withHyperParameter(header, 1, entry.getKey(), Double.POSITIVE_INFINITY));
                assertRefused(target, file, "group 1 holds invalid hyper-parameters: " + entry.getValue());
                assertEquals(before, state(target));
            }
            source.save(file);
            rewriteHeader(file, header -> withHyperParameter(header, 0, "betas", new double[] {0.9}));
            assertRefused(target, file, "AdamW's betas must be a tuple of two numbers, not (0.9)");
            source.save(file);
            rewriteHeader(file, header -> withHyperParameter(header, 0, "momentum", 0.9));
            assertRefused(target, file, "group 0 has the hyper-parameters [lr, betas, eps, weight_decay, amsgrad, maximize,"
                    + " momentum] in the checkpoint and [lr, betas, eps, weight_decay, amsgrad, maximize] here");
            source.save(file);
            rewriteHeader(file, header -> withHyperParameter(header, 0, "lr", Boolean.TRUE));
            assertRefused(target, file, "AdamW's lr must be a number, not True");
            assertEquals(before, state(target));
        }
    }

    @Test
    void stepCountsThatCannotGoOnAreRefused() throws IOException {
        try (Arena arena = Arena.ofShared(); Optimizer source = trained(arena, 2); Optimizer target = trained(arena, 0)) {
            Path file = directory.resolve("steps.ckpt");
            List<Object> before = state(target);
            source.save(file);
            rewriteHeader(file, header -> new CheckpointHeader(-1, header.groups()));
            assertRefused(target, file, "its step count 18446744073709551615 is beyond 2^63 - 1");
            source.save(file);
            rewriteHeader(file, header -> withParameterSteps(header, 0, 1, 3));
            assertRefused(target, file, "group 0 parameter 1 has made 3 steps in the checkpoint, more than the"
                    + " optimizer's 2");
            assertEquals(before, state(target));

            source.save(file);
            rewriteHeader(file, header -> withParameterSteps(withParameterSteps(withParameterSteps(
                    new CheckpointHeader(Long.MAX_VALUE, header.groups()), 0, 0, Long.MAX_VALUE), 0, 1, 5), 1, 0, 0));
            target.load(file);
            assertEquals(Long.MAX_VALUE, target.stepCount());
            List<Object> loaded = state(target);
            IllegalStateException refused = assertThrows(IllegalStateException.class, target::step);
            assertEquals("the optimizer has made 9223372036854775807 steps, as many as a long counts; nothing was"
                    + " changed", refused.getMessage());
            assertEquals(loaded, state(target));
        }
    }

    @Test
    void scalarsMustBeThoseTheOptimizerKeepsAndFloats() throws IOException {
        try (Arena arena = Arena.ofShared(); Optimizer source = trained(arena, 1); Optimizer target = trained(arena, 0)) {
            Path file = directory.resolve("scalars.ckpt");
            source.save(file);
            rewriteHeader(file, header -> withScalars(header, 1, Map.of("mu_product", 0.5)));
            assertRefused(target, file, "group 1 parameter 0 keeps the scalars [mu_product] in the checkpoint and []"
                    + " here");
        }
        try (Arena arena = Arena.ofShared();
             Optimizer source = CheckpointFixtures.trained(arena, Recipe.ASGD, 3);
             Optimizer target = CheckpointFixtures.trained(arena, Recipe.ASGD, 0)) {
            Path file = directory.resolve("asgd.ckpt");
            List<Object> before = state(target);
            source.save(file);
            rewriteHeader(file, header -> withScalars(header, 1, Map.of("eta", 0.5)));
            assertRefused(target, file, "group 1 parameter 0 keeps the scalars [eta] in the checkpoint and [eta, mu]"
                    + " here");
            source.save(file);
            rewriteHeader(file, header -> withScalars(header, 1, Map.of("eta", 0.1, "mu", 0.5)));
            assertRefused(target, file, "group 1 parameter 0's eta is 0.1 in the checkpoint, which no float is");
            assertEquals(before, state(target));
            source.save(file);
            rewriteHeader(file, header -> withScalars(header, 1, Map.of("eta", (double) 0.1f, "mu", 0.5)));
            target.load(file);
            Parameter loaded = target.groups().get(1).parameters().getFirst();
            assertEquals(0.1f, loaded.scalar("eta"));
            assertEquals(0.5f, loaded.scalar("mu"));
        }
    }

    /** The header with group {@code g}'s first parameter holding {@code scalars}. */
    private static CheckpointHeader withScalars(CheckpointHeader header, int g, Map<String, Double> scalars) {
        List<CheckpointHeader.Group> groups = new java.util.ArrayList<>(header.groups());
        CheckpointHeader.Group group = groups.get(g);
        List<CheckpointHeader.Entry> parameters = new java.util.ArrayList<>(group.parameters());
        CheckpointHeader.Entry entry = parameters.getFirst();
        parameters.set(0, new CheckpointHeader.Entry(entry.elements(), entry.dtype(), entry.stateDtype(), entry.steps(), entry.stateNames(), scalars,
                entry.values(), entry.master()));
        groups.set(g, new CheckpointHeader.Group(group.optimizer(), group.semantics(), group.fused(), group.hyperParameters(),
                group.schedule(), parameters, group.masterWeights(), group.stochasticRounding()));
        return new CheckpointHeader(header.steps(), groups);
    }

    @Test
    void theFileStartsWithItsDocumentedHeader() throws IOException {
        try (Arena arena = Arena.ofShared(); Optimizer optimizer = trained(arena, 4)) {
            Path file = directory.resolve("header.ckpt");
            optimizer.save(file);
            ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
            byte[] magic = new byte[8];
            bytes.get(magic);
            assertArrayEquals("VECOPTIM".getBytes(StandardCharsets.US_ASCII), magic);
            assertEquals(8, bytes.getInt(), "format version");
            int headerLength = bytes.getInt();
            assertEquals(4, bytes.getLong(), "optimizer steps");
            assertEquals(2, bytes.getInt(), "groups");
            assertEquals("AdamW", string(bytes), "group 0's optimizer");
            assertEquals("PYTORCH_2", string(bytes), "group 0's semantics");
            assertEquals("", string(bytes), "group 0's schedule: none");
            assertEquals(0, bytes.get(), "group 0 is not fused");
            assertEquals("NONE", string(bytes), "group 0 keeps no master weights");
            assertEquals(0, bytes.get(), "group 0's state rounds to nearest");
            assertEquals(6, bytes.getInt(), "group 0's hyper-parameters");
            assertEquals("lr", string(bytes));
            assertEquals(1, bytes.get(), "a number");
            assertEquals(3e-3, bytes.getDouble(), "group 0 lr");
            assertEquals("betas", string(bytes));
            assertEquals(3, bytes.get(), "a tuple");
            assertEquals(2, bytes.getInt());
            assertEquals(0.9, bytes.getDouble());
            assertEquals(0.999, bytes.getDouble());
            long payload = 3L * 4 * (1000 + 37 + 11);
            long payloadStart = (16 + headerLength + 63) / 64 * 64;
            assertEquals(payloadStart + payload + 4, bytes.capacity(), "the payload starts 64-byte aligned");
            assertNotEquals(0, headerLength);
        }
    }

    /**
     * A GradScaler's state, then a ReduceLROnPlateau's, then the mode end the header: the header of an optimizer saved
     * alone ends in a 0 byte, an empty text (a u32 0) and a 1 (train mode); saved with a scaler, the 0 is a 1 and the
     * scaler's five values by PyTorch's names follow, each a number; with a ReduceLROnPlateau, the text is its state
     * dict as JSON; in eval mode, the last byte is 0.
     */
    @Test
    void aGradScalersStateThenAReduceLrOnPlateausEndTheHeader() throws IOException {
        GradScaler scaler = GradScaler.builder().initScale(256).growthInterval(7).build();
        Map<String, Object> plateauState;
        try (Arena arena = Arena.ofShared(); Optimizer optimizer = trained(arena, 2)) {
            optimizer.save(directory.resolve("alone.ckpt"));
            optimizer.save(directory.resolve("scaled.ckpt"), scaler);
            ReduceLROnPlateau plateau = ReduceLROnPlateau.builder().build(optimizer);
            plateau.step(0.5);
            plateauState = plateau.stateDict();
            optimizer.save(directory.resolve("plateau.ckpt"));
            optimizer.eval();
            optimizer.save(directory.resolve("eval.ckpt"));
        }
        ByteBuffer alone = header(directory.resolve("alone.ckpt"));
        ByteBuffer scaled = header(directory.resolve("scaled.ckpt"));
        ByteBuffer withPlateau = header(directory.resolve("plateau.ckpt"));
        ByteBuffer inEval = header(directory.resolve("eval.ckpt"));
        int groupsEnd = alone.limit() - 6;
        assertEquals(0, alone.get(groupsEnd), "no scaler");
        assertEquals(0, alone.getInt(groupsEnd + 1), "no ReduceLROnPlateau");
        assertEquals(1, alone.get(groupsEnd + 5), "train mode");
        assertEquals(0, inEval.get(inEval.limit() - 1), "eval mode");
        assertEquals(alone.slice(0, groupsEnd), scaled.slice(0, groupsEnd));
        scaled.position(groupsEnd);
        assertEquals(1, scaled.get(), "a scaler");
        assertEquals(5, scaled.getInt(), "its values");
        Map<String, Double> values = new java.util.LinkedHashMap<>();
        for (int v = 0; v < 5; v++) {
            String name = string(scaled);
            assertEquals(1, scaled.get(), name + " is a number");
            values.put(name, scaled.getDouble());
        }
        assertEquals(Map.of("scale", 256.0, "growth_factor", 2.0, "backoff_factor", 0.5, "growth_interval", 7.0,
                "_growth_tracker", 0.0), values);
        assertEquals(0, scaled.getInt(), "no ReduceLROnPlateau");
        assertEquals(1, scaled.get(), "train mode");
        assertEquals(0, scaled.remaining(), "the header ends there");
        assertEquals(alone.slice(0, groupsEnd + 1), withPlateau.slice(0, groupsEnd + 1));
        withPlateau.position(groupsEnd + 1);
        byte[] json = new byte[withPlateau.getInt()];
        withPlateau.get(json);
        assertEquals(plateauState, dev.vecoptim.io.Json.parse(json));
        assertEquals(1, withPlateau.get(), "train mode");
        assertEquals(0, withPlateau.remaining(), "the header ends there");
    }

    /** The header of a checkpoint, little-endian, from its first byte to its last. */
    private static ByteBuffer header(Path file) throws IOException {
        ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        return bytes.slice(16, bytes.getInt(12)).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static String string(ByteBuffer bytes) {
        byte[] utf8 = new byte[bytes.getShort()];
        bytes.get(utf8);
        return new String(utf8, StandardCharsets.UTF_8);
    }

    private static void assertRefused(Optimizer optimizer, Path file, String message) {
        CheckpointException thrown = assertThrows(CheckpointException.class, () -> optimizer.load(file));
        assertTrue(thrown.getMessage().contains(message), () -> "'" + thrown.getMessage() + "' lacks '" + message + "'");
        assertTrue(thrown.getMessage().contains(file.toString()), () -> "'" + thrown.getMessage() + "' names no file");
    }
}
