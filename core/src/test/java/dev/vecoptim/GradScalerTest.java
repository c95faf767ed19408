package dev.vecoptim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@link GradScaler} by hand: unscaling, skipping, growth and backoff, misuse refused, its state, and its state saved
 * with the optimizer's.
 */
class GradScalerTest {
    @TempDir
    Path directory;

    @Test
    void unscalesStepsAndGrowsByHand() {
        GradScaler scaler = GradScaler.builder().initScale(8).growthInterval(2).build();
        try (Optimizer optimizer = Optimizer.builder().build()) {
            Parameter weights = optimizer.addGroup(Sgd.builder(1).build()).allocate(2).getFirst();
            Parameter halves = optimizer.addGroup(Sgd.builder(1).build()).allocate(Dtype.FLOAT16, 1).getFirst();
            assertEquals(8f, scaler.scale());
            set(weights.grad(), 4f, -12f);
            Dtype.FLOAT16.set(halves.grad(), 0, 2f);
            StepReport report = scaler.step(optimizer);
            assertFalse(report.skipped());
            assertEquals(1, report.step());
            // Unscaled: 4/8, -12/8, 2/8; SGD at lr 1 subtracts them from 0.
            assertEquals(-0.5f, weights.value().getAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, 0));
            assertEquals(1.5f, weights.value().getAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, 1));
            assertEquals(-0.25f, Dtype.FLOAT16.get(halves.value(), 0), "float16 gradients are unscaled too");
            scaler.update();
            assertEquals(8f, scaler.scale());
            assertEquals(1, scaler.growthTracker());
            scaler.step(optimizer);
            scaler.update();
            assertEquals(16f, scaler.scale(), "grown after growth_interval steps");
            assertEquals(0, scaler.growthTracker());

            set(weights.grad(), Float.POSITIVE_INFINITY, 1f);
            MemorySegment before = java.lang.foreign.Arena.ofAuto().allocate(8).copyFrom(weights.value());
            StepReport skipped = scaler.step(optimizer);
            assertTrue(skipped.skipped());
            assertEquals(2, skipped.step());
            assertEquals(-1, before.mismatch(weights.value()), "a skipped step changes no parameter");
            assertEquals(1f / 16, weights.grad().getAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, 1),
                    "every gradient is unscaled, as PyTorch's are");
            scaler.update();
            assertEquals(8f, scaler.scale(), "backed off by 0.5");
            assertEquals(0, scaler.growthTracker());
            assertEquals(2, optimizer.stepCount());
        }
    }

    /**
     * Unscaling runs on every thread of a step, at the vector width: each element is {@code rn(g · inv)} in float32,
     * rounded to its dtype, whatever the chunking, and one NaN anywhere is found.
     */
    @Test
    void unscalingLargeGradientsOnThreadsIsElementByElement() {
        java.util.SplittableRandom random = new java.util.SplittableRandom(3);
        GradScaler scaler = GradScaler.builder().initScale(3000).build();
        float inv = (float) (1 / (double) 3000f);
        try (Optimizer optimizer = Optimizer.builder().threads(3).parallelThreshold(1000).build()) {
            ParameterGroup group = optimizer.addGroup(Sgd.builder(0).build());
            Parameter floats = group.allocate(70_001).getFirst();
            Parameter halves = group.allocate(Dtype.BFLOAT16, 3_001).getFirst();
            float[] expected = new float[70_001];
            for (int i = 0; i < expected.length; i++) {
                float g = (float) random.nextGaussian() * 3000;
                floats.grad().setAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, i, g);
                expected[i] = g * inv;
            }
            float[] expectedHalves = new float[3_001];
            for (int i = 0; i < expectedHalves.length; i++) {
                Dtype.BFLOAT16.set(halves.grad(), i, (float) random.nextGaussian() * 3000);
                float g = Dtype.BFLOAT16.get(halves.grad(), i);
                expectedHalves[i] = Dtype.BFLOAT16.format().round(g * inv);
            }
            scaler.unscale(optimizer);
            for (int i = 0; i < expected.length; i++) {
                assertEquals(Float.floatToIntBits(expected[i]), Float.floatToIntBits(
                        floats.grad().getAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, i)), "float32 " + i);
            }
            for (int i = 0; i < expectedHalves.length; i++) {
                assertEquals(Float.floatToIntBits(expectedHalves[i]),
                        Float.floatToIntBits(Dtype.BFLOAT16.get(halves.grad(), i)), "bfloat16 " + i);
            }
            assertFalse(scaler.step(optimizer).skipped());
            scaler.update();
            Dtype.BFLOAT16.set(halves.grad(), 2_999, Float.NaN);
            assertTrue(scaler.step(optimizer).skipped(), "a NaN among 73,002 elements");
        }
    }

    @Test
    void theScaleStopsShortOfInfinityAndItsInverseMayBeSubnormal() {
        GradScaler scaler = GradScaler.builder().initScale(3e38).growthInterval(1).build();
        try (Optimizer optimizer = Optimizer.builder().build()) {
            Parameter parameter = optimizer.addGroup(Sgd.builder(1).build()).allocate(1).getFirst();
            set(parameter.grad(), 3e38f);
            scaler.step(optimizer);
            scaler.update();
            assertEquals(3e38f, scaler.scale(), "6e38 is infinite in float32: the scale stays");
            // 1 / 3e38 in double, rounded to a subnormal float: the gradient comes out as PyTorch's does.
            assertEquals(-(3e38f * (float) (1 / (double) 3e38f)), parameter.value()
                    .getAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, 0));
        }
    }

    @Test
    void misuseIsRefusedAndChangesNothing() {
        GradScaler scaler = GradScaler.builder().build();
        try (Optimizer optimizer = Optimizer.builder().build()) {
            Parameter parameter = optimizer.addGroup(Sgd.builder(1).build()).allocate(1).getFirst();
            assertEquals("no gradients were unscaled (by unscale() or step()) since the last update()",
                    assertThrows(IllegalStateException.class, scaler::update).getMessage());
            set(parameter.grad(), 65536f);
            scaler.unscale(optimizer);
            assertEquals("unscale() has already been called on this optimizer since the last update()",
                    assertThrows(IllegalStateException.class, () -> scaler.unscale(optimizer)).getMessage());
            assertEquals(1f, parameter.grad().getAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, 0),
                    "unscaled once");
            scaler.step(optimizer);
            assertEquals("step() has already been called since the last update()",
                    assertThrows(IllegalStateException.class, () -> scaler.step(optimizer)).getMessage());
            assertEquals("unscale() is being called after step(); update() comes first",
                    assertThrows(IllegalStateException.class, () -> scaler.unscale(optimizer)).getMessage());
            scaler.update();
            assertEquals(1, optimizer.stepCount());
        }
        assertThrows(IllegalArgumentException.class, () -> GradScaler.builder().growthFactor(1));
        assertThrows(IllegalArgumentException.class, () -> GradScaler.builder().backoffFactor(1));
        assertThrows(IllegalArgumentException.class, () -> GradScaler.builder().growthInterval(0));
        assertThrows(IllegalArgumentException.class, () -> GradScaler.builder().initScale(1e39));
        assertThrows(IllegalArgumentException.class, () -> GradScaler.builder().initScale(Double.NaN));
        Optimizer closed = Optimizer.builder().build();
        closed.close();
        assertThrows(IllegalStateException.class, () -> scaler.unscale(closed));
    }

    @Test
    void itsStateRoundTripsByPyTorchsNamesAndRefusesAnotherScaler() {
        GradScaler scaler = GradScaler.builder().initScale(1024).growthInterval(5).build();
        try (Optimizer optimizer = Optimizer.builder().build()) {
            optimizer.addGroup(Sgd.builder(1).build()).allocate(1);
            scaler.step(optimizer);
            scaler.update();
        }
        Map<String, Object> state = scaler.stateDict();
        assertEquals(Map.of("scale", 1024.0, "growth_factor", 2.0, "backoff_factor", 0.5, "growth_interval", 5,
                "_growth_tracker", 1), state);
        GradScaler fresh = GradScaler.builder().growthInterval(5).build();
        fresh.loadStateDict(state);
        assertEquals(1024f, fresh.scale());
        assertEquals(1, fresh.growthTracker());
        GradScaler other = GradScaler.builder().build();
        assertThrows(IllegalArgumentException.class, () -> other.loadStateDict(state), "another interval");
        Map<String, Object> bad = new LinkedHashMap<>(state);
        bad.put("_growth_tracker", 5);
        assertThrows(IllegalArgumentException.class, () -> fresh.loadStateDict(bad));
        bad.put("_growth_tracker", 1);
        bad.put("scale", 0.1);
        assertThrows(IllegalArgumentException.class, () -> fresh.loadStateDict(bad), "0.1 is no float");
        assertEquals(1024f, fresh.scale(), "a refused state changes nothing");
        bad.put("scale", 1024.0);
        bad.put("_growth_tracker", 1.5);
        assertThrows(IllegalArgumentException.class, () -> fresh.loadStateDict(bad), "no whole number of steps");
    }

    /** How a test saves and loads: a checkpoint or a state dict. */
    private enum FileKind {
        CHECKPOINT, STATE_DICT;

        void save(Optimizer optimizer, Path file, GradScaler scaler) throws IOException {
            if (this == CHECKPOINT) {
                optimizer.save(file, scaler);
            } else {
                optimizer.saveStateDict(file, scaler);
            }
        }

        void load(Optimizer optimizer, Path file, GradScaler scaler) throws IOException {
            if (this == CHECKPOINT) {
                optimizer.load(file, scaler);
            } else {
                optimizer.loadStateDict(file, scaler);
            }
        }

        void saveAlone(Optimizer optimizer, Path file) throws IOException {
            if (this == CHECKPOINT) {
                optimizer.save(file);
            } else {
                optimizer.saveStateDict(file);
            }
        }

        void loadAlone(Optimizer optimizer, Path file) throws IOException {
            if (this == CHECKPOINT) {
                optimizer.load(file);
            } else {
                optimizer.loadStateDict(file);
            }
        }
    }

    /**
     * A checkpoint or state dict saved with the scaler restores it with the optimizer: a float16 run resumed from it
     * makes the steps of the uninterrupted run bit for bit, its scale backed off and grown on the way included.
     */
    @ParameterizedTest
    @EnumSource(FileKind.class)
    void itsStateIsSavedWithTheOptimizersAndResumesBitForBit(FileKind files) throws IOException {
        Path file = directory.resolve("with-scaler");
        List<Object> uninterrupted;
        float scale;
        try (Optimizer optimizer = scaledModel()) {
            GradScaler scaler = scaler(3);
            train(optimizer, scaler, 0, 4);
            files.save(optimizer, file, scaler);
            train(optimizer, scaler, 4, 9);
            uninterrupted = CheckpointFiles.state(optimizer);
            scale = scaler.scale();
            assertEquals(2048f, scale, "backed off at step 2, grown at steps 5 and 8");
        }
        try (Optimizer resumed = scaledModel()) {
            GradScaler scaler = scaler(3);
            files.load(resumed, file, scaler);
            assertEquals(512f, scaler.scale(), "backed off at step 2");
            assertEquals(1, scaler.growthTracker());
            if (files == FileKind.STATE_DICT) {
                // A state dict holds no values; those of the run at its save are the model's own, set again.
                try (Optimizer replay = scaledModel()) {
                    train(replay, scaler(3), 0, 4);
                    copyValues(replay, resumed);
                }
            }
            train(resumed, scaler, 4, 9);
            assertEquals(uninterrupted, CheckpointFiles.state(resumed));
            assertEquals(scale, scaler.scale());
        }
    }

    /**
     * A file saved with a scaler is refused without one, a file saved without one is refused with one, and a scaler
     * of another growth interval is refused: nothing changes, in the optimizer or the scaler.
     */
    @ParameterizedTest
    @EnumSource(FileKind.class)
    void aScalersStateIsNeitherDroppedNorMissedSilently(FileKind files) throws IOException {
        Path withScaler = directory.resolve("with-scaler");
        Path alone = directory.resolve("alone");
        try (Optimizer optimizer = scaledModel()) {
            GradScaler scaler = scaler(3);
            train(optimizer, scaler, 0, 2);
            files.save(optimizer, withScaler, scaler);
            files.saveAlone(optimizer, alone);
        }
        try (Optimizer target = scaledModel()) {
            GradScaler scaler = scaler(3);
            train(target, scaler, 0, 1);
            List<Object> before = CheckpointFiles.state(target);
            assertRefused(() -> files.loadAlone(target, withScaler), "holds a GradScaler's state (scale=1024.0,"
                    + " growth_factor=2.0, backoff_factor=0.5, growth_interval=3, _growth_tracker=2); load it with a"
                    + " GradScaler of its growth_factor");
            assertRefused(() -> files.load(target, alone, scaler), "holds no GradScaler's state: it was saved"
                    + " without one");
            assertRefused(() -> files.load(target, withScaler, scaler(4)), "GradScaler state is refused: the state is"
                    + " of growth_factor 2.0, backoff_factor 0.5 and growth_interval 3, and this scaler's are 2.0, 0.5"
                    + " and 4");
            assertEquals(before, CheckpointFiles.state(target));
            assertEquals(1024f, scaler.scale());
            assertEquals(1, scaler.growthTracker());
        }
    }

    private static void assertRefused(org.junit.jupiter.api.function.Executable load, String reason) {
        CheckpointException refused = assertThrows(CheckpointException.class, load);
        assertTrue(refused.getMessage().contains(reason), refused.getMessage());
    }

    /** A scaler from 1024 that grows after {@code interval} finite steps. */
    private static GradScaler scaler(int interval) {
        return GradScaler.builder().initScale(1024).growthInterval(interval).build();
    }

    /** Adam over two float16 parameters of memory the optimizer owns, their values fixed. */
    private static Optimizer scaledModel() {
        Optimizer optimizer = Optimizer.builder().build();
        List<Parameter> parameters = optimizer.addGroup(Adam.builder().lr(0.01).build()).allocate(Dtype.FLOAT16, 40, 9);
        SplittableRandom random = new SplittableRandom(4);
        for (Parameter parameter : parameters) {
            for (long i = 0; i < parameter.elementCount(); i++) {
                Dtype.FLOAT16.set(parameter.value(), i, (float) random.nextGaussian());
            }
        }
        return optimizer;
    }

    /** Steps {@code from} to {@code to} (exclusive) of a scaled run: step 2's gradients hold an infinity. */
    private static void train(Optimizer optimizer, GradScaler scaler, int from, int to) {
        for (int step = from; step < to; step++) {
            SplittableRandom random = new SplittableRandom(100 + step);
            for (Parameter parameter : optimizer.parameters()) {
                for (long i = 0; i < parameter.elementCount(); i++) {
                    Dtype.FLOAT16.set(parameter.grad(), i, (float) (random.nextGaussian() * 1e-3 * scaler.scale()));
                }
            }
            if (step == 2) {
                Dtype.FLOAT16.set(optimizer.parameters().getFirst().grad(), 3, Float.POSITIVE_INFINITY);
            }
            scaler.step(optimizer);
            scaler.update();
        }
    }

    private static void copyValues(Optimizer from, Optimizer to) {
        for (int p = 0; p < from.parameters().size(); p++) {
            to.parameters().get(p).value().copyFrom(from.parameters().get(p).value());
        }
    }

    private static void set(MemorySegment segment, float... values) {
        for (int i = 0; i < values.length; i++) {
            segment.setAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, i, values[i]);
        }
    }
}
