package dev.vecoptim;

import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The declarations' generator ({@code src/build/GenerateOptimizers.java}) refuses a declaration it does not
 * understand, naming the file, the line where it can, and what is wrong, and writes nothing.
 */
class DeclarationsTest {
    private static final String VALID = """
            [Thing]
            pytorch Thing builder
            reference pytorch
            state exp_avg
            lr    lr    number  1e-3  1e-4..0.5  lr  The learning rate
            flag  flag  flag    false any        -   A flag
            """;

    @TempDir
    static Path work;

    @BeforeAll
    static void compileTheGenerator() {
        JdkTool.run("javac", "-d", work.resolve("classes").toString(), "src/build/GenerateOptimizers.java");
    }

    static Stream<Arguments> malformed() {
        return Stream.of(
                Arguments.of(VALID.replace("state exp_avg", "keeps a step"), ":4: the only keeps line is"),
                Arguments.of(VALID.replace("state exp_avg", "eager states"), ":4: the only eager line is"),
                Arguments.of(VALID.replace("state exp_avg", "state exp_avg when nothing"),
                        "exp_avg is kept when nothing, which is no hyper-parameter of it"),
                Arguments.of(VALID.replace("state exp_avg", "state a\nstate b\nstate c\nstate d\nstate e"),
                        "a typed step takes 4 buffers at most"),
                Arguments.of(VALID.replace("lr    lr    number  1e-3  1e-4..0.5", "lr    lr    triple  1e-3  1e-4..0.5"),
                        "is a number, a pair, a triple or a flag, with as many names and defaults as values"),
                Arguments.of(VALID.replace("state exp_avg", "state exp_avg if flag"), ":4: a state line is"),
                Arguments.of(VALID.replace("state exp_avg", "after 2.0 flag"), ":4: an after line is"),
                Arguments.of(VALID.replace("state exp_avg", "own first steps"), ":4: the only own line is"),
                Arguments.of(VALID.replace("state exp_avg", "after 1.13 nesterov"),
                        "nesterov came after 1.13, but it is no hyper-parameter of it"),
                Arguments.of(VALID.replace("  A flag", ""), ":6: a hyper-parameter row has seven columns"),
                Arguments.of(VALID.replace("flag    false", "integer false"), "is a number, a pair, a triple or a flag"),
                Arguments.of(VALID.replace("reference pytorch\n", ""), "needs a pytorch line, a reference and lr"),
                Arguments.of("lr lr number 1e-3 1e-4..0.5 lr The learning rate\n" + VALID, ":1: outside a section"));
    }

    @ParameterizedTest
    @MethodSource("malformed")
    void aMalformedDeclarationIsRefusedWithWhereAndWhy(String declarations, String refusal)
            throws IOException, InterruptedException {
        Path file = Files.writeString(work.resolve("declarations.txt"), declarations);
        Path main = work.resolve("main");
        Path test = work.resolve("test");
        Process generator = new ProcessBuilder(JdkTool.command("java", "-cp", work.resolve("classes").toString(),
                "GenerateOptimizers", file.toString(), main.toString(), test.toString()))
                .redirectErrorStream(true).start();
        String printed = new String(generator.getInputStream().readAllBytes());
        assertTrue(generator.waitFor(60, TimeUnit.SECONDS), "the generator did not end");
        assertNotEquals(0, generator.exitValue(), printed);
        assertTrue(printed.contains(file + (refusal.startsWith(":") ? "" : ": ")) && printed.contains(refusal),
                "expected " + file + " and \"" + refusal + "\" in:\n" + printed);
        assertTrue(!Files.exists(main.resolve("dev/vecoptim/ThingHyperParameters.java")), "it wrote a class");
    }

    @org.junit.jupiter.api.Test
    void theValidDeclarationGenerates() throws IOException {
        Path file = Files.writeString(work.resolve("valid.txt"), VALID);
        JdkTool.run("java", "-cp", work.resolve("classes").toString(), "GenerateOptimizers", file.toString(),
                work.resolve("valid-main").toString(), work.resolve("valid-test").toString());
        String generated = Files.readString(work.resolve("valid-main/dev/vecoptim/ThingHyperParameters.java"));
        for (String member : List.of("public final void step(MemorySegment param, MemorySegment grad, "
                + "MemorySegment expAvg, long step)", "static final String EXP_AVG = \"exp_avg\";",
                "public final String name() {", "abstract void coefficients(double lr, long step, ThingKernel.Coefficients c,"
                + " ScalarOperands operands);", "final StepUpdate<?> scalarUpdate(Format dtype) {")) {
            assertTrue(generated.contains(member), member);
        }
    }
}
