package dev.vecoptim;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Objects;

/**
 * A checked way in from NIO buffers. vecoptim reads and writes every buffer as floats in the platform's byte
 * order ({@link ByteOrder#nativeOrder()}), as {@link java.lang.foreign.ValueLayout#JAVA_FLOAT} does; a
 * {@link MemorySegment} made by {@link MemorySegment#ofBuffer} forgets the buffer's order, so a big-endian
 * {@link ByteBuffer} (Java's default order) would be stepped as garbage without a word. These methods make the
 * segment only when the order is right, and say how to fix it when it is not.
 */
public final class FloatSegments {
    private FloatSegments() {
    }

    /**
     * The segment over {@code buffer}'s remaining bytes (position to limit), as {@link MemorySegment#ofBuffer}.
     *
     * @param buffer heap or direct, in the native byte order
     * @return a segment over its remaining bytes
     * @throws IllegalArgumentException if the buffer is not in the native byte order, or its remaining bytes are
     *     not a whole number of floats
     */
    public static MemorySegment of(ByteBuffer buffer) {
        nativeOrder("ByteBuffer", Objects.requireNonNull(buffer, "buffer").order(),
                "call buffer.order(ByteOrder.nativeOrder()) first");
        if (buffer.remaining() % Float.BYTES != 0) {
            throw new IllegalArgumentException("the ByteBuffer has " + buffer.remaining()
                    + " bytes remaining, not a whole number of floats");
        }
        return MemorySegment.ofBuffer(buffer);
    }

    /**
     * The segment over {@code buffer}'s remaining floats (position to limit), as {@link MemorySegment#ofBuffer}.
     *
     * @param buffer heap or direct, in the native byte order
     * @return a segment over its remaining floats
     * @throws IllegalArgumentException if the buffer is not in the native byte order (a view of a ByteBuffer in
     *     another order)
     */
    public static MemorySegment of(FloatBuffer buffer) {
        nativeOrder("FloatBuffer", Objects.requireNonNull(buffer, "buffer").order(),
                "make it from a ByteBuffer in that order, byteBuffer.order(ByteOrder.nativeOrder()).asFloatBuffer()");
        return MemorySegment.ofBuffer(buffer);
    }

    private static void nativeOrder(String kind, ByteOrder order, String fix) {
        if (order != ByteOrder.nativeOrder()) {
            throw new IllegalArgumentException("the " + kind + " is in " + order + " order, but vecoptim reads floats"
                    + " in the native order (" + ByteOrder.nativeOrder() + " here): " + fix);
        }
    }
}
