package dev.vecoptim.kernel;

import static org.quicktheories.QuickTheory.qt;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The kernel contract: every vector kernel equals the scalar reference bit for bit, for every width,
 * length, misalignment, flag combination, coefficient, chunking and kind of segment.
 */
class VectorKernelProperties {

    @Test
    void vectorEqualsScalarBitwiseForEveryWidth() {
        qt().withExamples(3000).forAll(KernelCase.any()).checkAssert(c -> {
            try (Arena arena = Arena.ofConfined()) {
                Buffers scalar = c.buffers(arena);
                Buffers[] vector = new Buffers[KernelCase.WIDTHS.size()];
                for (int w = 0; w < vector.length; w++) {
                    vector[w] = scalar.copy(arena);
                }
                for (int step = 1; step <= c.steps(); step++) {
                    c.update().prepare(0, scalar, step, c.length());
                    c.update().apply(0, scalar, step, 0, c.length());
                    for (int w = 0; w < vector.length; w++) {
                        int bits = KernelCase.WIDTHS.get(w);
                        c.update().prepare(bits, vector[w], step, c.length());
                        c.update().apply(bits, vector[w], step, 0, c.length());
                        vector[w].assertSameBits(bits + "-bit step " + step, scalar);
                    }
                }
            }
        });
    }

    @Test
    void anyChunkingGivesTheBitsOfOneCall() {
        qt().withExamples(1500).forAll(KernelCase.any()).checkAssert(c -> {
            try (Arena arena = Arena.ofConfined()) {
                Buffers whole = c.buffers(arena);
                Buffers chunked = whole.copy(arena);
                SplittableRandom random = new SplittableRandom(c.dataSeed());
                for (int step = 1; step <= c.steps(); step++) {
                    c.update().prepare(0, whole, step, c.length());
                    c.update().apply(0, whole, step, 0, c.length());
                    c.update().prepare(KernelCase.WIDTHS.get(random.nextInt(4)), chunked, step, c.length());
                    long from = 0;
                    while (from < c.length()) {
                        long to = Math.min(c.length(), from + 1 + random.nextInt(Math.max(1, c.length() / 3)));
                        int bits = random.nextInt(5) == 0 ? 0 : KernelCase.WIDTHS.get(random.nextInt(4));
                        c.update().apply(bits, chunked, step, from, to);
                        from = to;
                    }
                    chunked.assertSameBits("chunked step " + step, whole);
                }
            }
        });
    }

    @Test
    void heapSegmentsGiveTheBitsOfNativeOnes() {
        qt().withExamples(1000).forAll(KernelCase.any()).checkAssert(c -> {
            try (Arena arena = Arena.ofConfined()) {
                Buffers heap = Buffers.heapFilled(c.length(), c.update().stateBuffers(), c.byteOffset() % 16,
                        c.dataSeed());
                Buffers nativeCopy = heap.copy(arena);
                int bits = KernelCase.WIDTHS.get(c.byteOffset() % 4);
                for (int step = 1; step <= c.steps(); step++) {
                    c.update().prepare(bits, heap, step, c.length());
                    c.update().apply(bits, heap, step, 0, c.length());
                    c.update().prepare(bits, nativeCopy, step, c.length());
                    c.update().apply(bits, nativeCopy, step, 0, c.length());
                    heap.assertSameBits(bits + "-bit heap step " + step, nativeCopy);
                }
            }
        });
    }

    /**
     * A layer-wise kernel's prepared values ({@link PreparedValues}), of which its norms are taken, are the scalar
     * reference's bit for bit at every width: a norm would hide a last bit.
     */
    @Test
    void preparedValuesEqualTheScalarReferencesBitwise() {
        qt().withExamples(1000).forAll(KernelCase.any()).checkAssert(c -> preparedValuesAgree(c.update(), c));
    }

    @SuppressWarnings("unchecked")
    private static <C, F extends Record> void preparedValuesAgree(Update<C, F> update, KernelCase c) {
        if (!(Kernels.kernel(update.family().kernels(), 0, update.flags(1)) instanceof PreparedValues<?> reference)) {
            return;
        }
        try (Arena arena = Arena.ofConfined()) {
            Buffers buffers = c.buffers(arena);
            int length = c.length();
            MemorySegment expectedParams = arena.allocate(4L * Math.max(1, length), 64);
            MemorySegment expectedUpdates = arena.allocate(4L * Math.max(1, length), 64);
            ((PreparedValues<C>) reference).compute(buffers.param(), buffers.grad(), update.state(buffers),
                    update.coefficients(), 0, length, expectedParams, expectedUpdates, 0);
            for (int bits : KernelCase.WIDTHS) {
                PreparedValues<C> vector = (PreparedValues<C>) Kernels.kernel(update.family().kernels(), bits,
                        update.flags(1));
                MemorySegment params = arena.allocate(4L * Math.max(1, length), 64);
                MemorySegment updates = arena.allocate(4L * Math.max(1, length), 64);
                vector.compute(buffers.param(), buffers.grad(), update.state(buffers), update.coefficients(), 0,
                        length, params, updates, 0);
                if (!TestFloats.sameBits(expectedParams, params) || !TestFloats.sameBits(expectedUpdates, updates)) {
                    throw new AssertionError(bits + "-bit prepared values differ from the scalar reference's");
                }
            }
        }
    }
}
