package dev.vecoptim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vecoptim.kernel.TestFloats;
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
 * PyTorch parity: every case recorded from PyTorch 1.13.1 and 2.6.0 (Debian's builds, their AVX2 kernels) is
 * replayed through the public API, under the semantics of the PyTorch that recorded it, at every width this
 * machine runs, and every parameter, state buffer and scalar must equal PyTorch's bit for bit after every step
 * (any NaN equal to any NaN). An optimizer from outside {@code torch.optim} is held to the recording of its
 * reference implementation alike, under both semantics.
 */
class GoldenVectorsTest {

    static Stream<Arguments> casesAndWidths() {
        List<VectorWidth> widths = VectorWidth.available();
        return GoldenCase.readAll().stream().flatMap(c -> widths.stream().map(w -> Arguments.of(c, w)));
    }

    @ParameterizedTest(name = "{1} {0}")
    @MethodSource("casesAndWidths")
    void equalsPyTorchBitForBit(GoldenCase golden, VectorWidth width) {
        try (Arena arena = Arena.ofConfined()) {
            int n = golden.initialParam().length;
            MemorySegment param = arena.allocateFrom(java.lang.foreign.ValueLayout.JAVA_FLOAT, golden.initialParam());
            MemorySegment grad = arena.allocate(4L * n, 64);
            Map<String, MemorySegment> state = new LinkedHashMap<>();
            Map<String, MemorySegment> scalars = new LinkedHashMap<>();
            Algorithm algorithm = golden.algorithm().withVectorWidth(width);
            MemorySegment[] buffers = buffers(algorithm, arena, n, state, scalars);
            for (int s = 0; s < golden.steps().size(); s++) {
                GoldenCase.Step expected = golden.steps().get(s);
                MemorySegment.copy(expected.grad(), 0, grad, java.lang.foreign.ValueLayout.JAVA_FLOAT, 0, n);
                algorithm.step(s + 1, param, grad, buffers);
                String at = width + " step " + (s + 1) + " ";
                TestFloats.assertSameBits(at + "param", MemorySegment.ofArray(expected.param()), param);
                assertEquals(expected.state().keySet(), state.keySet(), at + "state buffers");
                for (Map.Entry<String, float[]> buffer : expected.state().entrySet()) {
                    TestFloats.assertSameBits(at + buffer.getKey(), MemorySegment.ofArray(buffer.getValue()),
                            state.get(buffer.getKey()));
                }
                assertEquals(expected.scalars().keySet(), recordedScalars(algorithm), at + "scalars");
                for (Map.Entry<String, Float> scalar : expected.scalars().entrySet()) {
                    TestFloats.assertSameBits(at + scalar.getKey(), MemorySegment.ofArray(new float[] {scalar.getValue()}),
                            scalars.get(scalar.getKey()));
                }
                assertEquals(algorithm.hasModes(), expected.evalParam() != null, at + "eval value recorded");
                if (algorithm.hasModes()) {
                    algorithm.toEval(Dtype.FLOAT32, param, buffers);
                    TestFloats.assertSameBits(at + "eval value", MemorySegment.ofArray(expected.evalParam()), param);
                    algorithm.toTrain(Dtype.FLOAT32, param, buffers);
                }
            }
        }
    }

    /**
     * The scalars a recording holds: those the recorded code keeps per parameter, as float32 tensors. The doubles a
     * reference keeps in its parameter groups (Schedule-Free's {@code weight_sum}) are not recorded; every step's
     * parameter depends on them.
     */
    static java.util.Set<String> recordedScalars(Algorithm algorithm) {
        java.util.Set<String> recorded = new java.util.LinkedHashSet<>();
        for (int s = 0; s < algorithm.scalarNames().size(); s++) {
            if (algorithm.scalarBytes().get(s) == Float.BYTES) {
                recorded.add(algorithm.scalarNames().get(s));
            }
        }
        return recorded;
    }

    /**
     * Allocates the state buffers PyTorch would have for {@code algorithm}, as they start, and its scalars (garbage:
     * the first step starts them).
     */
    private static MemorySegment[] buffers(Algorithm algorithm, Arena arena, int n, Map<String, MemorySegment> state,
                                           Map<String, MemorySegment> scalars) {
        int kept = algorithm.stateNames().size();
        MemorySegment[] buffers = new MemorySegment[kept + algorithm.scalarNames().size()];
        for (int s = kept; s < buffers.length; s++) {
            buffers[s] = arena.allocate(algorithm.scalarBytes().get(s - kept));
            buffers[s].fill((byte) 0xff);
            scalars.put(algorithm.scalarNames().get(s - kept), buffers[s]);
        }
        for (int s = 0; s < kept; s++) {
            buffers[s] = arena.allocate(4L * n, 64);
            float initial = algorithm.initialState(algorithm.stateNames().get(s));
            buffers[s].elements(java.lang.foreign.ValueLayout.JAVA_FLOAT).forEach(e -> e.set(
                    java.lang.foreign.ValueLayout.JAVA_FLOAT, 0, initial));
            state.put(algorithm.stateNames().get(s), buffers[s]);
        }
        return buffers;
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.EnumSource(Semantics.class)
    void eachRecordingCoversEveryOptimizerAndEachOfItsFlags(Semantics semantics) {
        List<GoldenCase> cases = GoldenCase.read(semantics);
        for (TestedOptimizers.Kind kind : TestedOptimizers.ALL) {
            List<GoldenCase> ofKind = cases.stream().filter(c -> c.optimizer().equals(kind.goldenName())).toList();
            assertTrue(!ofKind.isEmpty(), "no case of " + kind.name());
            List<String> absent = semantics == Semantics.PYTORCH_1_13
                    ? TestedValues.notIn113(kind.prototype().name())
                    : List.of();
            kind.prototype().namedHyperParameters().forEach((name, value) -> {
                if (value instanceof Boolean && !absent.contains(name)) {
                    assertTrue(ofKind.stream().anyMatch(c -> c.flag(name)), kind.name() + " never with " + name);
                } else if (value instanceof Boolean) {
                    assertTrue(ofKind.stream().noneMatch(c -> c.flag(name)), kind.name() + " 1.13 with " + name);
                }
            });
        }
        assertTrue(cases.stream().anyMatch(c -> c.optimizer().equals("rmsprop") && c.flag("centered")
                && c.hp("momentum") > 0 && c.hp("weight_decay") > 0 && c.flag("maximize")));
        assertTrue(cases.stream().allMatch(c -> c.initialParam().length % 16 != 0), "lengths off 16");
        for (String lerped : List.of("beta1", "alpha")) {
            assertTrue(cases.stream().anyMatch(c -> c.hyperParameters().getOrDefault(lerped, 1.0) > 0.5), lerped);
            assertTrue(cases.stream().anyMatch(c -> c.hyperParameters().getOrDefault(lerped, 1.0) <= 0.5),
                    lerped + " at or under 0.5, the other rounding of lerp");
        }
        assertTrue(cases.stream().anyMatch(c -> c.hyperParameters().getOrDefault("beta1", 1.0) == 0), "beta1 = 0");
    }

    @org.junit.jupiter.api.Test
    void theRecordingsDifferExactlyWhereTheTwoSemanticsDo() {
        List<GoldenCase> old = GoldenCase.read(Semantics.PYTORCH_1_13);
        Map<String, GoldenCase> now = new LinkedHashMap<>();
        GoldenCase.read(Semantics.PYTORCH_2).forEach(c -> now.put(c.name(), c));
        List<String> oldNames = old.stream().map(GoldenCase::name).toList();
        for (GoldenCase c : now.values()) {
            assertTrue(oldNames.contains(c.name())
                    || TestedValues.notIn113(c.algorithm().name()).stream().anyMatch(c::flag),
                    c + " is missing from 1.13's recording, which has every case 1.13 can express");
        }
        int differing = 0;
        for (GoldenCase c : old) {
            GoldenCase.Step last = c.steps().getLast();
            GoldenCase.Step lastNow = java.util.Objects.requireNonNull(now.get(c.name()), c.name()).steps().getLast();
            boolean recordingsDiffer = !java.util.Arrays.equals(last.param(), lastNow.param());
            for (String buffer : last.state().keySet()) {
                recordingsDiffer |= !java.util.Arrays.equals(last.state().get(buffer), lastNow.state().get(buffer));
            }
            boolean semanticsDiffer = !java.util.Arrays.equals(replayed(c, Semantics.PYTORCH_1_13),
                    replayed(c, Semantics.PYTORCH_2));
            assertEquals(semanticsDiffer, recordingsDiffer, c + ": the recordings differ where the semantics do");
            differing += recordingsDiffer ? 1 : 0;
        }
        // A reference recorded once for both versions (<Name>.bin) differs nowhere: torch.optim's cases must.
        long ofTorchOptim = old.stream().filter(c -> c.algorithm().reproducesPyTorch()).count();
        assertTrue(differing > ofTorchOptim / 4, "only " + differing + " of " + ofTorchOptim + " cases differ");
    }

    /** The bits of the parameter and state after the case's steps, replayed by the scalar loops under {@code semantics}. */
    private static int[] replayed(GoldenCase c, Semantics semantics) {
        try (Arena arena = Arena.ofConfined()) {
            int n = c.initialParam().length;
            MemorySegment param = arena.allocateFrom(java.lang.foreign.ValueLayout.JAVA_FLOAT, c.initialParam());
            MemorySegment grad = arena.allocate(4L * n, 64);
            Map<String, MemorySegment> state = new LinkedHashMap<>();
            Algorithm algorithm = c.algorithm().withSemantics(semantics).withVectorWidth(VectorWidth.SCALAR);
            MemorySegment[] buffers = buffers(algorithm, arena, n, state, new LinkedHashMap<>());
            for (int s = 0; s < c.steps().size(); s++) {
                MemorySegment.copy(c.steps().get(s).grad(), 0, grad, java.lang.foreign.ValueLayout.JAVA_FLOAT, 0, n);
                algorithm.step(s + 1, param, grad, buffers);
                if (algorithm.hasModes()) {
                    algorithm.toEval(Dtype.FLOAT32, param, buffers);
                    algorithm.toTrain(Dtype.FLOAT32, param, buffers);
                }
            }
            return Stream.concat(Stream.of(param), state.values().stream())
                    .flatMapToInt(buffer -> java.util.Arrays.stream(buffer.toArray(java.lang.foreign.ValueLayout.JAVA_INT)))
                    .toArray();
        }
    }
}
