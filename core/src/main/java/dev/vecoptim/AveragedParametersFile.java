package dev.vecoptim;

import dev.vecoptim.io.CheckpointReader;
import dev.vecoptim.io.LittleEndianElements;
import dev.vecoptim.io.RefusedFileException;
import dev.vecoptim.io.Safetensors;
import dev.vecoptim.io.SafetensorsReader;
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
import java.util.TreeSet;

/**
 * {@link AveragedParameters} in a safetensors file, as {@code AveragedModel.state_dict()} lays its averages out:
 * tensors {@code module.<i>} (the average of the i-th value segment, F32, flat) and {@code n_averaged} (a 0-dim I64),
 * and in {@code __metadata__} {@code format} ({@code "torch.optim.swa_utils.AveragedModel state_dict"}),
 * {@code averaging} (how: {@code "swa"}, or {@code "ema"} and its decay) and the file's {@code crc32}. Written
 * atomically; read whole, checked, and only then restored.
 */
final class AveragedParametersFile {
    static final String FORMAT = "torch.optim.swa_utils.AveragedModel state_dict";
    static final String COUNT = "n_averaged";
    static final String AVERAGE = "module.";
    static final String AVERAGING = "averaging";
    private static final byte[] SIGNATURE = ("{\"" + Safetensors.METADATA + "\":{\"format\":\"" + FORMAT + "\"")
            .getBytes(StandardCharsets.UTF_8);
    /** Room for the header of a file of {@code n} averages: a few hundred bytes each, and the metadata. */
    private static final long HEADER_BYTES_EACH = 256;
    private static final long HEADER_BASE_BYTES = 1 << 12;

    private AveragedParametersFile() {
    }

    /** Writes {@code averages}, {@code count} and {@code averaging} to {@code file}. */
    static void save(Path file, List<MemorySegment> averages, long count, String averaging) throws IOException {
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("format", FORMAT);
        metadata.put(AVERAGING, averaging);
        try (Arena arena = LittleEndianElements.stagingArena()) {
            List<Safetensors.Output> tensors = new ArrayList<>();
            for (int i = 0; i < averages.size(); i++) {
                tensors.add(new Safetensors.Output(AVERAGE + i, Safetensors.F32,
                        new long[] {averages.get(i).byteSize() / Float.BYTES}, averages.get(i)));
            }
            tensors.add(new Safetensors.Output(COUNT, "I64", new long[0], arena.allocateFrom(ValueLayout.JAVA_LONG,
                    count)));
            Safetensors.write(file, metadata, tensors, SIGNATURE);
        }
    }

    /**
     * Reads {@code file}, checks it against {@code averages} (as many, of the same sizes) and {@code averaging}, then
     * copies its averages into them; {@return its count}
     *
     * @throws RefusedFileException naming the file and what is wrong; nothing was copied then
     */
    static long load(Path file, List<MemorySegment> averages, String averaging) throws IOException {
        Path path = file.toAbsolutePath();
        long maxHeaderBytes = HEADER_BASE_BYTES + HEADER_BYTES_EACH * (averages.size() + 1);
        try (SafetensorsReader reader = SafetensorsReader.open(path, maxHeaderBytes,
                "a file of " + averages.size() + " averages", SafetensorsReader.FILE, CheckpointReader.READ_BYTES);
             Arena arena = LittleEndianElements.stagingArena()) {
            Safetensors.Header header = reader.header();
            try {
                check(path, header, averages, averaging);
            } catch (RefusedFileException refused) {
                throw reader.refusal(refused);
            }
            MemorySegment data = reader.data(arena);
            MemorySegment count = arena.allocate(ValueLayout.JAVA_LONG);
            LittleEndianElements.read(data, header.tensors().get(COUNT).begin(), count, Long.BYTES, 1);
            long averaged = count.get(ValueLayout.JAVA_LONG, 0);
            if (averaged < 0) {
                throw Safetensors.refused(path, "its " + COUNT + " is " + averaged + ", not a count");
            }
            for (int i = 0; i < averages.size(); i++) {
                MemorySegment average = averages.get(i);
                LittleEndianElements.read(data, header.tensors().get(AVERAGE + i).begin(), average, Float.BYTES,
                        average.byteSize() / Float.BYTES);
            }
            return averaged;
        }
    }

    private static void check(Path file, Safetensors.Header header, List<MemorySegment> averages, String averaging)
            throws RefusedFileException {
        Map<String, String> metadata = header.metadata();
        if (!FORMAT.equals(metadata.get("format"))) {
            throw Safetensors.refused(file, "its format is " + metadata.get("format") + ", not \"" + FORMAT + "\"");
        }
        if (!averaging.equals(metadata.get(AVERAGING))) {
            throw Safetensors.refused(file, "it holds averages by " + metadata.get(AVERAGING) + ", and these average"
                    + " by " + averaging);
        }
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < averages.size(); i++) {
            expected.add(AVERAGE + i);
        }
        expected.add(COUNT);
        if (!new TreeSet<>(expected).equals(new TreeSet<>(header.tensors().keySet()))) {
            throw Safetensors.refused(file, "it holds the tensors " + new TreeSet<>(header.tensors().keySet())
                    + ", and " + averages.size() + " averages need " + new TreeSet<>(expected));
        }
        for (int i = 0; i < averages.size(); i++) {
            Safetensors.Tensor tensor = header.tensors().get(AVERAGE + i);
            long elements = averages.get(i).byteSize() / Float.BYTES;
            if (!tensor.dtype().equals(Safetensors.F32) || tensor.elements() != elements) {
                throw Safetensors.refused(file, "its " + tensor.name() + " is " + tensor.dtype() + " of "
                        + tensor.elements() + " elements, and the average it restores F32 of " + elements);
            }
        }
        Safetensors.Tensor count = header.tensors().get(COUNT);
        if (!count.dtype().equals("I64") || count.elements() != 1) {
            throw Safetensors.refused(file, "its " + COUNT + " is " + count.dtype() + " of " + count.elements()
                    + " elements, not one I64");
        }
    }
}
