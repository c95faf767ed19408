package dev.vecoptim.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * No kernel reinterprets a vector's lanes (see {@code HalfVector}): the Vector API's Java fallback for a
 * reinterpretation, which runs before C2 compiles, stores into a heap {@code MemorySegment} and leaves every vector
 * loop compiled afterwards in the JVM slower. Bits are moved between int and float lanes through memory instead.
 */
class NoReinterpretationTest {
    private static final List<Path> KERNELS = List.of(Path.of("src/main/java/dev/vecoptim/kernel"),
            Path.of("jmh/java/dev/vecoptim/kernel"));
    private static final Pattern COMMENT = Pattern.compile("/\\*.*?\\*/|//[^\\n]*", Pattern.DOTALL);
    private static final Pattern REINTERPRETATION = Pattern.compile(
            "\\.(reinterpret\\w*|viewAs\\w*Lanes)\\s*\\(|REINTERPRET_\\w+");

    @Test
    void noKernelReinterpretsLanes() throws IOException {
        List<String> found = new ArrayList<>();
        for (Path root : KERNELS) {
            try (Stream<Path> files = Files.walk(root)) {
                for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                    Matcher call = REINTERPRETATION.matcher(COMMENT.matcher(Files.readString(file)).replaceAll(""));
                    while (call.find()) {
                        found.add(file.getFileName() + ": " + call.group());
                    }
                }
            }
        }
        assertEquals(List.of(), found, "lanes reinterpreted; load and store the memory as the other lane type");
    }
}
