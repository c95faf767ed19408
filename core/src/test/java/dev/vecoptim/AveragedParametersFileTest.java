package dev.vecoptim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vecoptim.io.Json;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link AveragedParameters#save} and {@link AveragedParameters#load}: a run stopped and resumed from the file
 * averages on bit for bit; the file is AveragedModel's state dict in safetensors; a file of other averaging, other
 * sizes, or damaged, is refused with nothing loaded.
 */
class AveragedParametersFileTest {
    private static final long[] SIZES = {37, 5, 1};

    @TempDir
    Path directory;

    private static List<MemorySegment> values(Arena arena, long[] sizes) {
        List<MemorySegment> values = new ArrayList<>();
        for (long size : sizes) {
            values.add(arena.allocate(size * Float.BYTES));
        }
        return values;
    }

    /** Sets every value to something of the update {@code t}, then folds them into {@code averaged}. */
    private static void update(AveragedParameters averaged, List<MemorySegment> values, int t) {
        for (int k = 0; k < values.size(); k++) {
            for (long i = 0; i < values.get(k).byteSize() / Float.BYTES; i++) {
                values.get(k).setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) Math.sin(t * 1.7 + k * 0.3 + i * 0.11));
            }
        }
        averaged.update();
    }

    private static List<int[]> bits(AveragedParameters averaged) {
        return averaged.averages().stream().map(average -> average.toArray(ValueLayout.JAVA_INT)).toList();
    }

    @Test
    void aStoppedRunResumesBitForBit() throws IOException {
        for (Function<List<MemorySegment>, AveragedParameters> kind : List.<Function<List<MemorySegment>,
                AveragedParameters>>of(AveragedParameters::swa, values -> AveragedParameters.ema(values, 0.9))) {
            Path file = directory.resolve("averages.safetensors");
            try (Arena arena = Arena.ofConfined()) {
                List<MemorySegment> values = values(arena, SIZES);
                List<MemorySegment> resumedValues = values(arena, SIZES);
                try (AveragedParameters whole = kind.apply(values);
                     AveragedParameters resumed = kind.apply(resumedValues)) {
                    for (int t = 0; t < 3; t++) {
                        update(whole, values, t);
                    }
                    whole.save(file);
                    resumed.load(file);
                    assertEquals(3, resumed.count());
                    for (int t = 3; t < 6; t++) {
                        update(whole, values, t);
                        update(resumed, resumedValues, t);
                    }
                    assertEquals(6, resumed.count());
                    List<int[]> expected = bits(whole);
                    List<int[]> actual = bits(resumed);
                    for (int k = 0; k < SIZES.length; k++) {
                        assertArrayEquals(expected.get(k), actual.get(k), "average " + k);
                    }
                }
            }
        }
    }

    /** The file is safetensors as AveragedModel's state dict names it: module.<i> F32 and n_averaged I64. */
    @Test
    @SuppressWarnings("unchecked")
    void theFileIsAveragedModelsStateDict() throws IOException {
        Path file = directory.resolve("swa.safetensors");
        try (Arena arena = Arena.ofConfined()) {
            List<MemorySegment> values = values(arena, SIZES);
            try (AveragedParameters averaged = AveragedParameters.swa(values)) {
                update(averaged, values, 0);
                update(averaged, values, 1);
                averaged.save(file);
            }
        }
        ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        int headerBytes = (int) bytes.getLong(0);
        Map<String, Object> header = (Map<String, Object>) Json.parse(new String(bytes.array(), 8, headerBytes,
                StandardCharsets.UTF_8).strip().getBytes(StandardCharsets.UTF_8));
        assertEquals(List.of("__metadata__", "module.0", "module.1", "module.2", "n_averaged"),
                List.copyOf(header.keySet()));
        Map<String, Object> metadata = (Map<String, Object>) header.get("__metadata__");
        assertEquals("torch.optim.swa_utils.AveragedModel state_dict", metadata.get("format"));
        assertEquals("swa", metadata.get("averaging"));
        Map<String, Object> count = (Map<String, Object>) header.get("n_averaged");
        assertEquals("I64", count.get("dtype"));
        assertEquals(List.of(), count.get("shape"));
        long at = 8 + headerBytes + ((List<Long>) count.get("data_offsets")).getFirst();
        assertEquals(2, bytes.getLong((int) at), "n_averaged, little-endian");
        assertEquals(List.of(37L), ((Map<String, Object>) header.get("module.0")).get("shape"));
    }

    @Test
    void otherAveragingOtherSizesAndDamageAreRefusedWithNothingLoaded() throws IOException {
        Path file = directory.resolve("ema.safetensors");
        try (Arena arena = Arena.ofConfined()) {
            List<MemorySegment> values = values(arena, SIZES);
            try (AveragedParameters ema = AveragedParameters.ema(values, 0.9)) {
                update(ema, values, 0);
                ema.save(file);
            }
            assertRefused(arena, AveragedParameters::swa, SIZES, file,
                    "it holds averages by ema, decay 0.9, and these average by swa");
            assertRefused(arena, values2 -> AveragedParameters.ema(values2, 0.99), SIZES, file,
                    "it holds averages by ema, decay 0.9, and these average by ema, decay 0.99");
            assertRefused(arena, values2 -> AveragedParameters.ema(values2, 0.9), new long[] {37, 5}, file,
                    "it holds the tensors [module.0, module.1, module.2, n_averaged], and 2 averages need"
                            + " [module.0, module.1, n_averaged]");
            assertRefused(arena, values2 -> AveragedParameters.ema(values2, 0.9), new long[] {37, 6, 1}, file,
                    "its module.1 is F32 of 5 elements, and the average it restores F32 of 6");
            byte[] damaged = Files.readAllBytes(file);
            damaged[damaged.length - 3] ^= 1;
            Files.write(file, damaged);
            assertRefused(arena, values2 -> AveragedParameters.ema(values2, 0.9), SIZES, file,
                    "is damaged, truncated, or was changed while it was read: its crc32 does not match its contents");
        }
    }

    private static void assertRefused(Arena arena, Function<List<MemorySegment>, AveragedParameters> kind,
                                      long[] sizes, Path file, String why) throws IOException {
        List<MemorySegment> values = values(arena, sizes);
        try (AveragedParameters averaged = kind.apply(values)) {
            update(averaged, values, 7);
            List<int[]> before = bits(averaged);
            String message = assertThrows(CheckpointException.class, () -> averaged.load(file)).getMessage();
            assertTrue(message.contains(why), message);
            assertEquals(1, averaged.count(), "nothing was loaded");
            for (int k = 0; k < sizes.length; k++) {
                assertArrayEquals(before.get(k), bits(averaged).get(k), "average " + k + " as it was");
            }
        }
    }
}
