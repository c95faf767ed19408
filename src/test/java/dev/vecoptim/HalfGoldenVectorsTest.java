package dev.vecoptim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.vecoptim.kernel.Dtype;
import dev.vecoptim.kernel.SgdKernel;
import dev.vecoptim.kernel.TestFloats;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * PyTorch parity on 16-bit tensors: SGD's cases recorded from PyTorch 1.13.1 and 2.6.0 with bfloat16 and float16
 * parameters, gradients and state ({@code make_golden.py --dtype}) are replayed through SGD's scalar reference on
 * 16-bit buffers, under the semantics of the PyTorch that recorded them, and every parameter and momentum buffer
 * must equal PyTorch's bit for bit after every step. SGD is the first optimizer whose kernels take a 16-bit dtype;
 * the recordings hold every optimizer PyTorch runs on such tensors, for those that follow.
 */
class HalfGoldenVectorsTest {

    static Stream<Arguments> sgdCases() {
        return Stream.of(Semantics.values()).flatMap(semantics -> Stream.of(Dtype.BFLOAT16, Dtype.FLOAT16)
                .flatMap(dtype -> GoldenCase.read(semantics, dtype).stream()
                        .filter(c -> c.optimizer().equals("sgd")).map(c -> Arguments.of(c, dtype))));
    }

    @ParameterizedTest(name = "{1} {0}")
    @MethodSource("sgdCases")
    void sgdEqualsPyTorchBitForBit(GoldenCase golden, Dtype dtype) {
        Sgd sgd = (Sgd) golden.algorithm();
        int n = golden.initialParam().length;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment param = sixteenBit(arena, dtype, golden.initialParam());
            MemorySegment grad = arena.allocate((long) n * dtype.bytes());
            MemorySegment momentumBuffer = arena.allocate((long) n * dtype.bytes());
            MemorySegment[] state = sgd.momentum() != 0 ? new MemorySegment[] {momentumBuffer} : new MemorySegment[0];
            SgdKernel.Coefficients c = new SgdKernel.Coefficients();
            for (int s = 0; s < golden.steps().size(); s++) {
                GoldenCase.Step expected = golden.steps().get(s);
                store(dtype, grad, expected.grad());
                sgd.scalarReference(sgd.lr(), s + 1, c, dtype).step(param, grad, state, c, 0, n);
                String at = dtype + " step " + (s + 1) + " ";
                assertSameValues(at + "param", expected.param(), dtype, param);
                assertEquals(expected.state().keySet(), sgd.momentum() != 0 ? java.util.Set.of("momentum_buffer")
                        : java.util.Set.of(), at + "state buffers");
                if (sgd.momentum() != 0) {
                    assertSameValues(at + "momentum_buffer", expected.state().get("momentum_buffer"), dtype,
                            momentumBuffer);
                }
            }
        }
    }

    @org.junit.jupiter.api.Test
    void everyRecordingHoldsSgdWithEachOfItsFlags() {
        for (Semantics semantics : Semantics.values()) {
            for (Dtype dtype : List.of(Dtype.BFLOAT16, Dtype.FLOAT16)) {
                List<GoldenCase> sgd = GoldenCase.read(semantics, dtype).stream()
                        .filter(c -> c.optimizer().equals("sgd")).toList();
                for (String flag : List.of("nesterov", "maximize")) {
                    assertTrue(sgd.stream().anyMatch(c -> c.flag(flag)), semantics + " " + dtype + " " + flag);
                }
                for (String number : List.of("momentum", "dampening", "weight_decay")) {
                    assertTrue(sgd.stream().anyMatch(c -> c.hp(number) != 0), semantics + " " + dtype + " " + number);
                }
            }
        }
    }

    private static MemorySegment sixteenBit(Arena arena, Dtype dtype, float[] values) {
        MemorySegment segment = arena.allocate((long) values.length * dtype.bytes());
        store(dtype, segment, values);
        return segment;
    }

    /** Stores values a 16-bit tensor held, which its dtype holds exactly. */
    private static void store(Dtype dtype, MemorySegment segment, float[] values) {
        for (int i = 0; i < values.length; i++) {
            dtype.store(segment, i, values[i]);
            if (!TestFloats.sameBits(values[i], dtype.load(segment, i))) {
                fail(values[i] + " is no " + dtype + " value: the recording is not of " + dtype + " tensors");
            }
        }
    }

    private static void assertSameValues(String what, float[] expected, Dtype dtype, MemorySegment actual) {
        for (int i = 0; i < expected.length; i++) {
            float value = dtype.load(actual, i);
            if (!TestFloats.sameBits(expected[i], value)) {
                fail(what + "[" + i + "] of " + expected.length + ": " + value + " (0x"
                        + Integer.toHexString(Float.floatToRawIntBits(value)) + "), expected " + expected[i] + " (0x"
                        + Integer.toHexString(Float.floatToRawIntBits(expected[i])) + ")");
            }
        }
    }
}
