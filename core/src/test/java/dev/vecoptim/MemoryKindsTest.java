package dev.vecoptim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import org.junit.jupiter.api.Test;

/**
 * Which memory holds floats for vecoptim: native memory and segments over {@code float[]} or {@code byte[]}, in
 * the native byte order. A segment over another array is refused before anything is written; NIO buffers come
 * in through {@link FloatSegments}, which refuses the wrong byte order.
 */
class MemoryKindsTest {
    private static final Adam ADAM = Adam.builder().lr(0.1).build();
    private static final float[] VALUES = {0.5f, -1.25f, 3f, 0f, 7.5f, -0.125f, 2f, 1f};
    private static final float[] GRADS = {0.1f, 0.2f, -0.3f, 0.4f, -0.5f, 0.6f, 0.7f, -0.8f};

    @Test
    void aSegmentOverAnArrayOfAnotherTypeIsRefusedBeforeAnyWrite() {
        MemorySegment param = MemorySegment.ofArray(VALUES.clone());
        MemorySegment expAvg = MemorySegment.ofArray(new float[8]);
        MemorySegment expAvgSq = MemorySegment.ofArray(new float[8]);
        IllegalArgumentException doubles = assertThrows(IllegalArgumentException.class, () -> ADAM.step(param,
                MemorySegment.ofArray(new double[4]), expAvg, expAvgSq, null, 1));
        assertEquals("grad is a segment over a double[], but holds floats for vecoptim: use memory over a float[]"
                + " (MemorySegment.ofArray), a byte[] or native memory", doubles.getMessage());
        assertArrayEquals(VALUES, param.toArray(ValueLayout.JAVA_FLOAT), "param unchanged");
        assertThrows(IllegalArgumentException.class, () -> ADAM.step(MemorySegment.ofArray(new long[4]),
                MemorySegment.ofArray(GRADS.clone()), expAvg, expAvgSq, null, 1));
        try (Optimizer optimizer = Optimizer.builder().build()) {
            ParameterGroup group = optimizer.addGroup(ADAM);
            IllegalArgumentException ints = assertThrows(IllegalArgumentException.class,
                    () -> group.add(param, MemorySegment.ofArray(new int[8])));
            assertTrue(ints.getMessage().startsWith("group 0 parameter 0 grad is a segment over a int[]"),
                    ints.getMessage());
            assertThrows(IllegalArgumentException.class,
                    () -> group.add(MemorySegment.ofArray(new long[4]), MemorySegment.ofArray(GRADS.clone())));
            assertEquals(0, group.parameters().size(), "nothing registered");
        }
    }

    @Test
    void segmentsOverBytesAreSteppedAsSegmentsOverFloats() {
        MemorySegment floats = MemorySegment.ofArray(VALUES.clone());
        MemorySegment bytes = MemorySegment.ofArray(new byte[VALUES.length * Float.BYTES]).copyFrom(floats);
        step(floats, MemorySegment.ofArray(GRADS.clone()));
        step(bytes, MemorySegment.ofArray(new byte[GRADS.length * Float.BYTES])
                .copyFrom(MemorySegment.ofArray(GRADS)));
        assertArrayEquals(floats.toArray(ValueLayout.JAVA_FLOAT), bytes.toArray(ValueLayout.JAVA_FLOAT_UNALIGNED));
    }

    @Test
    void aByteBufferInAnotherOrderIsRefusedWithTheFix() {
        ByteBuffer bigEndian = ByteBuffer.allocateDirect(32);
        ByteOrder other = ByteOrder.nativeOrder() == ByteOrder.BIG_ENDIAN ? ByteOrder.LITTLE_ENDIAN
                : ByteOrder.BIG_ENDIAN;
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                () -> FloatSegments.of(bigEndian.order(other)));
        assertEquals("the ByteBuffer is in " + other + " order, but vecoptim reads floats in the native order ("
                + ByteOrder.nativeOrder() + " here): call buffer.order(ByteOrder.nativeOrder()) first",
                refused.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> FloatSegments.of(ByteBuffer.allocate(10).order(ByteOrder.nativeOrder())));

        ByteBuffer param = ByteBuffer.allocateDirect(32).order(ByteOrder.nativeOrder());
        param.asFloatBuffer().put(VALUES);
        ByteBuffer grad = ByteBuffer.allocate(32).order(ByteOrder.nativeOrder());
        grad.asFloatBuffer().put(GRADS);
        step(FloatSegments.of(param), FloatSegments.of(grad));
        MemorySegment expected = MemorySegment.ofArray(VALUES.clone());
        step(expected, MemorySegment.ofArray(GRADS.clone()));
        for (int i = 0; i < VALUES.length; i++) {
            assertEquals(Float.floatToRawIntBits(expected.getAtIndex(ValueLayout.JAVA_FLOAT, i)),
                    Float.floatToRawIntBits(param.getFloat(4 * i)), "element " + i + " read back through the buffer");
        }
    }

    @Test
    void aFloatBufferInAnotherOrderIsRefusedWithTheFix() {
        ByteOrder other = ByteOrder.nativeOrder() == ByteOrder.BIG_ENDIAN ? ByteOrder.LITTLE_ENDIAN
                : ByteOrder.BIG_ENDIAN;
        FloatBuffer view = ByteBuffer.allocateDirect(32).order(other).asFloatBuffer();
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () -> FloatSegments.of(view));
        assertTrue(refused.getMessage().endsWith("byteBuffer.order(ByteOrder.nativeOrder()).asFloatBuffer()"),
                refused.getMessage());
        FloatBuffer wrapped = FloatBuffer.wrap(VALUES.clone());
        MemorySegment segment = FloatSegments.of(wrapped);
        step(segment, MemorySegment.ofArray(GRADS.clone()));
        MemorySegment expected = MemorySegment.ofArray(VALUES.clone());
        step(expected, MemorySegment.ofArray(GRADS.clone()));
        assertArrayEquals(expected.toArray(ValueLayout.JAVA_FLOAT), wrapped.array());
    }

    private static void step(MemorySegment param, MemorySegment grad) {
        ADAM.step(param, grad, MemorySegment.ofArray(new float[VALUES.length]),
                MemorySegment.ofArray(new float[VALUES.length]), null, 1);
    }
}
