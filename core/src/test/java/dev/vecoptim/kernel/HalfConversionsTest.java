package dev.vecoptim.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.zip.CRC32;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The conversions between float32 and bfloat16 or float16, proven over every input: every float32 bit pattern
 * narrowed and every 16-bit pattern widened by the scalar reference and by the vector kernel of every width, which
 * must give the same bits, NaNs included; and the scalar reference's results, in order, must have the CRC-32s of
 * PyTorch's own conversions over the same inputs (recorded by {@code src/test/python/make_half_golden.py} from
 * 1.13.1 and 2.6, PyTorch's NaNs counted as the NaNs vecoptim writes, whose bytes the CRC-32 reads as they are:
 * the platform is little-endian, as the recording is).
 */
class HalfConversionsTest {
    private static final int CHUNK = 1 << 20;
    private static final List<String> VERSIONS = List.of("1.13", "2.6");

    @ParameterizedTest
    @EnumSource(value = Format.class, names = {"BFLOAT16", "FLOAT16"})
    void everyFloatNarrowsAsPyTorchDoesAtEveryWidth(Format format) {
        assertEquals(java.nio.ByteOrder.LITTLE_ENDIAN, java.nio.ByteOrder.nativeOrder(), "the recording's byte order");
        HalfKernel.Flags flags = new HalfKernel.Flags(format);
        HalfKernel scalar = Kernels.kernel(HalfKernel.FAMILY, Vectorization.SCALAR, flags);
        List<HalfKernel> vectors = KernelCase.WIDTHS.stream().map(bits -> Kernels.kernel(HalfKernel.FAMILY, bits, flags))
                .toList();
        CRC32 crc = new CRC32();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment floats = arena.allocate((long) CHUNK * Float.BYTES, 64);
            MemorySegment expected = arena.allocate((long) CHUNK * Short.BYTES, 64);
            MemorySegment actual = arena.allocate((long) CHUNK * Short.BYTES, 64);
            for (long start = 0; start < 1L << 32; start += CHUNK) {
                for (int i = 0; i < CHUNK; i++) {
                    floats.setAtIndex(ValueLayout.JAVA_INT, i, (int) (start + i));
                }
                scalar.narrow(floats, 0, expected, 0, CHUNK);
                for (int w = 0; w < vectors.size(); w++) {
                    vectors.get(w).narrow(floats, 0, actual, 0, CHUNK);
                    long at = expected.mismatch(actual);
                    if (at >= 0) {
                        int pattern = (int) (start + at / Short.BYTES);
                        throw new AssertionError(KernelCase.WIDTHS.get(w) + "-bit " + format + " of float 0x"
                                + Integer.toHexString(pattern) + " (" + Float.intBitsToFloat(pattern) + "): 0x"
                                + Integer.toHexString(actual.getAtIndex(Floats.HALF, at / Short.BYTES) & 0xFFFF)
                                + ", the scalar reference 0x"
                                + Integer.toHexString(expected.getAtIndex(Floats.HALF, at / Short.BYTES) & 0xFFFF));
                    }
                }
                crc.update(expected.asByteBuffer());
            }
        }
        assertEquals(pyTorchCrcs(format, "narrow"), List.of(crc.getValue()));
    }

    @ParameterizedTest
    @EnumSource(value = Format.class, names = {"BFLOAT16", "FLOAT16"})
    void everyHalfWidensExactlyAsPyTorchDoesAtEveryWidth(Format format) {
        HalfKernel.Flags flags = new HalfKernel.Flags(format);
        int patterns = 1 << 16;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment halves = arena.allocate((long) patterns * Short.BYTES, 64);
            for (int i = 0; i < patterns; i++) {
                halves.setAtIndex(Floats.HALF, i, (short) i);
            }
            MemorySegment expected = arena.allocate((long) patterns * Float.BYTES, 64);
            Kernels.kernel(HalfKernel.FAMILY, Vectorization.SCALAR, flags).widen(halves, 0, expected, 0, patterns);
            for (int bits : KernelCase.WIDTHS) {
                MemorySegment actual = arena.allocate((long) patterns * Float.BYTES, 64);
                Kernels.kernel(HalfKernel.FAMILY, bits, flags).widen(halves, 0, actual, 0, patterns);
                assertEquals(-1, expected.mismatch(actual), bits + "-bit " + format + " widening");
            }
            MemorySegment back = arena.allocate((long) patterns * Short.BYTES, 64);
            Kernels.kernel(HalfKernel.FAMILY, Vectorization.SCALAR, flags).narrow(expected, 0, back, 0, patterns);
            CRC32 crc = new CRC32();
            for (int i = 0; i < patterns; i++) {
                float value = expected.getAtIndex(ValueLayout.JAVA_FLOAT, i);
                int canonical = Float.isNaN(value) ? 0x7FC00000 : Float.floatToRawIntBits(value);
                crc.update(new byte[] {(byte) canonical, (byte) (canonical >> 8), (byte) (canonical >> 16),
                        (byte) (canonical >> 24)});
                if (!Float.isNaN(value)) {
                    assertEquals((short) i, back.getAtIndex(Floats.HALF, i), "the round trip of 0x"
                            + Integer.toHexString(i));
                }
            }
            assertEquals(pyTorchCrcs(format, "widen"), List.of(crc.getValue()));
        }
    }

    /** The CRC-32 each PyTorch version recorded for this conversion, once per version (they must agree). */
    private static List<Long> pyTorchCrcs(Format format, String conversion) {
        String key = format.name().toLowerCase(Locale.ROOT) + " " + conversion + " ";
        List<Long> crcs = new ArrayList<>();
        for (String version : VERSIONS) {
            String resource = "/golden/half-" + version + ".txt";
            try (InputStream in = HalfConversionsTest.class.getResourceAsStream(resource)) {
                assertTrue(in != null, resource + " is missing; run src/test/python/make_half_golden.py");
                String line = new String(in.readAllBytes(), StandardCharsets.US_ASCII).lines()
                        .filter(l -> l.startsWith(key)).findFirst().orElseThrow(() -> new AssertionError(
                                resource + " has no line " + key));
                crcs.add(HexFormat.fromHexDigitsToLong(line.substring(key.length()).strip()));
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
        return crcs.stream().distinct().toList();
    }
}
