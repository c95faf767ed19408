package dev.vecoptim;

import static dev.vecoptim.CheckpointFiles.filled;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vecoptim.io.CheckpointReader;
import dev.vecoptim.io.RefusedFileException;
import dev.vecoptim.io.SafetensorsReader;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Schedules are saved with the optimizer, in checkpoints and state dicts alike: restored onto a group that has
 * none, so a resumed run goes on at the saved rates; refused when the group has another; warned about when
 * either is the program's own function, which no file can hold. Never silently ignored.
 */
class SavedScheduleTest {
    private static final LearningRateSchedule WARMUP_COSINE = LearningRateSchedule.linearWarmup(3, 0.25,
            LearningRateSchedule.cosineAnnealing(0.01, 20, 1e-4));

    @TempDir
    Path directory;

    /** An Adam of two groups (the second without a schedule), stepped {@code steps} times. */
    private static Optimizer model(Arena arena, Optional<LearningRateSchedule> schedule, int steps) {
        Optimizer optimizer = Optimizer.builder().build();
        SplittableRandom random = new SplittableRandom(3);
        for (int g = 0; g < 2; g++) {
            ParameterGroup group = optimizer.addGroup(Adam.builder().lr(0.01).build());
            group.add(filled(arena, 9, random), filled(arena, 9, random));
            if (g == 0) {
                schedule.ifPresent(group::schedule);
            }
        }
        for (int s = 0; s < steps; s++) {
            optimizer.step();
        }
        return optimizer;
    }

    private Path saved(Optimizer optimizer, String format) throws IOException {
        Path file = directory.resolve("saved." + format);
        if (format.equals("checkpoint")) {
            optimizer.save(file);
        } else {
            optimizer.saveStateDict(file);
        }
        return file;
    }

    private static void load(Optimizer optimizer, Path file, String format, RecordingLogger log) throws IOException {
        if (format.equals("checkpoint")) {
            Checkpoint.load(optimizer, file, CheckpointReader.READ_BYTES, log);
        } else {
            StateDictFile.load(optimizer, file, Arena::ofShared, SafetensorsReader.FILE, log);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"checkpoint", "state dict"})
    void aSavedScheduleIsRestoredOntoAGroupThatHasNoneAndGoesOnAtTheSameRates(String format) throws IOException {
        try (Arena arena = Arena.ofShared(); Optimizer trained = model(arena, Optional.of(WARMUP_COSINE), 5);
             Optimizer resumed = model(arena, Optional.empty(), 0)) {
            Path file = saved(trained, format);
            RecordingLogger log = new RecordingLogger();
            load(resumed, file, format, log);
            assertEquals(List.of(), log.lines);
            assertEquals(Optional.of(WARMUP_COSINE), resumed.groups().getFirst().schedule());
            assertEquals(Optional.empty(), resumed.groups().get(1).schedule());
            for (int s = 0; s < 4; s++) {
                trained.step();
                resumed.step();
                assertEquals(trained.groups().getFirst().lr(), resumed.groups().getFirst().lr(), "step " + s);
            }
            assertEquals("LinearWarmup(warmup_steps=3, start_factor=0.25, then=CosineAnnealingLR(lr=0.01, T_max=20,"
                    + " eta_min=0.0001))", resumed.groups().getFirst().schedule().orElseThrow().toString());
        }
    }

    /** Each of {@link Schedulers}' is saved by its arguments and rebuilt equal: a resumed run goes on at its rates. */
    @ParameterizedTest
    @ValueSource(strings = {"checkpoint", "state dict"})
    void pyTorchsSchedulersAreRestoredAndGoOnAtTheSameRates(String format) throws IOException {
        for (LearningRateSchedule schedule : List.of(Schedulers.stepLR(0.01, 3, 0.5),
                Schedulers.multiStepLR(0.01, List.of(4L, 2L, 4L), 0.1), Schedulers.constantLR(0.01, 0.25, 7),
                Schedulers.linearLR(0.01, 0.5, 0.1, 6), Schedulers.exponentialLR(0.01, 0.9),
                Schedulers.polynomialLR(0.01, 8, 2), Schedulers.cosineAnnealingLR(0.01, 4, 1e-4),
                Schedulers.cosineAnnealingWarmRestarts(0.01, 2, 3, 1e-4),
                Schedulers.sequentialLR(List.of(Schedulers.linearLR(0.01, 0.1, 1, 3),
                        Schedulers.cosineAnnealingLR(0.01, 6, 0)), List.of(3L)),
                Schedulers.chainedScheduler(List.of(Schedulers.constantLR(0.01, 0.5, 4),
                        Schedulers.exponentialLR(0.01, 0.9))),
                Schedulers.cyclicLR(0.001, 0.01, 3, 2, Schedulers.CyclicMode.EXP_RANGE, 0.9),
                Schedulers.oneCycleLR(0.01, 20, 0.3, Schedulers.Anneal.COS, 25, 1e4, true),
                Schedulers.swaLR(0.01, 0.05, 4, Schedulers.Anneal.LINEAR),
                Schedulers.perEpoch(Schedulers.stepLR(0.01, 2, 0.5), 3),
                Schedulers.cyclicLR(0.001, 0.01, 3, 2, Schedulers.CyclicMode.TRIANGULAR, 1, 0.8, 0.9))) {
            try (Arena arena = Arena.ofShared(); Optimizer trained = model(arena, Optional.of(schedule), 5);
                 Optimizer resumed = model(arena, Optional.empty(), 0)) {
                RecordingLogger log = new RecordingLogger();
                load(resumed, saved(trained, format), format, log);
                assertEquals(List.of(), log.lines);
                assertEquals(Optional.of(schedule), resumed.groups().getFirst().schedule());
                for (int s = 0; s < 6; s++) {
                    trained.step();
                    resumed.step();
                    assertEquals(trained.groups().getFirst().lr(), resumed.groups().getFirst().lr(), schedule + " step "
                            + s);
                    assertEquals(trained.groups().getFirst().hyperParameters(),
                            resumed.groups().getFirst().hyperParameters(), "the momentum too, at step " + s);
                }
            }
        }
        assertEquals("torch.optim.lr_scheduler.MultiStepLR(lr=0.01, milestones=[2, 4, 4], gamma=0.1)",
                Schedulers.multiStepLR(0.01, List.of(4L, 2L, 4L), 0.1).toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"checkpoint", "state dict"})
    void theSameScheduleLoadsAndAnotherIsRefused(String format) throws IOException {
        try (Arena arena = Arena.ofShared(); Optimizer trained = model(arena, Optional.of(WARMUP_COSINE), 2);
             Optimizer same = model(arena, Optional.of(LearningRateSchedule.linearWarmup(3, 0.25,
                     LearningRateSchedule.cosineAnnealing(0.01, 20, 1e-4))), 0);
             Optimizer other = model(arena, Optional.of(LearningRateSchedule.exponential(0.01, 0.9)), 0)) {
            Path file = saved(trained, format);
            load(same, file, format, new RecordingLogger());
            assertEquals(2, same.stepCount());
            RefusedFileException refused = assertThrows(RefusedFileException.class,
                    () -> load(other, file, format, new RecordingLogger()));
            assertTrue(refused.getMessage().endsWith("group 0's schedule is LinearWarmup(warmup_steps=3,"
                    + " start_factor=0.25, then=CosineAnnealingLR(lr=0.01, T_max=20, eta_min=0.0001)) in the file and"
                    + " ExponentialLR(lr=0.01, gamma=0.9) here; a file does not change how a run goes on: set the"
                    + " file's, or none, before loading"), refused.getMessage());
            assertEquals(0, other.stepCount(), "nothing loaded");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"checkpoint", "state dict"})
    void theProgramsOwnSchedulesAreNamedNotLost(String format) throws IOException {
        LearningRateSchedule own = completed -> 0.01 / (1 + completed);
        try (Arena arena = Arena.ofShared(); Optimizer trained = model(arena, Optional.of(own), 2);
             Optimizer bare = model(arena, Optional.empty(), 0);
             Optimizer described = model(arena, Optional.of(LearningRateSchedule.constant(0.5)), 0);
             Optimizer nested = model(arena, Optional.of(LearningRateSchedule.linearWarmup(2, 0.5, own)), 2);
             Optimizer again = model(arena, Optional.of(own), 0)) {
            Path file = saved(trained, format);
            RecordingLogger log = new RecordingLogger();
            load(bare, file, format, log);
            assertEquals(List.of("WARNING " + file.toAbsolutePath() + ": group 0's schedule was the program's own,"
                    + " which a file cannot hold: set it again with group.schedule(...), or the group goes on at lr"
                    + " 0.01"), log.lines);
            assertEquals(Optional.empty(), bare.groups().getFirst().schedule());
            log.lines.clear();
            load(again, file, format, log);
            assertEquals(List.of(), log.lines, "set again before loading: nothing to say");

            Path nestedFile = saved(nested, format);
            log.lines.clear();
            load(bare, nestedFile, format, log);
            assertTrue(log.lines.getFirst().contains("group 0's schedule was the program's own"), log.lines.toString());
            log.lines.clear();
            load(described, nestedFile, format, log);
            assertEquals(Optional.of(LearningRateSchedule.constant(0.5)), described.groups().getFirst().schedule());

            Path describedFile = saved(described, format);
            log.lines.clear();
            load(again, describedFile, format, log);
            assertTrue(log.lines.getFirst().endsWith("group 0's schedule is the program's own here and"
                    + " constant(lr=0.5) in the file, which cannot be compared; the group goes on with its own"),
                    log.lines.toString());
        }
    }
}
