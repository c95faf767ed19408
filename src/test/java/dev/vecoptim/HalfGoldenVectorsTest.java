package dev.vecoptim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.vecoptim.kernel.Dtype;
import dev.vecoptim.kernel.Storage;
import dev.vecoptim.kernel.TestFloats;
import dev.vecoptim.step.StepUpdate;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * PyTorch parity on 16-bit tensors: the cases recorded from PyTorch 1.13.1 and 2.6.0 with bfloat16 and float16
 * parameters, gradients and state ({@code make_golden.py --dtype}) are replayed through the scalar reference of
 * every optimizer that runs on such tensors ({@link Algorithm#scalarUpdate}), on 16-bit buffers, under the
 * semantics of the PyTorch that recorded them, and every parameter and state buffer must equal PyTorch's bit for
 * bit after every step. The recordings hold every optimizer PyTorch runs on such tensors, for those that follow.
 */
class HalfGoldenVectorsTest {
    private static final List<Dtype> SIXTEEN_BIT = List.of(Dtype.BFLOAT16, Dtype.FLOAT16);

    static Stream<Arguments> replayedCases() {
        return Stream.of(Semantics.values()).flatMap(semantics -> SIXTEEN_BIT.stream()
                .flatMap(dtype -> GoldenCase.read(semantics, dtype).stream()
                        .filter(c -> runsOn(c.algorithm(), dtype)).map(c -> Arguments.of(c, dtype))));
    }

    private static boolean runsOn(Algorithm algorithm, Dtype dtype) {
        try {
            algorithm.scalarUpdate(dtype);
            return true;
        } catch (IllegalArgumentException floatOnly) {
            return false;
        }
    }

    @ParameterizedTest(name = "{1} {0}")
    @MethodSource("replayedCases")
    void equalsPyTorchBitForBit(GoldenCase golden, Dtype dtype) {
        replay(golden, dtype, golden.algorithm().scalarUpdate(dtype));
    }

    static Stream<Arguments> fusedCases() {
        return SIXTEEN_BIT.stream().flatMap(dtype -> GoldenCase.readFused(dtype).stream()
                .flatMap(c -> VectorWidth.available().stream().map(width -> Arguments.of(c, dtype, width))));
    }

    /**
     * PyTorch 2.6's {@code fused=True} Adam and AdamW: the float32 step of each element's widened values, rounded
     * once to the dtype at the store ({@link Algorithm#storedUpdate}), at every width.
     */
    @ParameterizedTest(name = "fused {1} {2} {0}")
    @MethodSource("fusedCases")
    void fusedEqualsPyTorchBitForBit(GoldenCase golden, Dtype dtype, VectorWidth width) {
        replay(golden, dtype, golden.algorithm().withVectorWidth(width).storedUpdate(Storage.of(dtype)));
    }

    @org.junit.jupiter.api.Test
    void theFusedRecordingsHoldAdamAndAdamWWithEachOfTheirFlags() {
        for (Dtype dtype : SIXTEEN_BIT) {
            List<GoldenCase> cases = GoldenCase.readFused(dtype);
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

    /** Replays {@code golden}'s steps through {@code update} on buffers of {@code dtype}, checking each. */
    private static void replay(GoldenCase golden, Dtype dtype, StepUpdate<?> update) {
        Algorithm algorithm = golden.algorithm();
        int n = golden.initialParam().length;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment param = sixteenBit(arena, dtype, golden.initialParam());
            MemorySegment grad = arena.allocate((long) n * dtype.bytes());
            Map<String, MemorySegment> state = new LinkedHashMap<>();
            for (String name : algorithm.stateNames()) {
                // As torch.full_like makes it: the initial value rounded to the dtype (Adagrad's 0.1).
                MemorySegment buffer = arena.allocate((long) n * dtype.bytes());
                for (int i = 0; i < n; i++) {
                    dtype.store(buffer, i, algorithm.initialState(name));
                }
                state.put(name, buffer);
            }
            // PyTorch keeps the 0-dimensional state (NAdam's mu_product) in float32 whatever the parameter's dtype.
            Map<String, MemorySegment> scalars = new LinkedHashMap<>();
            algorithm.scalarNames().forEach(name -> scalars.put(name, arena.allocate(Float.BYTES)));
            MemorySegment[] buffers = Stream.concat(state.values().stream(), scalars.values().stream())
                    .toArray(MemorySegment[]::new);
            for (int s = 0; s < golden.steps().size(); s++) {
                GoldenCase.Step expected = golden.steps().get(s);
                store(dtype, grad, expected.grad());
                if (s == 0) {
                    algorithm.initializeScalars(algorithm.lr(), buffers);
                }
                update.prepare(algorithm.lr(), s + 1);
                update.apply(param, grad, buffers, 0, n);
                algorithm.advanceScalars(algorithm.lr(), buffers, s + 1);
                String at = dtype + " step " + (s + 1) + " ";
                assertEquals(expected.scalars().keySet(), scalars.keySet(), at + "scalars");
                for (Map.Entry<String, Float> scalar : expected.scalars().entrySet()) {
                    TestFloats.assertSameBits(at + scalar.getKey(), MemorySegment.ofArray(new float[] {scalar.getValue()}),
                            scalars.get(scalar.getKey()));
                }
                assertSameValues(at + "param", expected.param(), dtype, param);
                assertEquals(expected.state().keySet(), state.keySet(), at + "state buffers");
                for (Map.Entry<String, float[]> buffer : expected.state().entrySet()) {
                    assertSameValues(at + buffer.getKey(), buffer.getValue(), dtype, state.get(buffer.getKey()));
                }
            }
        }
    }

    @org.junit.jupiter.api.Test
    void everyRecordingOfAnOptimizerOnSixteenBitsIsReplayedWithEachOfItsFlags() {
        for (Semantics semantics : Semantics.values()) {
            for (Dtype dtype : SIXTEEN_BIT) {
                List<GoldenCase> cases = GoldenCase.read(semantics, dtype);
                List<String> replayed = cases.stream().filter(c -> runsOn(c.algorithm(), dtype))
                        .map(GoldenCase::optimizer).distinct().toList();
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

    @org.junit.jupiter.api.Test
    void anOptimizerOnFloat32OnlyRefusesSixteenBitsByName() {
        int refusing = 0;
        for (TestedOptimizers.Kind kind : TestedOptimizers.ALL) {
            Algorithm algorithm = kind.prototype();
            try {
                algorithm.scalarUpdate(Dtype.FLOAT16);
            } catch (IllegalArgumentException refused) {
                assertEquals(algorithm.name() + " runs on float32 tensors only, not FLOAT16", refused.getMessage());
                refusing++;
            }
        }
        // When every optimizer runs on 16 bits, Algorithm's refusal is dead code: this fails to say so.
        assertTrue(refusing > 0, "every optimizer runs on 16-bit tensors: remove Algorithm's refusal");
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
