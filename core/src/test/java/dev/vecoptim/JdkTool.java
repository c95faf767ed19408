package dev.vecoptim;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs a tool of the JDK that runs the tests ({@code java}, {@code javac}) as a process of its own. */
final class JdkTool {
    static final String CLASSES = System.getProperty("vecoptim.classes", "target/classes");
    static final String TEST_CLASSES = System.getProperty("vecoptim.testClasses", "target/test-classes");
    static final String JMH_CLASSES = System.getProperty("vecoptim.jmhClasses", "target/jmh-classes");

    private JdkTool() {
    }

    record Output(String stdout, String stderr) {
    }

    /** Jackson's jar, a dependency of vecoptim that the module path must hold beside it. */
    static String jackson() {
        try {
            return Path.of(tools.jackson.core.json.JsonFactory.class.getProtectionDomain().getCodeSource().getLocation()
                    .toURI()).toString();
        } catch (java.net.URISyntaxException e) {
            throw new AssertionError(e);
        }
    }

    static String classPath(String... entries) {
        return String.join(File.pathSeparator, entries);
    }

    /**
     * Runs a main class of the benchmarks (jmh/) as they run: on the class path with the library and JMH, the
     * incubator module added.
     */
    static Output runBenchmarkMain(String mainClass) throws Exception {
        String jmhCore = Path.of(Class.forName("org.openjdk.jmh.annotations.Param").getProtectionDomain()
                .getCodeSource().getLocation().toURI()).toString();
        return run("java", "--add-modules", "jdk.incubator.vector", "-cp", classPath(CLASSES, jackson(), JMH_CLASSES, jmhCore),
                mainClass);
    }

    /** The command line that runs {@code tool} of this JDK with {@code arguments}. */
    static List<String> command(String tool, String... arguments) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", tool).toString());
        command.addAll(List.of(arguments));
        return command;
    }

    /** Runs {@code tool} with {@code arguments}, fails unless it exits with 0, and returns what it printed. */
    static Output run(String tool, String... arguments) {
        return runIn(Path.of("."), command(tool, arguments));
    }

    /**
     * Runs {@code command} in the directory {@code workingDirectory}, fails unless it exits with 0, and returns what
     * it printed.
     */
    static Output runIn(Path workingDirectory, List<String> command) {
        String tool = Path.of(command.getFirst()).getFileName().toString();
        try {
            Path stdout = Files.createTempFile(tool, ".out");
            Path stderr = Files.createTempFile(tool, ".err");
            try {
                Process process = new ProcessBuilder(command).directory(workingDirectory.toFile())
                        .redirectOutput(stdout.toFile())
                        .redirectError(stderr.toFile()).start();
                if (!process.waitFor(120, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    throw new AssertionError("timed out: " + command);
                }
                String out = Files.readString(stdout);
                String err = Files.readString(stderr);
                assertEquals(0, process.exitValue(), () -> command + " failed:\n" + out + err);
                return new Output(out, err);
            } finally {
                Files.delete(stdout);
                Files.delete(stderr);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
