package dev.vecoptim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/** Every Java example in README.md compiles against the library and runs to a sensible answer. */
class ReadmeExamplesTest {
    private static final Pattern JAVA_BLOCK = Pattern.compile("```java\n(.*?)```", Pattern.DOTALL);
    private static final Pattern CLASS_NAME = Pattern.compile("public class (\\w+)");

    @TestFactory
    Stream<DynamicTest> readmeExamplesCompileAndConverge() throws IOException {
        String readme = Files.readString(Path.of(System.getProperty("vecoptim.basedir", "."), "README.md"));
        List<DynamicTest> tests = new ArrayList<>();
        Matcher block = JAVA_BLOCK.matcher(readme);
        while (block.find()) {
            String source = block.group(1);
            Matcher name = CLASS_NAME.matcher(source);
            assertTrue(name.find(), "a README example declares no public class:\n" + source);
            tests.add(DynamicTest.dynamicTest(name.group(1), () -> compileAndRun(name.group(1), source)));
        }
        assertEquals(5, tests.size(), "the first optimizers', the optimizer object's and flat storage's");
        return tests.stream();
    }

    /** Compiles the example as a user would and runs it on the class path with the incubator module. */
    private static void compileAndRun(String className, String source) throws IOException {
        Path dir = Files.createTempDirectory("readme");
        Path file = dir.resolve(className + ".java");
        Files.writeString(file, source);
        JdkTool.run("javac", "-Xlint:all", "-Werror", "-d", dir.toString(), "-cp", JdkTool.CLASSES, file.toString());
        String output = JdkTool.run("java", "--add-modules", "jdk.incubator.vector", "-cp",
                JdkTool.classPath(JdkTool.CLASSES, JdkTool.jackson(), dir.toString()), className).stdout();
        assertConverged(className, output);
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

    private static List<Double> numbersAfter(String label, String output) {
        Matcher number = Pattern.compile(Pattern.quote(label) + "([-+0-9.eE]+)").matcher(output);
        List<Double> numbers = new ArrayList<>();
        while (number.find()) {
            numbers.add(Double.parseDouble(number.group(1)));
        }
        return numbers;
    }
}
