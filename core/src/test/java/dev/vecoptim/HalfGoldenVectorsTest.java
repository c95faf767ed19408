package dev.vecoptim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.vecoptim.kernel.TestFloats;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * PyTorch parity on 16-bit tensors, through the public API: the cases recorded from PyTorch 1.13.1 and 2.6.0 with
 * bfloat16 and float16 parameters, gradients and state ({@code make_golden.py --dtype}) are replayed by an
 * {@link Optimizer} holding a parameter of that {@link Dtype} ({@link ParameterGroup#add(Dtype, MemorySegment,
 * MemorySegment)}), under the semantics of the PyTorch that recorded them, and every parameter, state buffer and
 * scalar must equal PyTorch's bit for bit after every step; PyTorch 2.6's {@code fused=True} recordings are replayed
 * with {@link Algorithm#fused()} at every width, on flat storage ({@link ParameterGroup#allocate(Dtype, long...)}).
 * The recordings hold every optimizer PyTorch runs on such tensors, for those that follow.
 */
class HalfGoldenVectorsTest {
    private static final List<Dtype> SIXTEEN_BIT = List.of(Dtype.BFLOAT16, Dtype.FLOAT16);

    static Stream<Arguments> replayedCases() {
        return Stream.of(Semantics.values()).flatMap(semantics -> SIXTEEN_BIT.stream()
                .flatMap(dtype -> GoldenCase.read(semantics, dtype.format()).stream()
                        .map(c -> Arguments.of(c, dtype))));
    }

    @ParameterizedTest(name = "{1} {0}")
    @MethodSource("replayedCases")
    void equalsPyTorchBitForBit(GoldenCase golden, Dtype dtype) {
        replay(golden, dtype, golden.algorithm(), false);
    }

    static Stream<Arguments> fusedCases() {
        return SIXTEEN_BIT.stream().flatMap(dtype -> GoldenCase.readFused(dtype.format()).stream()
                .flatMap(c -> VectorWidth.available().stream().map(width -> Arguments.of(c, dtype, width))));
    }

    /**
     * PyTorch 2.6's {@code fused=True} Adam and AdamW: the float32 step of each element's widened values, rounded
     * once to the dtype at the store ({@link Algorithm#fused()}), at every width.
     */
    @ParameterizedTest(name = "fused {1} {2} {0}")
    @MethodSource("fusedCases")
    void fusedEqualsPyTorchBitForBit(GoldenCase golden, Dtype dtype, VectorWidth width) {
        replay(golden, dtype, golden.algorithm().withVectorWidth(width).withFused(true), true);
    }

    @org.junit.jupiter.api.Test
    void theFusedRecordingsHoldAdamAndAdamWWithEachOfTheirFlags() {
        for (Dtype dtype : SIXTEEN_BIT) {
            List<GoldenCase> cases = GoldenCase.readFused(dtype.format());
            List<String> optimizers = cases.stream().map(GoldenCase::optimizer).distinct().sorted().toList();
            assertEquals(List.of("adam", "adamw"), optimizers, dtype.toString());
            for (String optimizer : optimizers) {
                List<GoldenCase> ofIt = cases.stream().filter(c -> c.optimizer().equals(optimizer)).toList();
                ofIt.getFirst().algorithm().namedHyperParameters().forEach((name, value) -> {
                    if (value instanceof Boolean) {
                        assertTrue(ofIt.stream().anyMatch(c -> c.flag(name)),
                                "fused " + dtype + " " + optimizer + " never with " + name);
                    }
                });
            }
        }
    }

    /**
     * Replays {@code golden}'s steps on a parameter of {@code dtype} of an optimizer of {@code algorithm}, checking
     * each: in the caller's memory, or {@code flat} in the optimizer's.
     */
    private static void replay(GoldenCase golden, Dtype dtype, Algorithm algorithm, boolean flat) {
        int n = golden.initialParam().length;
        try (Arena arena = Arena.ofShared(); Optimizer optimizer = Optimizer.builder().build()) {
            ParameterGroup group = optimizer.addGroup(algorithm);
            Parameter parameter = flat ? group.allocate(dtype, n).getFirst()
                    : group.add(dtype, arena.allocate((long) n * dtype.bytes()), arena.allocate((long) n * dtype.bytes()));
            store(dtype, parameter.value(), golden.initialParam());
            optimizer.train();
            for (int s = 0; s < golden.steps().size(); s++) {
                GoldenCase.Step expected = golden.steps().get(s);
                store(dtype, parameter.grad(), expected.grad());
                optimizer.step();
                String at = dtype + " step " + (s + 1) + " ";
                assertEquals(expected.scalars().keySet(), GoldenVectorsTest.recordedScalars(algorithm), at + "scalars");
                for (Map.Entry<String, Float> scalar : expected.scalars().entrySet()) {
                    TestFloats.assertSameBits(at + scalar.getKey(), MemorySegment.ofArray(new float[] {scalar.getValue()}),
                            parameter.state(scalar.getKey()));
                }
                assertSameValues(at + "param", expected.param(), dtype, parameter.value());
                assertEquals(expected.state().keySet(), Set.copyOf(parameter.stateNames()), at + "state buffers");
                for (Map.Entry<String, float[]> buffer : expected.state().entrySet()) {
                    assertSameValues(at + buffer.getKey(), buffer.getValue(), dtype, parameter.state(buffer.getKey()));
                }
                if (expected.evalParam() != null) {
                    optimizer.eval();
                    assertSameValues(at + "eval value", expected.evalParam(), dtype, parameter.value());
                    optimizer.train();
                }
            }
        }
    }

    @org.junit.jupiter.api.Test
    void everyRecordingOfAnOptimizerOnSixteenBitsIsReplayedWithEachOfItsFlags() {
        for (Semantics semantics : Semantics.values()) {
            for (Dtype dtype : SIXTEEN_BIT) {
                List<GoldenCase> cases = GoldenCase.read(semantics, dtype.format());
                List<String> replayed = cases.stream().map(GoldenCase::optimizer).distinct().toList();
                assertTrue(replayed.contains("sgd"), semantics + " " + dtype + " replays " + replayed);
                if (dtype == Dtype.BFLOAT16 || semantics == Semantics.PYTORCH_2) {
                    assertTrue(replayed.containsAll(List.of("adam", "adamw")), semantics + " " + dtype + " replays "
                            + replayed);
                }
                for (String optimizer : replayed) {
                    List<GoldenCase> ofIt = cases.stream().filter(c -> c.optimizer().equals(optimizer)).toList();
                    Algorithm prototype = ofIt.getFirst().algorithm();
                    List<String> absent = semantics == Semantics.PYTORCH_1_13 ? TestedValues.notIn113(prototype.name())
                            : List.of();
                    prototype.namedHyperParameters().forEach((name, value) -> {
                        if (value instanceof Boolean && !absent.contains(name)) {
                            assertTrue(ofIt.stream().anyMatch(c -> c.flag(name)), semantics + " " + dtype + " "
                                    + optimizer + " never with " + name);
                        }
                    });
                }
            }
        }
    }

    /** Stores values a 16-bit tensor held, which its dtype holds exactly. */
    private static void store(Dtype dtype, MemorySegment segment, float[] values) {
        for (int i = 0; i < values.length; i++) {
            dtype.format().store(segment, i, values[i]);
            if (!TestFloats.sameBits(values[i], dtype.format().load(segment, i))) {
                fail(values[i] + " is no " + dtype + " value: the recording is not of " + dtype + " tensors");
            }
        }
    }

    private static void assertSameValues(String what, float[] expected, Dtype dtype, MemorySegment actual) {
        for (int i = 0; i < expected.length; i++) {
            float value = dtype.format().load(actual, i);
            if (!TestFloats.sameBits(expected[i], value)) {
                fail(what + "[" + i + "] of " + expected.length + ": " + value + " (0x"
                        + Integer.toHexString(Float.floatToRawIntBits(value)) + "), expected " + expected[i] + " (0x"
                        + Integer.toHexString(Float.floatToRawIntBits(expected[i])) + ")");
            }
        }
    }
}
