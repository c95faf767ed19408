package dev.vecoptim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The packages as docs/architecture.md draws them, read from the sources: the API package
 * {@code dev.vecoptim} on top, exported alone; below it, packages that never reach back up to it, and whose
 * dependencies on one another form no cycle; no class so large that it holds more than one concern.
 */
class ArchitectureTest {
    private static final String API = "dev.vecoptim";
    private static final List<Path> SOURCES = List.of(Path.of("src/main/java"),
            Path.of("target/generated-sources/declarations"));
    private static final Pattern PACKAGE = Pattern.compile("^package ([\\w.]+);", Pattern.MULTILINE);
    private static final Pattern REFERENCE = Pattern.compile("\\b(dev\\.vecoptim(?:\\.[a-z]\\w*)*)\\.[A-Z]");
    private static final int MAX_CODE_LINES = 400;
    private static final Pattern COMMENT = Pattern.compile("/\\*.*?\\*/|//[^\\n]*", Pattern.DOTALL);

    ArchitectureTest() {
    }

    @Test
    void noPackageBelowTheApiReachesBackUpToIt() {
        List<String> upward = new ArrayList<>();
        dependencies().forEach((from, to) -> {
            if (!from.equals(API) && to.contains(API)) {
                upward.add(from);
            }
        });
        assertEquals(List.of(), upward, "packages that use the API package they sit below");
    }

    @Test
    void thePackagesFormNoCycle() {
        Map<String, Set<String>> dependencies = dependencies();
        for (String start : dependencies.keySet()) {
            Set<String> reached = new TreeSet<>();
            List<String> frontier = new ArrayList<>(dependencies.get(start));
            while (!frontier.isEmpty()) {
                String next = frontier.removeLast();
                assertTrue(!next.equals(start), () -> start + " reaches itself through " + reached);
                if (reached.add(next)) {
                    frontier.addAll(dependencies.getOrDefault(next, Set.of()));
                }
            }
        }
    }

    @Test
    void onlyTheApiPackageIsExported() throws IOException {
        String module = COMMENT.matcher(Files.readString(Path.of("src/main/java/module-info.java"))).replaceAll("");
        List<String> exported = Pattern.compile("exports ([\\w.]+);").matcher(module).results()
                .map(result -> result.group(1)).toList();
        assertEquals(List.of(API), exported);
        assertTrue(dependencies().keySet().size() > 1, "the sources were read, in more than one package");
    }

    @Test
    void theJavadocDocumentsTheApiAndNoInternalPackage() throws IOException {
        Matcher excluded = Pattern.compile("<excludePackageNames>([^<]*)</excludePackageNames>")
                .matcher(Files.readString(Path.of("pom.xml")));
        assertTrue(excluded.find(), "pom.xml's javadoc configuration excludes the internal packages");
        Set<String> internal = new TreeSet<>(dependencies().keySet());
        internal.remove(API);
        assertEquals(internal, new TreeSet<>(List.of(excluded.group(1).split(":"))));
    }

    @Test
    void noClassHoldsMoreThanFourHundredLinesOfCode() throws IOException {
        Map<String, Long> large = new TreeMap<>();
        for (Path root : SOURCES) {
            try (Stream<Path> files = Files.walk(root)) {
                for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                    long code = COMMENT.matcher(Files.readString(file)).replaceAll("").lines()
                            .filter(line -> !line.isBlank()).count();
                    if (code > MAX_CODE_LINES) {
                        large.put(file.toString(), code);
                    }
                }
            }
        }
        assertEquals(Map.of(), large, "files of more than " + MAX_CODE_LINES + " lines of code (not counting"
                + " comments and blank lines): split them by concern");
    }

    /** Each package of the main sources, and the other packages of vecoptim its code names. */
    private static Map<String, Set<String>> dependencies() {
        Map<String, Set<String>> dependencies = new TreeMap<>();
        for (Path root : SOURCES) {
            try (Stream<Path> files = Files.walk(root)) {
                for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                    String code = COMMENT.matcher(Files.readString(file)).replaceAll("");
                    Matcher declared = PACKAGE.matcher(code);
                    if (!declared.find()) {
                        continue;
                    }
                    String from = declared.group(1);
                    Set<String> to = dependencies.computeIfAbsent(from, p -> new TreeSet<>());
                    Matcher reference = REFERENCE.matcher(code.substring(declared.end()));
                    while (reference.find()) {
                        if (!reference.group(1).equals(from)) {
                            to.add(reference.group(1));
                        }
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return dependencies;
    }
}
