package dev.vecoptim.io;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;

/**
 * The safetensors container, as Hugging Face's tools read and write it: a u64 little-endian header length
 * N, N bytes of a UTF-8 JSON object (padded with spaces), then the tensors' bytes, little-endian, each where
 * the header's {@code data_offsets} say (counted from the first byte after the header). The header maps each
 * tensor's name to {@code {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}}, and may hold
 * {@code "__metadata__"}, an object of strings. The tensors cover their bytes exactly, with no gap or overlap.
 *
 * <p>The files vecoptim writes carry a checksum that other readers ignore: the metadata entry
 * {@value #CHECKSUM}, eight lowercase hexadecimal digits, the CRC-32 (zlib's, {@link CRC32}) of every byte of
 * the file with those eight digits read as {@code '0'}s. Written as {@code "crc32":"<digits>"}, which can occur
 * only once in a header (a quote inside a JSON string is escaped), so a reader finds the digits without
 * parsing; Python's {@code zlib.crc32} computes it at C speed.
 */
public final class Safetensors {
    /** The largest header the reference implementation reads. */
    public static final long MAX_HEADER_BYTES = 100_000_000;
    public static final String METADATA = "__metadata__";
    public static final String CHECKSUM = "crc32";
    public static final String F32 = "F32";
    public static final String F64 = "F64";
    public static final int LENGTH_BYTES = Long.BYTES;
    public static final int ALIGNMENT = 8;
    private static final int CHECKSUM_DIGITS = 8;
    private static final byte[] UNSIGNED_DIGITS = "0".repeat(CHECKSUM_DIGITS).getBytes(StandardCharsets.US_ASCII);
    /** The bytes of one element of each dtype safetensors defines. */
    private static final Map<String, Integer> DTYPE_BYTES = Map.ofEntries(Map.entry(F64, 8), Map.entry(F32, 4),
            Map.entry("F16", 2), Map.entry("BF16", 2), Map.entry("I64", 8), Map.entry("I32", 4), Map.entry("I16", 2),
            Map.entry("I8", 1), Map.entry("U64", 8), Map.entry("U32", 4), Map.entry("U16", 2), Map.entry("U8", 1),
            Map.entry("BOOL", 1), Map.entry("F8_E4M3", 1), Map.entry("F8_E5M2", 1));

    private Safetensors() {
    }

    /** A tensor as a header describes it; its bytes are {@code [begin, end)} of the data. */
    public record Tensor(String name, String dtype, long[] shape, long begin, long end) {
        public long elements() {
            long elements = 1;
            for (long extent : shape) {
                elements *= extent;
            }
            return elements;
        }
    }

    /**
     * A header as read: the metadata, the tensors by name in the header's order, the bytes of the data they
     * cover (from the end of the header to the end of the file), and where the checksum's digits are in
     * {@code start} (the length and the header, as in the file), or -1 for a file without one.
     */
    public record Header(Map<String, String> metadata, Map<String, Tensor> tensors, long dataBytes, byte[] start,
                  int checksumAt) {
        public boolean signed() {
            return checksumAt >= 0;
        }

        /** The checksum the file declares. */
        public long declaredChecksum() {
            return HexFormat.fromHexDigitsToLong(new String(start, checksumAt, CHECKSUM_DIGITS,
                    StandardCharsets.US_ASCII));
        }

        /** A checksum over the start of the file, the declared digits read as {@code '0'}s, to go on with the data. */
        public CRC32 checksumOfStart() {
            CRC32 crc = new CRC32();
            crc.update(start, 0, checksumAt);
            crc.update(UNSIGNED_DIGITS);
            crc.update(start, checksumAt + CHECKSUM_DIGITS, start.length - checksumAt - CHECKSUM_DIGITS);
            return crc;
        }
    }

    /**
     * A tensor to write: its dtype ({@value #F32}, {@code BF16}, {@code F16}, {@value #F64} for a double scalar, or
     * {@code I64} for a count) and its elements, in the platform's order, written little-endian.
     */
    public record Output(String name, String dtype, long[] shape, MemorySegment data) {
        /** Refuses a dtype other than those five. */
        public Output {
            if (!List.of(F32, "BF16", "F16", F64, "I64").contains(dtype)) {
                throw new IllegalArgumentException("vecoptim writes F32, BF16, F16, F64 and I64 tensors, not " + dtype);
            }
        }

        int elementBytes() {
            return DTYPE_BYTES.get(dtype);
        }
    }

    /**
     * Parses and checks the header of a file of {@code size} bytes, whose {@code start} is its length bytes and
     * the JSON they announce.
     *
     * @throws RefusedFileException naming the file and what is wrong with its header
     */
    public static Header parse(Path file, byte[] start, long size) throws RefusedFileException {
        byte[] json = Arrays.copyOfRange(start, LENGTH_BYTES, start.length);
        Object parsed;
        try {
            parsed = Json.parse(json);
        } catch (IllegalArgumentException malformed) {
            throw new RefusedFileException(file + ": its header is not JSON: " + malformed.getMessage(), malformed);
        }
        if (!(parsed instanceof Map<?, ?> entries)) {
            throw refused(file, "its header is not a JSON object");
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        Map<String, Tensor> tensors = new LinkedHashMap<>();
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
        long covered = checkCoverage(file, tensors.values());
        if (start.length + covered != size) {
            throw refused(file, "its tensors end at byte " + (start.length + covered) + " of " + size);
        }
        return new Header(metadata, tensors, covered, start, checksumAt(file, start, metadata.get(CHECKSUM)));
    }

    /** Where {@code digits}, the declared checksum, are in {@code start}; -1 if there are none. */
    private static int checksumAt(Path file, byte[] start, String digits) throws RefusedFileException {
        if (digits == null) {
            return -1;
        }
        if (!digits.matches("[0-9a-f]{" + CHECKSUM_DIGITS + "}")) {
            throw refused(file, "its " + CHECKSUM + " \"" + digits + "\" is not " + CHECKSUM_DIGITS
                    + " lowercase hexadecimal digits");
        }
        byte[] entry = entry(digits);
        int at = indexOf(start, entry, 0);
        if (at < 0 || indexOf(start, entry, at + 1) >= 0) {
            throw refused(file, "its " + CHECKSUM + " is not written as \"" + CHECKSUM + "\":\"<digits>\" exactly once");
        }
        return at + entry.length - CHECKSUM_DIGITS - 1;
    }

    private static byte[] entry(String digits) {
        return ("\"" + CHECKSUM + "\":\"" + digits + "\"").getBytes(StandardCharsets.US_ASCII);
    }

    private static int indexOf(byte[] bytes, byte[] part, int from) {
        for (int i = from; i + part.length <= bytes.length; i++) {
            if (Arrays.equals(bytes, i, i + part.length, part, 0, part.length)) {
                return i;
            }
        }
        return -1;
    }

    private static Tensor tensor(Path file, String name, Object described) throws RefusedFileException {
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

    private static long[] naturals(Path file, String what, Object value) throws RefusedFileException {
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
    private static long checkCoverage(Path file, Collection<Tensor> tensors) throws RefusedFileException {
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

    public static RefusedFileException refused(Path file, String reason) {
        return new RefusedFileException(file + ": " + reason);
    }

    /**
     * Writes {@code tensors}, in order, and {@code metadata} (which must not hold {@value #CHECKSUM}: the
     * checksum is added) to {@code file} atomically ({@link FileReplacement}).
     *
     * @param signature the header's first bytes, which tell a leftover temporary file of ours
     */
    public static void write(Path file, Map<String, String> metadata, List<Output> tensors, byte[] signature)
            throws IOException {
        Map<String, Object> header = new LinkedHashMap<>();
        Map<String, String> signed = new LinkedHashMap<>(metadata);
        signed.put(CHECKSUM, new String(UNSIGNED_DIGITS, StandardCharsets.US_ASCII));
        header.put(METADATA, signed);
        long offset = 0;
        for (Output output : tensors) {
            long end = offset + output.data().byteSize();
            Map<String, Object> described = new LinkedHashMap<>();
            described.put("dtype", output.dtype());
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
        int checksumAt = checksumAt(file, start.array(), new String(UNSIGNED_DIGITS, StandardCharsets.US_ASCII));
        try (FileReplacement replacement = FileReplacement.begin(file, LENGTH_BYTES, signature);
             Arena arena = LittleEndianElements.stagingArena()) {
            FileChannel out = replacement.channel();
            CRC32 crc = new CRC32();
            LittleEndianElements.writeAll(out, crc, start.flip());
            MemorySegment buffer = LittleEndianElements.buffer(arena);
            for (Output output : tensors) {
                LittleEndianElements.write(output.data(), output.elementBytes(), buffer,
                        bytes -> LittleEndianElements.writeAll(out, crc, bytes));
            }
            ByteBuffer digits = ByteBuffer.wrap(String.format("%08x", crc.getValue())
                    .getBytes(StandardCharsets.US_ASCII));
            while (digits.hasRemaining()) {
                out.write(digits, checksumAt + digits.position());
            }
            replacement.commit();
        }
    }
}
