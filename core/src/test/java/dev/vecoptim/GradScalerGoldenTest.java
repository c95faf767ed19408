package dev.vecoptim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.vecoptim.io.Json;
import dev.vecoptim.kernel.TestFloats;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link GradScaler} against PyTorch 2.6's {@code torch.amp.GradScaler("cpu")}, recorded by
 * {@code src/test/python/make_scaler_golden.py}: SGD with momentum over float32 and bfloat16 parameters, scales that
 * grow, back off, stop short of infinity and start at 1, gradients with an infinity and a NaN, and {@code unscale_}
 * called by hand before some steps. After every step and update the parameters, the scale and the growth tracker
 * must be PyTorch's, bit for bit.
 */
class GradScalerGoldenTest {

    @SuppressWarnings("unchecked")
    static Stream<Map<String, Object>> cases() throws IOException {
        try (InputStream in = GradScalerGoldenTest.class.getResourceAsStream("/golden/scaler-2.6.json")) {
            Map<String, Object> file = (Map<String, Object>) Json.parse(in.readAllBytes());
            List<Map<String, Object>> cases = (List<Map<String, Object>>) file.get("cases");
            assertEquals(12, cases.size());
            return cases.stream();
        }
    }

    @ParameterizedTest
    @MethodSource("cases")
    @SuppressWarnings("unchecked")
    void equalsPyTorchBitForBit(Map<String, Object> recorded) {
        Dtype dtype = Dtype.valueOf((String) recorded.get("dtype"));
        List<List<Number>> initial = (List<List<Number>>) recorded.get("initial");
        GradScaler scaler = GradScaler.builder().initScale(number(recorded, "init_scale"))
                .growthFactor(number(recorded, "growth_factor")).backoffFactor(number(recorded, "backoff_factor"))
                .growthInterval(((Number) recorded.get("growth_interval")).intValue()).build();
        try (Arena arena = Arena.ofShared(); Optimizer optimizer = Optimizer.builder().build()) {
            ParameterGroup group = optimizer.addGroup(Sgd.builder(number(recorded, "lr"))
                    .momentum(number(recorded, "momentum")).build());
            List<Parameter> parameters = new ArrayList<>();
            for (List<Number> values : initial) {
                long bytes = (long) values.size() * dtype.bytes();
                Parameter parameter = group.add(dtype, arena.allocate(bytes), arena.allocate(bytes));
                store(dtype, parameter.value(), values);
                parameters.add(parameter);
            }
            List<Map<String, Object>> steps = (List<Map<String, Object>>) recorded.get("steps");
            for (int t = 0; t < steps.size(); t++) {
                Map<String, Object> step = steps.get(t);
                String at = recorded.get("dtype") + " init_scale " + recorded.get("init_scale") + " step " + (t + 1);
                List<List<Number>> grads = (List<List<Number>>) step.get("grads");
                for (int p = 0; p < parameters.size(); p++) {
                    store(dtype, parameters.get(p).grad(), grads.get(p));
                }
                if ((Boolean) step.get("unscale")) {
                    scaler.unscale(optimizer);
                }
                scaler.step(optimizer);
                scaler.update();
                List<List<Number>> expected = (List<List<Number>>) step.get("params");
                for (int p = 0; p < parameters.size(); p++) {
                    assertSameElements(at + " param " + p, dtype, expected.get(p), parameters.get(p).value());
                }
                assertEquals(((Number) step.get("scale")).intValue(), Float.floatToRawIntBits(scaler.scale()),
                        at + " scale " + scaler.scale());
                assertEquals(((Number) step.get("growth_tracker")).intValue(), scaler.growthTracker(),
                        at + " growth tracker");
            }
        }
    }

    private static double number(Map<String, Object> recorded, String name) {
        return ((Number) recorded.get(name)).doubleValue();
    }

    /** Stores recorded bits: float32's, or bfloat16's. */
    private static void store(Dtype dtype, MemorySegment segment, List<Number> bits) {
        for (int i = 0; i < bits.size(); i++) {
            if (dtype == Dtype.FLOAT32) {
                segment.setAtIndex(ValueLayout.JAVA_INT, i, (int) bits.get(i).longValue());
            } else {
                segment.setAtIndex(ValueLayout.JAVA_SHORT, i, (short) bits.get(i).longValue());
            }
        }
    }

    private static void assertSameElements(String what, Dtype dtype, List<Number> expected, MemorySegment actual) {
        MemorySegment want = Arena.ofAuto().allocate(actual.byteSize());
        store(dtype, want, expected);
        for (int i = 0; i < expected.size(); i++) {
            if (!TestFloats.sameBits(dtype.get(want, i), dtype.get(actual, i))) {
                fail(what + "[" + i + "]: " + dtype.get(actual, i) + ", expected " + dtype.get(want, i));
            }
        }
    }
}
