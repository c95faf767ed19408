package dev.vecoptim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vecoptim.probe.Probe;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * How the library chooses between vector and scalar loops, seen from JVMs started the ways users start
 * them. Whatever runs, the bits are the same. And how the schedules choose between the C library's functions and
 * Java's.
 */
class FallbackTest {
    private static final String CLASSES = JdkTool.CLASSES;
    private static final String TEST_CLASSES = JdkTool.TEST_CLASSES;
    private static final String CLASS_PATH = JdkTool.classPath(CLASSES, JdkTool.jackson(), TEST_CLASSES);
    private static final String PROBE = Probe.class.getName();
    private static final int EXPECTED_CHECKSUM = Probe.checksum(VectorWidth.SCALAR);

    @Test
    void classPathWithoutTheIncubatorModuleRunsScalarAndSaysHowToEnableSimd() {
        Run run = java("-cp", CLASS_PATH, PROBE);
        assertEquals("0", run.value("vectorBits"));
        String advice = "start java with --add-modules jdk.incubator.vector";
        assertEquals(1, run.stderr().split(advice, -1).length - 1, "logged once:\n" + run.stderr());
        assertTrue(run.value("implementation").contains(advice), run.value("implementation"));
        assertTrue(run.value("width256").startsWith("refused: vector width 256 bits is unavailable"),
                run.value("width256"));
        assertEquals(String.valueOf(EXPECTED_CHECKSUM), run.value("checksum"));
    }

    @Test
    void classPathWithTheIncubatorModuleRunsVectorKernels() {
        Run run = java("--add-modules", "jdk.incubator.vector", "-cp", CLASS_PATH, PROBE);
        assertEquals(String.valueOf(VectorWidth.PREFERRED.resolveBits()), run.value("vectorBits"));
        assertTrue(run.stderr().contains("vecoptim runs its vector kernels"), run.stderr());
        assertEquals(String.valueOf(EXPECTED_CHECKSUM), run.value("checksum"));
    }

    @Test
    void modulePathRunsVectorKernelsWithNoFlag() {
        Run run = java("-p", JdkTool.classPath(CLASSES, JdkTool.jackson()), "--add-modules", "dev.vecoptim", "-cp",
                TEST_CLASSES, PROBE);
        assertEquals(String.valueOf(VectorWidth.PREFERRED.resolveBits()), run.value("vectorBits"));
        assertEquals(String.valueOf(EXPECTED_CHECKSUM), run.value("checksum"));
    }

    @Test
    void withoutC2TheScalarLoopsRun() {
        Run c1Only = java("--add-modules", "jdk.incubator.vector", "-XX:TieredStopAtLevel=1", "-cp", CLASS_PATH, PROBE);
        assertEquals("0", c1Only.value("vectorBits"));
        assertTrue(c1Only.value("implementation").contains("C2 is off"), c1Only.value("implementation"));
        assertEquals(String.valueOf(EXPECTED_CHECKSUM), c1Only.value("checksum"));
        Run interpreted = java("--add-modules", "jdk.incubator.vector", "-Xint", "-cp", CLASS_PATH, PROBE);
        assertEquals("0", interpreted.value("vectorBits"));
        assertTrue(interpreted.value("implementation").contains("-Xint"), interpreted.value("implementation"));
        assertEquals(String.valueOf(EXPECTED_CHECKSUM), interpreted.value("checksum"));
    }

    @Test
    void aWidthBeyondTheMachinesVectorsIsRefused() {
        // MaxVectorSize=16 makes C2 use 128-bit vectors, as on a machine with only SSE or NEON.
        Run run = java("--add-modules", "jdk.incubator.vector", "-XX:MaxVectorSize=16", "-cp", CLASS_PATH, PROBE);
        assertEquals("128", run.value("vectorBits"));
        assertEquals("refused: vector width 256 bits is wider than this machine's 128-bit vectors; the Vector "
                + "API would run it 10-100x slower, in Java", run.value("width256"));
        assertEquals(String.valueOf(EXPECTED_CHECKSUM), run.value("checksum"));
    }

    @Test
    void theSchedulesCallTheCLibraryWithNativeAccessAndJavasMathWithout() {
        Run with = java("--enable-native-access=ALL-UNNAMED", "-cp", CLASS_PATH, PROBE);
        assertEquals("0.0482699337882353", with.value("scheduleRate"), "PyTorch's, recorded with 1.13 and 2.6");
        Run without = java("-cp", CLASS_PATH, PROBE);
        // The same rate with Java's Math.cos: epoch 10 + 1/3, in the third period (9 epochs long) since 4.
        double epoch = 10 + 1 / 3.0;
        double javas = 0.01 + (0.2 - 0.01) * (1 + Math.cos(Math.PI * (epoch - 4.0) / 9)) / 2;
        assertEquals(String.valueOf(javas), without.value("scheduleRate"));
        assertFalse(without.stderr().contains("restricted method"), without.stderr());
    }

    private record Run(Map<String, String> values, String stderr) {
        String value(String key) {
            String value = values.get(key);
            if (value == null) {
                throw new AssertionError("the probe printed no " + key + "; its stderr:\n" + stderr);
            }
            return value;
        }
    }

    /** Runs the probe in a JVM started with {@code arguments} and collects its key=value lines. */
    private static Run java(String... arguments) {
        JdkTool.Output output = JdkTool.run("java", arguments);
        Map<String, String> values = new TreeMap<>();
        for (String line : output.stdout().lines().toList()) {
            int equals = line.indexOf('=');
            if (equals > 0) {
                values.put(line.substring(0, equals), line.substring(equals + 1));
            }
        }
        return new Run(values, output.stderr());
    }
}
