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
    private static final Pattern LAST_NUMBER = Pattern.compile("([-0-9.eE]+)\\s*$");

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
        assertEquals(3, tests.size(), "one example per optimizer");
        return tests.stream();
    }

    /** Compiles the example as a user would and runs it on the class path with the incubator module. */
    private static void compileAndRun(String className, String source) throws IOException {
        Path dir = Files.createTempDirectory("readme");
        Path file = dir.resolve(className + ".java");
        Files.writeString(file, source);
        JdkTool.run("javac", "-Xlint:all", "-Werror", "-d", dir.toString(), "-cp", JdkTool.CLASSES, file.toString());
        String output = JdkTool.run("java", "--add-modules", "jdk.incubator.vector", "-cp",
                JdkTool.classPath(JdkTool.CLASSES, dir.toString()), className).stdout();
        String last = output.lines().filter(line -> line.startsWith("p[0]") || line.startsWith("step"))
                .reduce((first, second) -> second).orElseThrow(() -> new AssertionError(output));
        Matcher number = LAST_NUMBER.matcher(last);
        assertTrue(number.find(), last);
        // p[0] lines: the minimum is at 3; loss lines: the loss at the minimum is 0.
        double expected = last.startsWith("p[0]") ? 3 : 0;
        assertEquals(expected, Double.parseDouble(number.group(1)), 0.05, className + " did not converge:\n" + output);
    }
}
