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
 * Floats as vecoptim's files hold them, little-endian whatever the platform's order: the layout to read them
 * with, and how state buffers go out, through a buffer of {@link #COPY_FLOATS} at a time (checkpoints and
 * safetensors state dicts alike).
 */
public final class LittleEndianFloats {
    public static final ValueLayout.OfFloat LAYOUT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** Floats copied per write. */
    public static final int COPY_FLOATS = 1 << 18;

    /** Where written bytes go: a channel, and a checksum of the file. */
    public interface Sink {
        void write(ByteBuffer bytes) throws IOException;
    }

    private LittleEndianFloats() {
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

    /** Writes the native-order floats of {@code floats} to {@code sink}, little-endian, through {@code buffer}. */
    public static void write(MemorySegment floats, MemorySegment buffer, Sink sink) throws IOException {
        long count = floats.byteSize() / Float.BYTES;
        for (long from = 0; from < count; from += COPY_FLOATS) {
            int chunk = (int) Math.min(COPY_FLOATS, count - from);
            MemorySegment.copy(floats, ValueLayout.JAVA_FLOAT, from * Float.BYTES, buffer, LAYOUT, 0, chunk);
            sink.write(buffer.asSlice(0, (long) chunk * Float.BYTES).asByteBuffer());
        }
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
