package dev.vecoptim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link AveragedParameters} keeps AveragedModel's averages bit for bit: SWA on runs recorded from PyTorch 1.13 and
 * 2.6, EMA (2.6's {@code get_ema_multi_avg_fn}) at three decays, over 7 updates of three parameters
 * ({@code average-<version>.json}, {@code src/test/python/make_average_golden.py}); and its refusals.
 */
class AveragedParametersTest {

    static Stream<Arguments> cases() {
        return GoldenJson.cases("average", (version, file, recorded) -> Arguments.of(version, recorded.get("kind")
                + " " + recorded.getOrDefault("decay", ""), file.get("sizes"), recorded)).stream();
    }

    /** Parameter {@code k}'s element {@code i} at update {@code t}, as the recording computes it. */
    private static float value(int k, long i, int t) {
        return (float) (((i * 7 + k * 13 + t * 29) % 61 - 30) * 0.037 + t * 0.011);
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    @SuppressWarnings("unchecked")
    void averagesArePyTorchsBitForBit(String version, String label, List<Long> sizes, Map<String, Object> recorded) {
        List<List<List<Long>>> updates = (List<List<List<Long>>>) recorded.get("updates");
        try (Arena arena = Arena.ofConfined()) {
            List<MemorySegment> values = new ArrayList<>();
            for (long size : sizes) {
                values.add(arena.allocate(size * Float.BYTES));
            }
            try (AveragedParameters averaged = recorded.get("kind").equals("swa") ? AveragedParameters.swa(values)
                    : AveragedParameters.ema(values, (Double) recorded.get("decay"))) {
                for (int t = 0; t < updates.size(); t++) {
                    for (int k = 0; k < values.size(); k++) {
                        for (long i = 0; i < sizes.get(k); i++) {
                            values.get(k).setAtIndex(ValueLayout.JAVA_FLOAT, i, value(k, i, t));
                        }
                    }
                    averaged.update();
                    assertEquals(t + 1, averaged.count());
                    for (int k = 0; k < values.size(); k++) {
                        List<Long> expected = updates.get(t).get(k);
                        MemorySegment average = averaged.averages().get(k);
                        for (int i = 0; i < expected.size(); i++) {
                            assertEquals(expected.get(i).intValue(), average.getAtIndex(ValueLayout.JAVA_INT, i),
                                    version + " " + label + " update " + t + " parameter " + k + " element " + i);
                        }
                    }
                }
            }
        }
    }

    /**
     * The averages of a {@link ShardedOptimizer}'s values, which every step leaves the same on every process: each
     * process averaging them holds the same bits, those of a one-process {@link Optimizer} stepping the averaged
     * gradients.
     */
    @Test
    void aShardedOptimizersValuesAverageOnEveryProcessAsOneProcessTheirs() {
        long[] sizes = {37, 100};
        int processes = 3;
        List<List<Integer>> byProcess = ThreadedJob.run(processes, world -> {
            try (ShardedOptimizer optimizer = ShardedOptimizer.builder(world).build()) {
                ShardedGroup group = optimizer.addGroup(Adam.builder().build(), sizes);
                ShardedRank.start(group.values());
                try (AveragedParameters swa = AveragedParameters.swa(group.values())) {
                    for (int step = 1; step <= 3; step++) {
                        ShardedRank.fill(group.grads(), 7, step, world.rank());
                        optimizer.step();
                        swa.update();
                    }
                    return bits(swa.averages());
                }
            }
        });
        try (Optimizer one = Optimizer.builder().build()) {
            List<Parameter> parameters = one.addGroup(Adam.builder().build()).allocate(Dtype.FLOAT32, sizes);
            List<MemorySegment> values = parameters.stream().map(Parameter::value).toList();
            ShardedRank.start(values);
            try (AveragedParameters swa = AveragedParameters.swa(values)) {
                for (int step = 1; step <= 3; step++) {
                    ShardedRank.fillAverage(parameters.stream().map(Parameter::grad).toList(), 7, step, processes);
                    one.step();
                    swa.update();
                }
                for (int rank = 0; rank < processes; rank++) {
                    assertEquals(bits(swa.averages()), byProcess.get(rank), "process " + rank);
                }
            }
        }
    }

    private static List<Integer> bits(List<MemorySegment> segments) {
        List<Integer> bits = new ArrayList<>();
        for (MemorySegment segment : segments) {
            for (long e = 0; e < segment.byteSize() / Float.BYTES; e++) {
                bits.add(segment.getAtIndex(ValueLayout.JAVA_INT, e));
            }
        }
        return bits;
    }

    @Test
    void badArgumentsAndAClosedAverageAreRefused() {
        assertEquals("Invalid decay value 1.5 provided. Please provide a value in [0,1] range.", assertThrows(
                IllegalArgumentException.class, () -> AveragedParameters.ema(List.of(), 1.5)).getMessage());
        assertEquals("a segment of 6 bytes holds no whole floats", assertThrows(IllegalArgumentException.class,
                () -> AveragedParameters.swa(List.of(MemorySegment.ofArray(new byte[6])))).getMessage());
        AveragedParameters averaged = AveragedParameters.swa(List.of(MemorySegment.ofArray(new float[3])));
        averaged.update();
        MemorySegment average = averaged.averages().getFirst();
        assertEquals("Attempt to write a read-only segment", assertThrows(IllegalArgumentException.class,
                () -> average.set(ValueLayout.JAVA_FLOAT, 0, 1f)).getMessage());
        averaged.close();
        assertEquals("the averaged parameters are closed", assertThrows(IllegalStateException.class,
                averaged::update).getMessage());
        assertEquals("the averaged parameters are closed", assertThrows(IllegalStateException.class,
                averaged::averages).getMessage());
    }
}
