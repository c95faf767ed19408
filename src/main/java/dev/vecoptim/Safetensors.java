package dev.vecoptim;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The safetensors container, as Hugging Face's tools read and write it: a u64 little-endian header length
 * N, N bytes of a UTF-8 JSON object (padded with spaces), then the tensors' bytes, little-endian, each where
 * the header's {@code data_offsets} say (counted from the first byte after the header). The header maps each
 * tensor's name to {@code {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}}, and may hold
 * {@code "__metadata__"}, an object of strings. The tensors cover their bytes exactly, with no gap or overlap.
 */
final class Safetensors {
    /** The largest header the reference implementation reads. */
    static final long MAX_HEADER_BYTES = 100_000_000;
    static final String METADATA = "__metadata__";
    static final String F32 = "F32";
    private static final int LENGTH_BYTES = Long.BYTES;
    private static final int ALIGNMENT = 8;
    /** The bytes of one element of each dtype safetensors defines. */
    private static final Map<String, Integer> DTYPE_BYTES = Map.ofEntries(Map.entry("F64", 8), Map.entry(F32, 4),
            Map.entry("F16", 2), Map.entry("BF16", 2), Map.entry("I64", 8), Map.entry("I32", 4), Map.entry("I16", 2),
            Map.entry("I8", 1), Map.entry("U64", 8), Map.entry("U32", 4), Map.entry("U16", 2), Map.entry("U8", 1),
            Map.entry("BOOL", 1), Map.entry("F8_E4M3", 1), Map.entry("F8_E5M2", 1));
    private static final ValueLayout.OfLong FILE_LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private Safetensors() {
    }

    /** A tensor as a header describes it; its bytes are {@code [begin, end)} of the data. */
    record Tensor(String name, String dtype, long[] shape, long begin, long end) {
        long elements() {
            long elements = 1;
            for (long extent : shape) {
                elements *= extent;
            }
            return elements;
        }
    }

    /** A file as read: its metadata, its tensors by name in the header's order, and all their bytes. */
    record Contents(Map<String, String> metadata, Map<String, Tensor> tensors, MemorySegment data) {
    }

    /** A float32 tensor to write: its elements, native-order floats, written little-endian. */
    record Output(String name, long[] shape, MemorySegment data) {
    }

    /**
     * Reads {@code file} into memory of {@code arena} and checks it whole.
     *
     * @throws CheckpointException naming the file and what is wrong with it
     */
    static Contents read(Path file, Arena arena, int readBytes) throws IOException {
        BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
        if (!attributes.isRegularFile()) {
            throw new CheckpointException(file + (attributes.isDirectory() ? " is a directory" : " is not a regular file")
                    + ", not a safetensors file");
        }
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = channel.size();
            if (size < LENGTH_BYTES) {
                throw refused(file, "it has " + size + " bytes, fewer than a header length");
            }
            MemorySegment lengthBytes = arena.allocate(LENGTH_BYTES);
            CheckpointReader.readFully(file, channel, 0, lengthBytes, readBytes);
            long headerBytes = lengthBytes.get(FILE_LONG, 0);
            String length = "its header length " + Long.toUnsignedString(headerBytes);
            if (headerBytes < 2) {
                throw refused(file, length + " leaves no room for a JSON object");
            }
            if (headerBytes > MAX_HEADER_BYTES) {
                throw refused(file, length + " is beyond safetensors' limit of " + MAX_HEADER_BYTES + " bytes");
            }
            if (headerBytes > size - LENGTH_BYTES) {
                throw refused(file, length + " is more than the " + (size - LENGTH_BYTES) + " bytes after it");
            }
            byte[] header = new byte[(int) headerBytes];
            CheckpointReader.readFully(file, channel, LENGTH_BYTES, MemorySegment.ofArray(header), readBytes);
            Map<String, String> metadata = new LinkedHashMap<>();
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            readHeader(file, header, metadata, tensors);
            long dataStart = LENGTH_BYTES + headerBytes;
            long covered = checkCoverage(file, tensors.values());
            if (dataStart + covered != size) {
                throw refused(file, "its tensors end at byte " + (dataStart + covered) + " of " + size);
            }
            MemorySegment data = arena.allocate(covered, ALIGNMENT);
            CheckpointReader.readFully(file, channel, dataStart, data, readBytes);
            return new Contents(metadata, tensors, data);
        }
    }

    private static void readHeader(Path file, byte[] header, Map<String, String> metadata, Map<String, Tensor> tensors)
            throws CheckpointException {
        Object parsed;
        try {
            parsed = Json.parse(header);
        } catch (IllegalArgumentException malformed) {
            throw new CheckpointException(file + ": its header is not JSON: " + malformed.getMessage(), malformed);
        }
        if (!(parsed instanceof Map<?, ?> entries)) {
            throw refused(file, "its header is not a JSON object");
        }
        for (Map.Entry<?, ?> entry : entries.entrySet()) {
            String name = (String) entry.getKey();
            if (name.equals(METADATA)) {
                if (!(entry.getValue() instanceof Map<?, ?> values)) {
                    throw refused(file, "its " + METADATA + " is not an object");
                }
                for (Map.Entry<?, ?> value : values.entrySet()) {
                    if (!(value.getValue() instanceof String text)) {
                        throw refused(file, "its " + METADATA + " entry " + value.getKey() + " is not a string");
                    }
                    metadata.put((String) value.getKey(), text);
                }
            } else {
                tensors.put(name, tensor(file, name, entry.getValue()));
            }
        }
    }

    private static Tensor tensor(Path file, String name, Object described) throws CheckpointException {
        String at = "tensor " + name;
        if (!(described instanceof Map<?, ?> fields) || !(fields.get("dtype") instanceof String dtype)) {
            throw refused(file, at + " has no dtype");
        }
        Integer elementBytes = DTYPE_BYTES.get(dtype);
        if (elementBytes == null) {
            throw refused(file, at + " has the dtype " + dtype + ", which safetensors does not define");
        }
        long[] shape = naturals(file, at + "'s shape", fields.get("shape"));
        long[] offsets = naturals(file, at + "'s data_offsets", fields.get("data_offsets"));
        if (offsets.length != 2 || offsets[0] > offsets[1]) {
            throw refused(file, at + "'s data_offsets are not [begin, end] with begin <= end");
        }
        long bytes = elementBytes;
        try {
            for (long extent : shape) {
                bytes = Math.multiplyExact(bytes, extent);
            }
        } catch (ArithmeticException tooMany) {
            bytes = -1;
        }
        if (bytes != offsets[1] - offsets[0]) {
            throw refused(file, at + " of shape " + Arrays.toString(shape) + " and dtype " + dtype
                    + " does not take the " + (offsets[1] - offsets[0]) + " bytes its data_offsets give it");
        }
        return new Tensor(name, dtype, shape, offsets[0], offsets[1]);
    }

    private static long[] naturals(Path file, String what, Object value) throws CheckpointException {
        if (!(value instanceof List<?> list)) {
            throw refused(file, what + " is not a list of integers");
        }
        long[] naturals = new long[list.size()];
        for (int i = 0; i < naturals.length; i++) {
            if (!(list.get(i) instanceof Long natural) || natural < 0) {
                throw refused(file, what + " is not a list of integers ≥ 0: " + list);
            }
            naturals[i] = natural;
        }
        return naturals;
    }

    /** The bytes the tensors cover, which must be every byte from 0 on, each once. */
    private static long checkCoverage(Path file, Collection<Tensor> tensors) throws CheckpointException {
        List<Tensor> byStart = new ArrayList<>(tensors);
        byStart.sort(Comparator.comparingLong(Tensor::begin).thenComparingLong(Tensor::end));
        long covered = 0;
        for (Tensor tensor : byStart) {
            if (tensor.begin() != covered) {
                throw refused(file, "tensor " + tensor.name() + " starts at byte " + tensor.begin() + " of the data,"
                        + (tensor.begin() < covered ? " inside another tensor" : " leaving a gap") + " (the tensors"
                        + " before it end at " + covered + ")");
            }
            covered = tensor.end();
        }
        return covered;
    }

    private static CheckpointException refused(Path file, String reason) {
        return new CheckpointException(file + ": " + reason);
    }

    /**
     * Writes {@code tensors}, in order, and {@code metadata} to {@code file} atomically ({@link FileReplacement}).
     *
     * @param signature the header's first bytes, which tell a leftover temporary file of ours
     */
    static void write(Path file, Map<String, String> metadata, List<Output> tensors, byte[] signature)
            throws IOException {
        Map<String, Object> header = new LinkedHashMap<>();
        header.put(METADATA, metadata);
        long offset = 0;
        for (Output output : tensors) {
            long end = offset + output.data().byteSize();
            Map<String, Object> described = new LinkedHashMap<>();
            described.put("dtype", F32);
            described.put("shape", Arrays.stream(output.shape()).boxed().toList());
            described.put("data_offsets", List.of(offset, end));
            header.put(output.name(), described);
            offset = end;
        }
        byte[] json = Json.write(header);
        int padded = (json.length + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
        ByteBuffer start = ByteBuffer.allocate(LENGTH_BYTES + padded).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(padded).put(json);
        while (start.hasRemaining()) {
            start.put((byte) ' ');
        }
        try (FileReplacement replacement = FileReplacement.begin(file, LENGTH_BYTES, signature);
             Arena arena = Arena.ofConfined()) {
            FileChannel out = replacement.channel();
            LittleEndianFloats.writeAll(out, start.flip());
            MemorySegment buffer = LittleEndianFloats.buffer(arena);
            for (Output output : tensors) {
                LittleEndianFloats.write(output.data(), buffer, bytes -> LittleEndianFloats.writeAll(out, bytes));
            }
            replacement.commit();
        }
    }

}
