package dev.vecoptim.mpi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link OpenMpi} between real processes: jobs of 1 to 4 JVMs started by {@code mpirun} (oversubscribed on a
 * machine of fewer cores, allowed to run as root as CI does) sum floats, broadcast bytes, reduce-scatter and
 * all-gather uneven shards and refuse bad arguments, each process reporting what it got. Where Open MPI is not installed the jobs are skipped, unless {@code VECOPTIM_REQUIRE_MPI} is set (as
 * {@code .ci/run} sets it, after installing Open MPI): then its absence fails. Each job is bounded in time.
 */
class OpenMpiTest {
    private static final long JOB_SECONDS = 120;

    @ParameterizedTest(name = "{0} processes")
    @ValueSource(ints = {1, 2, 3, 4})
    void theProcessesOfAJobSumAndBroadcastOverMpi(int processes) throws Exception {
        Job job = run(processes);
        assertEquals(0, job.exitValue(), job.printed());
        List<String> lines = job.printed().lines().filter(line -> line.startsWith("rank ")).sorted().toList();
        assertEquals(IntStream.range(0, processes).mapToObj(rank -> "rank " + rank + " of " + processes
                + ": sum OK, broadcast OK, shards OK, refusals OK").toList(), lines, job.printed());
    }

    /**
     * A process that dies before a collective does not leave the others waiting in it: {@code mpirun} sees it end
     * without finalizing MPI, kills the rest of the job and exits with an error, well within the bound.
     */
    @Test
    void aProcessThatDiesEndsTheWholeJob() throws Exception {
        Job job = run(3, "die");
        assertTrue(job.exitValue() != 0, job.printed());
        assertTrue(job.printed().lines().noneMatch(line -> line.startsWith("rank ")), job.printed());
        assertTrue(job.printed().contains("exited on signal") || job.printed().contains("non-zero status")
                || job.printed().contains("without calling \"finalize\""), job.printed());
    }

    /** What a job printed (both streams of every process and of {@code mpirun}), and how it ended. */
    private record Job(int exitValue, String printed) {
    }

    /** Runs {@link MpiRank} in {@code processes} processes with {@code arguments}, or fails past the bound. */
    private static Job run(int processes, String... arguments) throws Exception {
        List<String> command = new ArrayList<>(List.of(mpirun().toString(), "--allow-run-as-root", "--oversubscribe",
                "-np", String.valueOf(processes),
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("vecoptim.classes", "target/classes") + File.pathSeparator
                        + System.getProperty("vecoptim.testClasses", "target/test-classes"),
                MpiRank.class.getName()));
        command.addAll(List.of(arguments));
        Path output = Files.createTempFile("mpi", ".out");
        try {
            Process job = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile())
                    .start();
            if (!job.waitFor(JOB_SECONDS, TimeUnit.SECONDS)) {
                job.descendants().forEach(ProcessHandle::destroyForcibly);
                job.destroyForcibly();
                throw new AssertionError("the job of " + processes + " did not end in " + JOB_SECONDS + " s:\n"
                        + Files.readString(output));
            }
            return new Job(job.exitValue(), Files.readString(output, StandardCharsets.UTF_8));
        } finally {
            Files.delete(output);
        }
    }

    @Test
    void aMissingLibraryIsRefusedNamingWhatToInstall() {
        IllegalStateException refused = assertThrows(IllegalStateException.class,
                () -> OpenMpi.world("libmpi-not-here.so.40"));
        assertEquals("Open MPI is not installed: libmpi-not-here.so.40 was not found (on Debian or Ubuntu: apt-get"
                + " install openmpi-bin libopenmpi-dev)", refused.getMessage());
    }

    /** Open MPI's launcher, or the test skipped where it is missing and not required. */
    private static Path mpirun() throws IOException {
        Path found = List.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)).stream()
                .map(dir -> Path.of(dir, "mpirun")).filter(Files::isExecutable).findFirst().orElse(null);
        if (found == null && System.getenv("VECOPTIM_REQUIRE_MPI") != null) {
            throw new AssertionError("VECOPTIM_REQUIRE_MPI is set, but mpirun is not on the PATH (apt-get install"
                    + " openmpi-bin libopenmpi-dev)");
        }
        Assumptions.assumeTrue(found != null, "Open MPI is not installed: no mpirun on the PATH");
        assertTrue(Files.isExecutable(found));
        return found;
    }
}
