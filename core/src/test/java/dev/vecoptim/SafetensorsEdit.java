package dev.vecoptim;

import dev.vecoptim.io.CheckpointReader;
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
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.zip.CRC32;

/**
 * A safetensors file opened for change, as another writer with other intentions would make it: metadata and
 * tensors (dtype, shape, raw little-endian bytes) to edit, then written back whole and well formed. For files a
 * correct vecoptim never writes.
 */
final class SafetensorsEdit {
    private static final String UNSIGNED = "00000000";

    /** A tensor's description and bytes. */
    record Raw(String dtype, long[] shape, byte[] bytes) {
    }

    /** A whole file as read: its metadata, its tensors by name in the header's order, and all their bytes. */
    record Contents(Map<String, String> metadata, Map<String, Safetensors.Tensor> tensors, MemorySegment data) {
    }

    final Map<String, String> metadata = new LinkedHashMap<>();
    final Map<String, Raw> tensors = new LinkedHashMap<>();
    /**
     * Whether {@link #write} signs the file with vecoptim's checksum, as a writer that knows it would (true when
     * the file read had one, which {@link #metadata} then leaves out).
     */
    boolean signed;

    /** Reads any safetensors file whole, checked as a state dict's loading checks it. */
    static Contents read(Path file, Arena arena) throws IOException {
        try (SafetensorsReader reader = SafetensorsReader.open(file.toAbsolutePath(), Safetensors.MAX_HEADER_BYTES,
                "a safetensors file", SafetensorsReader.FILE, CheckpointReader.READ_BYTES)) {
            Safetensors.Header header = reader.header();
            return new Contents(header.metadata(), header.tensors(), reader.data(arena));
        }
    }

    static SafetensorsEdit of(Path file) throws IOException {
        SafetensorsEdit edit = new SafetensorsEdit();
        try (Arena arena = Arena.ofConfined()) {
            Contents contents = read(file, arena);
            edit.metadata.putAll(contents.metadata());
            edit.signed = edit.metadata.remove(Safetensors.CHECKSUM) != null;
            for (Safetensors.Tensor tensor : contents.tensors().values()) {
                edit.tensors.put(tensor.name(), new Raw(tensor.dtype(), tensor.shape(), contents.data()
                        .asSlice(tensor.begin(), tensor.end() - tensor.begin()).toArray(ValueLayout.JAVA_BYTE)));
            }
        }
        return edit;
    }

    /** Replaces tensor {@code name} with one of {@code dtype} and {@code shape} holding {@code values}. */
    SafetensorsEdit put(String name, String dtype, long[] shape, Number... values) {
        ByteBuffer bytes = ByteBuffer.allocate(64 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (Number value : values) {
            switch (dtype) {
                case "F32" -> bytes.putFloat(value.floatValue());
                case "F64" -> bytes.putDouble(value.doubleValue());
                case "I64" -> bytes.putLong(value.longValue());
                case "I32" -> bytes.putInt(value.intValue());
                case "F16" -> bytes.putShort(Float.floatToFloat16(value.floatValue()));
                default -> throw new IllegalArgumentException(dtype);
            }
        }
        tensors.put(name, new Raw(dtype, shape, java.util.Arrays.copyOf(bytes.array(), bytes.position())));
        return this;
    }

    /** Replaces tensor {@code name} with a 0-dim one holding {@code value}. */
    SafetensorsEdit scalar(String name, String dtype, Number value) {
        return put(name, dtype, new long[0], value);
    }

    SafetensorsEdit rename(String from, String to) {
        Map<String, Raw> renamed = new LinkedHashMap<>();
        tensors.forEach((name, raw) -> renamed.put(name.equals(from) ? to : name, raw));
        tensors.clear();
        tensors.putAll(renamed);
        return this;
    }

    /** Writes the tensors one after another, in order, with a header JSON that {@code change} may alter as text. */
    void write(Path file, UnaryOperator<String> change) throws IOException {
        write(file, change, false);
    }

    /** The same, the header listing the tensors last first: safetensors does not order them. */
    void writeListedBackwards(Path file) throws IOException {
        write(file, UnaryOperator.identity(), true);
    }

    private void write(Path file, UnaryOperator<String> change, boolean backwards) throws IOException {
        StringBuilder header = new StringBuilder("{\"__metadata__\":{");
        List<String> entries = new ArrayList<>();
        metadata.forEach((key, value) -> entries.add(quote(key) + ":" + quote(value)));
        if (signed) {
            entries.add(quote(Safetensors.CHECKSUM) + ":" + quote(UNSIGNED));
        }
        header.append(String.join(",", entries)).append("}");
        List<String> described = new ArrayList<>();
        long offset = 0;
        for (Map.Entry<String, Raw> tensor : tensors.entrySet()) {
            Raw raw = tensor.getValue();
            List<String> shape = new ArrayList<>();
            for (long extent : raw.shape()) {
                shape.add(Long.toString(extent));
            }
            described.add("," + quote(tensor.getKey()) + ":{\"dtype\":" + quote(raw.dtype()) + ",\"shape\":["
                    + String.join(",", shape) + "],\"data_offsets\":[" + offset + "," + (offset + raw.bytes().length)
                    + "]}");
            offset += raw.bytes().length;
        }
        if (backwards) {
            java.util.Collections.reverse(described);
        }
        described.forEach(header::append);
        byte[] json = change.apply(header.append("}").toString()).getBytes(StandardCharsets.UTF_8);
        ByteBuffer out = ByteBuffer.allocate((int) (8 + json.length + offset)).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(json.length).put(json);
        tensors.values().forEach(raw -> out.put(raw.bytes()));
        byte[] bytes = out.array();
        sign(bytes);
        Files.write(file, bytes);
    }

    void write(Path file) throws IOException {
        write(file, UnaryOperator.identity());
    }

    /**
     * Writes the checksum of {@code bytes}, a whole file, into its {@code "crc32":"00000000"} if it has one, as
     * vecoptim's writer does.
     */
    static void sign(byte[] bytes) {
        byte[] entry = (quote(Safetensors.CHECKSUM) + ":" + quote(UNSIGNED)).getBytes(StandardCharsets.US_ASCII);
        for (int at = 0; at + entry.length <= bytes.length; at++) {
            if (java.util.Arrays.equals(bytes, at, at + entry.length, entry, 0, entry.length)) {
                CRC32 crc = new CRC32();
                crc.update(bytes);
                byte[] digits = String.format("%08x", crc.getValue()).getBytes(StandardCharsets.US_ASCII);
                System.arraycopy(digits, 0, bytes, at + entry.length - digits.length - 1, digits.length);
                return;
            }
        }
    }

    private static String quote(String text) {
        return "\"" + text.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
