package dev.vecoptim.mpi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link OpenMpi} between real processes: jobs ({@link MpiJob}) of 1 to 4 JVMs sum floats, broadcast bytes, gather
 * a shard's copies, reduce-scatter and all-gather uneven shards and refuse bad arguments, each process reporting what
 * it got.
 */
class OpenMpiTest {
    @ParameterizedTest(name = "{0} processes")
    @ValueSource(ints = {1, 2, 3, 4})
    void theProcessesOfAJobSumAndBroadcastOverMpi(int processes) throws Exception {
        MpiJob job = MpiJob.run(MpiRank.class, processes);
        assertEquals(0, job.exitValue(), job.printed());
        List<String> lines = job.lines("rank ");
        assertEquals(IntStream.range(0, processes).mapToObj(rank -> "rank " + rank + " of " + processes
                + ": sum OK, broadcast OK, shards OK, refusals OK").toList(), lines, job.printed());
    }

    /**
     * A process that dies before a collective does not leave the others waiting in it: {@code mpirun} sees it end
     * without finalizing MPI, kills the rest of the job and exits with an error, well within the bound.
     */
    @Test
    void aProcessThatDiesEndsTheWholeJob() throws Exception {
        MpiJob job = MpiJob.run(MpiRank.class, 3, "die");
        assertTrue(job.exitValue() != 0, job.printed());
        assertTrue(job.printed().lines().noneMatch(line -> line.startsWith("rank ")), job.printed());
        assertTrue(job.printed().contains("exited on signal") || job.printed().contains("non-zero status")
                || job.printed().contains("without calling \"finalize\""), job.printed());
    }

    @Test
    void aMissingLibraryIsRefusedNamingWhatToInstall() {
        IllegalStateException refused = assertThrows(IllegalStateException.class,
                () -> OpenMpi.world("libmpi-not-here.so.40"));
        assertEquals("Open MPI is not installed: libmpi-not-here.so.40 was not found (on Debian or Ubuntu: apt-get"
                + " install openmpi-bin libopenmpi-dev)", refused.getMessage());
    }
}
