package dev.vecoptim;

import static dev.vecoptim.JdkTool.CLASSES;
import static dev.vecoptim.JdkTool.TEST_CLASSES;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vecoptim.probe.StateDictProbe;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Jackson is an ordinary dependency: with it, on the class path or the module path, everything works; without it
 * an optimizer is refused when it is built, saying what to add, never at the first save; on the module path the
 * JVM does not start without it.
 */
class JacksonDependencyTest {
    private static final String PROBE = StateDictProbe.class.getName();

    private static String probe(String... options) {
        String[] command = new String[options.length + 1];
        System.arraycopy(options, 0, command, 0, options.length);
        command[options.length] = PROBE;
        return JdkTool.run("java", command).stdout();
    }

    @Test
    void onTheClassPath() {
        assertEquals("optimizer=refused: vecoptim's Optimizer needs Jackson's tools.jackson.core:jackson-core (3.x), a"
                + " dependency of vecoptim that is missing from the class path: add it (Maven and Gradle bring it with"
                + " vecoptim)\n", probe("--add-modules", "jdk.incubator.vector", "-cp",
                        JdkTool.classPath(CLASSES, TEST_CLASSES)));
        assertEquals("checkpoint=1\nstateDict=1\n", probe("--add-modules", "jdk.incubator.vector", "-cp",
                JdkTool.classPath(CLASSES, TEST_CLASSES, JdkTool.jackson())));
    }

    @Test
    void onTheModulePath() throws Exception {
        assertEquals("checkpoint=1\nstateDict=1\n", probe("-p", JdkTool.classPath(CLASSES, JdkTool.jackson()), "--add-modules",
                "dev.vecoptim", "-cp", TEST_CLASSES));
        List<String> without = JdkTool.command("java", "-p", CLASSES, "--add-modules", "dev.vecoptim", "-cp",
                TEST_CLASSES, PROBE);
        Process process = new ProcessBuilder(without).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        assertTrue(process.waitFor(60, TimeUnit.SECONDS));
        assertEquals(1, process.exitValue(), output);
        assertTrue(output.contains("Module tools.jackson.core not found, required by dev.vecoptim"), output);
    }
}
