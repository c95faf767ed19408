package dev.vecoptim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.vecoptim.mpi.MpiJob;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Every Java example in README.md compiles against the library and runs to a sensible answer, each in a directory
 * of its own as a user would run it; an example that resumes from a checkpoint is run twice. When PyTorch is
 * installed, the README's Python script finds the quick start's state equal to PyTorch's own.
 */
class ReadmeExamplesTest {
    private static final Path ROOT = Path.of(System.getProperty("vecoptim.root", ".."));
    private static final Pattern JAVA_BLOCK = Pattern.compile("```java\n(.*?)```", Pattern.DOTALL);
    private static final Pattern PYTHON_BLOCK = Pattern.compile("```python\n(.*?)```", Pattern.DOTALL);
    private static final Pattern CLASS_NAME = Pattern.compile("public class (\\w+)");
    private static final String PYTHON = "/usr/bin/python3";

    private static String readme() throws IOException {
        return Files.readString(ROOT.resolve("README.md"));
    }

    @TestFactory
    Stream<DynamicTest> readmeExamplesCompileAndConverge() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        Matcher block = JAVA_BLOCK.matcher(readme());
        while (block.find()) {
            String source = block.group(1);
            String name = className(source);
            tests.add(DynamicTest.dynamicTest(name, () -> {
                Path dir = compile(name, source);
                List<String> runs = new ArrayList<>();
                runs.add(run(dir, name));
                assertConverged(name, runs.getFirst());
                if (source.contains("optimizer.load(")) {
                    runs.add(run(dir, name));
                    assertResumed(name, runs.get(0), runs.get(1));
                }
            }));
        }
        assertEquals(10, tests.size(), "the quick start, the optimizer object's, a ported schedule's, flat"
                + " storage's, bfloat16's, float16's, more than one process's and three kernels'");
        return tests.stream();
    }

    /**
     * The quick start, run twice, then the README's Python script in its directory: with PyTorch 2.x the state is
     * PyTorch's bit for bit; with 1.13 the script warns, and the quick start built as the README then says equals it.
     */
    @Test
    void theQuickStartsStateIsPyTorchsOwn() throws Exception {
        assumeTrue(Files.isExecutable(Path.of(PYTHON)), "no " + PYTHON);
        String version = pythonVersionOfTorch();
        assumeTrue(!version.isEmpty(), "PyTorch is not installed for " + PYTHON);
        String source = javaExample("QuickStart");
        String script = pythonExample("quickstart.safetensors");
        JdkTool.Output check = quickStartThenPython(source, script);
        if (version.startsWith("1.")) {
            assertTrue(check.stderr().contains("PYTORCH_1_13"), "no warning that names the semantics:\n" + check);
            String as113 = source.replace(".lr(0.1)", ".lr(0.1).semantics(dev.vecoptim.Semantics.PYTORCH_1_13)");
            assertFalse(as113.equals(source), "the quick start no longer builds its optimizer with .lr(0.1)");
            check = quickStartThenPython(as113, script);
        }
        assertEquals(List.of("exp_avg equal", "exp_avg_sq equal", "step equal"),
                check.stdout().lines().sorted().toList(), "PyTorch " + version + ":\n" + check);
    }

    private static JdkTool.Output quickStartThenPython(String source, String script) throws IOException {
        Path dir = compile("QuickStart", source);
        run(dir, "QuickStart");
        run(dir, "QuickStart");
        Files.copy(ROOT.resolve("python/state_dict.py"), dir.resolve("state_dict.py"));
        Files.writeString(dir.resolve("check.py"), script);
        return JdkTool.runIn(dir, List.of(PYTHON, "check.py"));
    }

    private static String pythonVersionOfTorch() {
        try {
            Process process = new ProcessBuilder(PYTHON, "-c", "import torch; print(torch.__version__)")
                    .redirectErrorStream(false).start();
            String out = new String(process.getInputStream().readAllBytes()).strip();
            return process.waitFor() == 0 ? out : "";
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    private static String javaExample(String className) throws IOException {
        Matcher block = JAVA_BLOCK.matcher(readme());
        while (block.find()) {
            if (className(block.group(1)).equals(className)) {
                return block.group(1);
            }
        }
        throw new AssertionError("README.md has no example " + className);
    }

    private static String pythonExample(String mentioning) throws IOException {
        Matcher block = PYTHON_BLOCK.matcher(readme());
        while (block.find()) {
            if (block.group(1).contains(mentioning)) {
                return block.group(1);
            }
        }
        throw new AssertionError("README.md has no Python example that reads " + mentioning);
    }

    private static String className(String source) {
        Matcher name = CLASS_NAME.matcher(source);
        assertTrue(name.find(), "a README example declares no public class:\n" + source);
        return name.group(1);
    }

    /** Compiles the example as a user would, into a directory of its own, which it also runs in. */
    private static Path compile(String className, String source) throws IOException {
        Path dir = Files.createTempDirectory("readme");
        Path file = dir.resolve(className + ".java");
        Files.writeString(file, source);
        JdkTool.run("javac", "-Xlint:all", "-Werror", "-d", dir.toString(), "-cp", absolute(JdkTool.CLASSES),
                file.toString());
        return dir;
    }

    /**
     * Runs the example on the class path with the incubator module, in its directory; one that joins a job of
     * processes ({@code World.join()}) in two processes under {@code mpirun}, as the README runs it.
     */
    private static String run(Path dir, String className) throws IOException {
        List<String> java = JdkTool.command("java", "--add-modules", "jdk.incubator.vector",
                "--enable-native-access=ALL-UNNAMED", "-cp", JdkTool.classPath(absolute(JdkTool.CLASSES),
                        JdkTool.jackson(), dir.toString()), className);
        if (Files.readString(dir.resolve(className + ".java")).contains("World.join()")) {
            List<String> job = new ArrayList<>(List.of(MpiJob.mpirun().toString(), "--allow-run-as-root",
                    "--oversubscribe", "-np", "2"));
            job.addAll(java);
            java = job;
        }
        return JdkTool.runIn(dir, java).stdout();
    }

    private static String absolute(String path) {
        return Path.of(path).toAbsolutePath().toString();
    }

    /**
     * What each example prints to show it worked: {@code p[0] = x} near the minimum at 3, a {@code loss x}
     * that falls to under half its first value, {@code accuracy x} of at least 0.85.
     */
    private static void assertConverged(String className, String output) {
        List<Double> losses = numbersAfter("loss ", output);
        List<Double> values = numbersAfter("p[0] = ", output);
        List<Double> accuracies = numbersAfter("accuracy ", output);
        assertTrue(losses.size() >= 2 || !values.isEmpty() || !accuracies.isEmpty(),
                className + " printed nothing to check:\n" + output);
        if (losses.size() >= 2) {
            assertTrue(losses.getLast() < losses.getFirst() / 2, className + "'s loss did not fall:\n" + output);
        }
        values.forEach(p -> assertEquals(3, p, 0.05, className + " did not reach the minimum:\n" + output));
        accuracies.forEach(a -> assertTrue(a >= 0.85, className + " is not accurate:\n" + output));
    }

    /** The second run went on where the first stopped: later step numbers, and losses below the first run's last. */
    private static void assertResumed(String className, String first, String second) {
        String runs = "first run:\n" + first + "second run:\n" + second;
        List<Double> firstSteps = numbersAfter("step ", first);
        List<Double> secondSteps = numbersAfter("step ", second);
        assertFalse(firstSteps.isEmpty() || secondSteps.isEmpty(), className + " printed no step numbers:\n" + runs);
        assertTrue(secondSteps.getFirst() > firstSteps.getLast(), className + " started again:\n" + runs);
        double lastLoss = numbersAfter("loss ", first).getLast();
        numbersAfter("loss ", second).forEach(loss -> assertTrue(loss < lastLoss,
                className + " did not resume from its checkpoint:\n" + runs));
    }

    private static List<Double> numbersAfter(String label, String output) {
        Matcher number = Pattern.compile(Pattern.quote(label) + "([-+0-9.eE]+)").matcher(output);
        List<Double> numbers = new ArrayList<>();
        while (number.find()) {
            numbers.add(Double.parseDouble(number.group(1)));
        }
        return numbers;
    }
}
