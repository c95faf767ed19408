package dev.vecoptim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.Generate.longRange;
import static org.quicktheories.generators.Generate.range;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Checkpoints: exact round trips, atomic replacement, and refusal of every damaged or mismatched file. */
class CheckpointTest {
    @TempDir
    Path directory;

    /** An AMSGrad optimizer over three parameters in two groups, stepped a few times. */
    private static Optimizer trained(Arena arena, int steps) {
        Optimizer optimizer = Optimizer.builder().build();
        ParameterGroup weights = optimizer.addGroup(Adam.adamWBuilder().amsgrad(true).lr(3e-3).build());
        ParameterGroup biases = optimizer.addGroup(Adam.adamWBuilder().amsgrad(true).weightDecay(0).build());
        SplittableRandom random = new SplittableRandom(5);
        for (int size : new int[] {1000, 37}) {
            weights.add(filled(arena, size, random), filled(arena, size, random));
        }
        biases.add(filled(arena, 11, random), filled(arena, 11, random));
        for (int s = 0; s < steps; s++) {
            optimizer.step();
        }
        return optimizer;
    }

    private static MemorySegment filled(Arena arena, int size, SplittableRandom random) {
        MemorySegment segment = arena.allocate(4L * size, 64);
        for (int i = 0; i < size; i++) {
            segment.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) random.nextGaussian());
        }
        return segment;
    }

    /** Everything a checkpoint restores, as bytes and numbers. */
    private static List<Object> state(Optimizer optimizer) {
        List<Object> state = new ArrayList<>(List.of(optimizer.stepCount()));
        for (ParameterGroup group : optimizer.groups()) {
            state.add(group.hyperParameters().toString());
            for (Parameter parameter : group.parameters()) {
                state.add(parameter.stepCount());
                for (String name : parameter.stateNames()) {
                    state.add(java.util.Arrays.toString(parameter.state(name).toArray(ValueLayout.JAVA_BYTE)));
                }
            }
        }
        return state;
    }

    @Test
    void saveLoadThenStepEqualsStepWithoutTheSave() throws IOException {
        try (Arena arena = Arena.ofShared(); Arena other = Arena.ofShared();
             Optimizer uninterrupted = trained(arena, 3); Optimizer resumed = trained(other, 0)) {
            uninterrupted.groups().getFirst().lr(0.01);
            Path file = directory.resolve("adam.ckpt");
            uninterrupted.save(file);
            resumed.load(file);
            assertEquals(state(uninterrupted), state(resumed));
            // The parameters themselves are the caller's: copy them across, as a training program would.
            for (int g = 0; g < 2; g++) {
                for (int p = 0; p < uninterrupted.groups().get(g).parameters().size(); p++) {
                    resumed.groups().get(g).parameters().get(p).value()
                            .copyFrom(uninterrupted.groups().get(g).parameters().get(p).value());
                }
            }
            uninterrupted.step();
            resumed.step();
            assertEquals(state(uninterrupted), state(resumed));
            assertEquals(0.01, resumed.groups().getFirst().lr());
            try (Stream<Path> files = Files.list(directory)) {
                assertEquals(List.of(file), files.toList(), "a temporary file was left behind");
            }
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
                ParameterGroup group = sgd.addGroup(Sgd.builder(0.1).build());
                sgd.addGroup(Sgd.builder(0.1).build());
                group.add(arena.allocate(4000), arena.allocate(4000));
                assertRefused(sgd, file, "the checkpoint is of Adam/AdamW; this optimizer runs SGD");
            }
            try (Optimizer smaller = Optimizer.builder().build()) {
                ParameterGroup w = smaller.addGroup(Adam.adamWBuilder().amsgrad(true).build());
                smaller.addGroup(Adam.adamWBuilder().amsgrad(true).build()).add(arena.allocate(44), arena.allocate(44));
                w.add(arena.allocate(4000), arena.allocate(4000));
                w.add(arena.allocate(144), arena.allocate(144));
                assertRefused(smaller, file, "group 0 parameter 1 has 37 floats in the checkpoint and 36 here");
            }
            try (Optimizer withoutAmsgrad = Optimizer.builder().build()) {
                withoutAmsgrad.addGroup(Adam.adamWBuilder().build()).add(arena.allocate(4000), arena.allocate(4000));
                withoutAmsgrad.addGroup(Adam.adamWBuilder().build());
                assertRefused(withoutAmsgrad, file, "group 0 has 2 parameters in the checkpoint and 1 here");
            }
        }
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

    /** 0: one flipped bit; 1: truncated; 2: random bytes; 3: another format version. */
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
            default -> ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putInt(8, 2 + random.nextInt(100));
        }
        return bytes;
    }

    @Test
    void aReaderNeverSeesAHalfWrittenCheckpoint() throws Exception {
        Path file = directory.resolve("live.ckpt");
        try (Arena arena = Arena.ofShared(); Optimizer writer = trained(arena, 1); Arena readerArena = Arena.ofShared()) {
            writer.save(file);
            AtomicBoolean writing = new AtomicBoolean(true);
            AtomicReference<Throwable> seen = new AtomicReference<>();
            Thread reader = Thread.ofPlatform().start(() -> {
                try (Optimizer probe = trained(readerArena, 0)) {
                    while (writing.get()) {
                        probe.load(file);
                    }
                } catch (Throwable t) {
                    seen.set(t);
                }
            });
            for (int s = 0; s < 30; s++) {
                writer.step();
                writer.save(file);
            }
            writing.set(false);
            reader.join();
            if (seen.get() != null) {
                fail("a reader saw a partial checkpoint", seen.get());
            }
        }
    }

    @Test
    void theFileStartsWithItsDocumentedHeader() throws IOException {
        try (Arena arena = Arena.ofShared(); Optimizer optimizer = trained(arena, 4)) {
            Path file = directory.resolve("header.ckpt");
            optimizer.save(file);
            ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
            byte[] magic = new byte[8];
            bytes.get(magic);
            assertArrayEquals("VECOPTIM".getBytes(java.nio.charset.StandardCharsets.US_ASCII), magic);
            assertEquals(1, bytes.getInt());
            bytes.getInt();
            assertEquals(3, bytes.get(), "Adam's code");
            assertEquals(4, bytes.getLong(), "optimizer steps");
            assertEquals(2, bytes.getInt(), "groups");
            assertEquals(3e-3, bytes.getDouble(), "group 0 lr");
            long payload = 3L * 4 * (1000 + 37 + 11);
            assertEquals(0, (bytes.capacity() - Integer.BYTES - payload) % 64, "the payload starts 64-byte aligned");
        }
    }

    private static void assertRefused(Optimizer optimizer, Path file, String message) {
        CheckpointException thrown = assertThrows(CheckpointException.class, () -> optimizer.load(file));
        assertTrue(thrown.getMessage().contains(message), () -> "'" + thrown.getMessage() + "' lacks '" + message + "'");
    }
}
