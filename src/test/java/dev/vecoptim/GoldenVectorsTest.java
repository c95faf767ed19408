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
 * PyTorch parity: every case recorded from PyTorch 1.13.1 (Debian's build, its AVX2 kernels) is replayed
 * through the public API at every width this machine runs, and every parameter and state buffer must equal
 * PyTorch's bit for bit after every step (any NaN equal to any NaN).
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
            Stepper stepper = stepper(golden, width, arena, n, state);
            for (int s = 0; s < golden.steps().size(); s++) {
                GoldenCase.Step expected = golden.steps().get(s);
                MemorySegment.copy(expected.grad(), 0, grad, java.lang.foreign.ValueLayout.JAVA_FLOAT, 0, n);
                stepper.step(param, grad, s + 1);
                String at = width + " step " + (s + 1) + " ";
                TestFloats.assertSameBits(at + "param", MemorySegment.ofArray(expected.param()), param);
                assertEquals(expected.state().keySet(), state.keySet(), at + "state buffers");
                for (Map.Entry<String, float[]> buffer : expected.state().entrySet()) {
                    TestFloats.assertSameBits(at + buffer.getKey(), MemorySegment.ofArray(buffer.getValue()),
                            state.get(buffer.getKey()));
                }
            }
        }
    }

    private interface Stepper {
        void step(MemorySegment param, MemorySegment grad, long step);
    }

    /** Builds the optimizer the case names and allocates the state buffers PyTorch would have. */
    private static Stepper stepper(GoldenCase c, VectorWidth width, Arena arena, int n,
                                   Map<String, MemorySegment> state) {
        Algorithm algorithm = c.algorithm().withVectorWidth(width);
        MemorySegment[] buffers = new MemorySegment[algorithm.stateNames().size()];
        for (int s = 0; s < buffers.length; s++) {
            buffers[s] = arena.allocate(4L * n, 64);
            state.put(algorithm.stateNames().get(s), buffers[s]);
        }
        return (p, g, t) -> algorithm.step(t, p, g, buffers);
    }

    @org.junit.jupiter.api.Test
    void theRecordingCoversEveryOptimizerAndEachOfItsFlags() {
        List<GoldenCase> cases = GoldenCase.readAll();
        for (TestedOptimizers.Kind kind : TestedOptimizers.ALL) {
            List<GoldenCase> ofKind = cases.stream().filter(c -> c.optimizer().equals(kind.goldenName())).toList();
            assertTrue(!ofKind.isEmpty(), "no case of " + kind.name());
            kind.prototype().namedHyperParameters().forEach((name, value) -> {
                if (value instanceof Boolean) {
                    assertTrue(ofKind.stream().anyMatch(c -> c.flag(name)), kind.name() + " never with " + name);
                }
            });
        }
        assertTrue(cases.stream().anyMatch(c -> c.optimizer().equals("rmsprop") && c.flag("centered")
                && c.hp("momentum") > 0 && c.hp("weight_decay") > 0 && c.flag("maximize")));
        assertTrue(cases.stream().allMatch(c -> c.initialParam().length % 16 != 0), "lengths off 16");
    }
}
