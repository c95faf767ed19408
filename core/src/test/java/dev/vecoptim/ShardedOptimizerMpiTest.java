package dev.vecoptim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vecoptim.mpi.MpiJob;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link ShardedOptimizer} in jobs of 1 to 4 real processes ({@link MpiJob}), each running {@link ShardedRank}:
 * every optimizer equals one process stepping the averaged gradients, the non-finite policies decide for every
 * process together, and a failed check on one process is thrown on all.
 */
class ShardedOptimizerMpiTest {

    @ParameterizedTest(name = "{0} processes")
    @ValueSource(ints = {1, 2, 3, 4})
    void shardedStepsEqualOneProcessAndFailTogether(int processes, @TempDir Path dir) throws Exception {
        MpiJob job = MpiJob.run(ShardedRank.class, processes, "equal", "nonfinite", "refusals", "partial=" + dir,
                "sixteen");
        assertEquals(0, job.exitValue(), job.printed());
        assertEquals(IntStream.range(0, processes).mapToObj(rank -> "rank " + rank + " of " + processes
                + ": equal OK, nonfinite OK, refusals OK, partial OK, sixteen OK").toList(), job.lines("rank "), job.printed());
    }

    /**
     * A process that dies between two steps does not leave the others waiting in the second: {@code mpirun} ends the
     * job with an error, within the bound.
     */
    @Test
    void aProcessThatDiesBetweenStepsEndsTheJob() throws Exception {
        MpiJob job = MpiJob.run(ShardedRank.class, 3, "die");
        assertTrue(job.exitValue() != 0, job.printed());
        assertEquals(List.of(), job.lines("rank "), job.printed());
    }

    /** A job of 3 saves; jobs of 1, 2 and 4 resume from its files, as one process does. */
    @Test
    void aJobResumesFromTheFilesOfAJobOfAnotherSize(@TempDir Path dir) throws Exception {
        MpiJob saved = MpiJob.run(ShardedRank.class, 3, "save=" + dir);
        assertEquals(List.of("rank 0 of 3: save OK", "rank 1 of 3: save OK", "rank 2 of 3: save OK"),
                saved.lines("rank "), saved.printed());
        for (int processes : new int[] {1, 2, 4}) {
            MpiJob resumed = MpiJob.run(ShardedRank.class, processes, "resume=" + dir);
            assertEquals(IntStream.range(0, processes).mapToObj(rank -> "rank " + rank + " of " + processes
                    + ": resume OK").toList(), resumed.lines("rank "), resumed.printed());
        }
    }
}
