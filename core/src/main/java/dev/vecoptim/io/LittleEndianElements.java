package dev.vecoptim.io;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.util.zip.Checksum;

/**
 * Elements as vecoptim's files hold them, little-endian whatever the platform's order: floats (4 bytes), 16-bit
 * elements (bfloat16 and float16, 2 bytes, moved as their bits) and counts (int64, 8 bytes): the layout to read
 * floats with, and how state buffers go out and come in, through a buffer of {@link #COPY_FLOATS} floats' bytes at a
 * time (checkpoints and safetensors files alike).
 */
public final class LittleEndianElements {
    public static final ValueLayout.OfFloat LAYOUT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** 16-bit elements, as their bits. */
    private static final ValueLayout.OfShort HALF = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** Counts, int64 (AveragedModel's {@code n_averaged}). */
    private static final ValueLayout.OfLong COUNT = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** Floats copied per write (twice as many 16-bit elements). */
    public static final int COPY_FLOATS = 1 << 18;

    /** Where written bytes go: a channel, and a checksum of the file. */
    public interface Sink {
        void write(ByteBuffer bytes) throws IOException;
    }

    private LittleEndianElements() {
    }

    /**
     * An arena for the memory a save or load works through. Shared, not confined: accesses to confined memory
     * anywhere in the JVM make C2 compile the step loops over shared memory into code that traps again and again
     * (the API's {@code OwnerThreadMemory} says more).
     */
    public static Arena stagingArena() {
        return Arena.ofShared();
    }

    /** A buffer for {@link #write}: {@link #COPY_FLOATS} floats. */
    public static MemorySegment buffer(Arena arena) {
        return arena.allocate((long) COPY_FLOATS * Float.BYTES, Float.BYTES);
    }

    /**
     * Writes the native-order elements of {@code elements}, each {@code elementBytes} bytes (4, 2 or 8), to
     * {@code sink}, little-endian, through {@code buffer}.
     */
    public static void write(MemorySegment elements, int elementBytes, MemorySegment buffer, Sink sink)
            throws IOException {
        ValueLayout nativeOrder = nativeLayout(elementBytes);
        long count = elements.byteSize() / elementBytes;
        long perChunk = buffer.byteSize() / elementBytes;
        for (long from = 0; from < count; from += perChunk) {
            long chunk = Math.min(perChunk, count - from);
            MemorySegment.copy(elements, nativeOrder, from * elementBytes, buffer, fileLayout(elementBytes), 0, chunk);
            sink.write(buffer.asSlice(0, chunk * elementBytes).asByteBuffer());
        }
    }

    /**
     * Copies {@code count} little-endian elements of {@code elementBytes} bytes (4, 2 or 8) at byte {@code offset} of
     * {@code file} (a file's bytes in memory) into {@code elements}, in the platform's order.
     */
    public static void read(MemorySegment file, long offset, MemorySegment elements, int elementBytes, long count) {
        MemorySegment.copy(file, fileLayout(elementBytes), offset, elements, nativeLayout(elementBytes), 0, count);
    }

    private static ValueLayout fileLayout(int elementBytes) {
        return switch (elementBytes) {
            case Float.BYTES -> LAYOUT;
            case Short.BYTES -> HALF;
            case Long.BYTES -> COUNT;
            default -> throw new IllegalArgumentException("elements of " + elementBytes + " bytes");
        };
    }

    private static ValueLayout nativeLayout(int elementBytes) {
        return fileLayout(elementBytes).withOrder(ByteOrder.nativeOrder());
    }

    /** Adds {@code bytes} to {@code checksum}, then writes them all. */
    public static void writeAll(FileChannel out, Checksum checksum, ByteBuffer bytes) throws IOException {
        checksum.update(bytes.duplicate());
        writeAll(out, bytes);
    }

    /** Writes every byte of {@code bytes}: a channel may take fewer per call. */
    public static void writeAll(FileChannel out, ByteBuffer bytes) throws IOException {
        while (bytes.hasRemaining()) {
            out.write(bytes);
        }
    }
}
