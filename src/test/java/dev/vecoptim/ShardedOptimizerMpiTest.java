package dev.vecoptim;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.vecoptim.mpi.MpiJob;
import java.util.stream.IntStream;
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
    void shardedStepsEqualOneProcessAndFailTogether(int processes) throws Exception {
        MpiJob job = MpiJob.run(ShardedRank.class, processes, "equal", "nonfinite", "refusals");
        assertEquals(0, job.exitValue(), job.printed());
        assertEquals(IntStream.range(0, processes).mapToObj(rank -> "rank " + rank + " of " + processes
                + ": equal OK, nonfinite OK, refusals OK").toList(), job.lines("rank "), job.printed());
    }
}
