package dev.vecoptim.mpi;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * A job of real processes under {@code mpirun}, for the tests: each process a JVM running a test class's
 * {@code main}, oversubscribed on a machine of fewer cores, allowed to run as root as CI does, bounded in time. Where
 * Open MPI is not installed the test is skipped, unless {@code VECOPTIM_REQUIRE_MPI} is set (as {@code .ci/run}
 * sets it, after installing Open MPI): then its absence fails.
 *
 * @param exitValue how {@code mpirun} ended
 * @param printed both streams of every process and of {@code mpirun}
 */
public record MpiJob(int exitValue, String printed) {
    private static final long JOB_SECONDS = 180;

    /** {@return the lines of {@link #printed()} that start with {@code prefix}, sorted} */
    public List<String> lines(String prefix) {
        return printed.lines().filter(line -> line.startsWith(prefix)).sorted().toList();
    }

    /** Runs {@code main} in {@code processes} processes with {@code arguments}, or fails past the bound. */
    public static MpiJob run(Class<?> main, int processes, String... arguments) throws Exception {
        List<String> command = new ArrayList<>(List.of(mpirun().toString(), "--allow-run-as-root", "--oversubscribe",
                "-np", String.valueOf(processes),
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "--add-modules",
                "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("vecoptim.classes", "target/classes") + File.pathSeparator
                        + System.getProperty("vecoptim.testClasses", "target/test-classes")
                        + File.pathSeparator + jarOf(tools.jackson.core.JsonParser.class),
                main.getName()));
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
            return new MpiJob(job.exitValue(), Files.readString(output, StandardCharsets.UTF_8));
        } finally {
            Files.delete(output);
        }
    }

    /** The jar a dependency's class was loaded from: the processes need Jackson, as vecoptim's users do. */
    private static Path jarOf(Class<?> dependency) throws java.net.URISyntaxException {
        return Path.of(dependency.getProtectionDomain().getCodeSource().getLocation().toURI());
    }

    /** Open MPI's launcher, or the test skipped where it is missing and not required. */
    public static Path mpirun() throws IOException {
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
