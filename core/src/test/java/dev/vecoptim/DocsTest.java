package dev.vecoptim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The README, CONTRIBUTING.md and docs/ against the tree: links and named files exist, every test class is
 * described in the contributor guide, its "Adding an optimizer" names every file an optimizer is written out in,
 * the README introduces every optimizer of the registry, and the README's test command is what CI runs.
 */
class DocsTest {
    /** The repository, where the documents are; the paths they name start from it (core/src/..., docs/...). */
    private static final Path BASE = Path.of(System.getProperty("vecoptim.root", "..")).toAbsolutePath().normalize();
    private static final Pattern LINK = Pattern.compile("\\]\\(([^)\\s]+)\\)");
    private static final Pattern CODE = Pattern.compile("`([^`\\n]+)`");
    private static final Pattern HEADING = Pattern.compile("(?m)^#{1,6} (.+)$");
    /** The optimizers added last, which no other code uses as an example: where they appear, each one must. */
    private static final List<String> PROBE_OPTIMIZERS = List.of("Rprop", "Adamax", "Lion");
    private static final List<String> SOURCE_ROOTS = List.of("core/src/main", "core/src/test/java", "core/src/test/python",
            "core/jmh", "core/pom.xml", "examples/src", "python", "README.md");

    private static List<Path> documents() {
        List<Path> documents = new ArrayList<>(List.of(BASE.resolve("README.md"), BASE.resolve("CONTRIBUTING.md"),
                BASE.resolve("CHANGELOG.md"), BASE.resolve("core/src/test/resources/state_dict/README.md")));
        try (Stream<Path> docs = Files.list(BASE.resolve("docs"))) {
            docs.filter(p -> p.toString().endsWith(".md")).sorted().forEach(documents::add);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return documents;
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Any file's bytes as characters, one per byte, for searching ASCII names in it. */
    private static String latin1(Path file) {
        try {
            return new String(Files.readAllBytes(file), java.nio.charset.StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String relative(Path file) {
        return BASE.relativize(file).toString();
    }

    @Test
    void everyLinkLeadsToAFileAndEveryAnchorToAHeading() {
        List<String> broken = new ArrayList<>();
        for (Path document : documents()) {
            Matcher link = LINK.matcher(read(document));
            while (link.find()) {
                String target = link.group(1);
                if (target.startsWith("http://") || target.startsWith("https://")) {
                    continue;
                }
                int hash = target.indexOf('#');
                Path file = hash == 0 ? document : document.getParent().resolve(hash < 0 ? target
                        : target.substring(0, hash)).normalize();
                if (!Files.exists(file)) {
                    broken.add(relative(document) + ": " + target + " (no such file)");
                } else if (hash >= 0 && !anchors(file).contains(target.substring(hash + 1))) {
                    broken.add(relative(document) + ": " + target + " (no such heading)");
                }
            }
        }
        assertEquals(List.of(), broken);
    }

    /** GitHub's anchors for a Markdown file's headings: lower case, punctuation dropped, spaces as hyphens. */
    private static Set<String> anchors(Path markdown) {
        Set<String> anchors = new TreeSet<>();
        if (markdown.toString().endsWith(".md")) {
            Matcher heading = HEADING.matcher(read(markdown));
            while (heading.find()) {
                anchors.add(heading.group(1).strip().toLowerCase(Locale.ROOT).replaceAll("[^\\p{L}\\p{N} _-]", "")
                        .replace(' ', '-'));
            }
        }
        return anchors;
    }

    @Test
    void everyFileTheDocumentsNameExists() {
        Set<String> fileNames = new TreeSet<>();
        try (Stream<Path> tree = Files.walk(BASE)) {
            tree.filter(p -> !BASE.relativize(p).toString().matches("(.*/)?(target|\\.git)(/.*)?"))
                    .forEach(p -> fileNames.add(p.getFileName().toString()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<String> missing = new ArrayList<>();
        for (Path document : documents()) {
            Matcher code = CODE.matcher(read(document));
            while (code.find()) {
                String token = code.group(1);
                if (token.contains("<") || token.contains(" ") || token.contains("*")) {
                    continue;
                }
                boolean repositoryPath = token.matches("(core|examples|python|docs|\\.ci|\\.mvn)/.+")
                        && !token.matches("\\w+/target/.*");
                if (repositoryPath && !Files.exists(BASE.resolve(token))) {
                    missing.add(relative(document) + ": " + token);
                } else if (!token.contains("/") && token.matches("[\\w-]+\\.(java|py|md|xml)")
                        && !fileNames.contains(token)) {
                    missing.add(relative(document) + ": " + token);
                }
            }
        }
        assertEquals(List.of(), missing);
    }

    @Test
    void theContributorGuideDescribesEveryTestClassAndNamesNoOther() throws IOException {
        String guide = read(BASE.resolve("CONTRIBUTING.md"));
        Set<String> testClasses = new TreeSet<>();
        try (Stream<Path> tests = Stream.of("core", "examples").flatMap(DocsTest::testSources)) {
            tests.map(p -> p.getFileName().toString())
                    .filter(name -> name.endsWith("Test.java") || name.endsWith("Properties.java"))
                    .forEach(name -> testClasses.add(name.substring(0, name.length() - ".java".length())));
        }
        List<String> undescribed = testClasses.stream().filter(name -> !guide.contains("`" + name + "`")).toList();
        assertEquals(List.of(), undescribed, "test classes CONTRIBUTING.md's Tests do not describe");
        Matcher code = CODE.matcher(guide);
        List<String> phantoms = new ArrayList<>();
        while (code.find()) {
            String token = code.group(1);
            if (token.matches("[A-Z]\\w*(Test|Properties)") && !testClasses.contains(token)) {
                phantoms.add(token);
            }
        }
        assertEquals(List.of(), phantoms, "test classes CONTRIBUTING.md names that do not exist");
    }

    @Test
    void readmeIntroducesEveryOptimizerOfTheRegistry() {
        String readme = read(BASE.resolve("README.md"));
        String introduction = readme.substring(0, readme.indexOf("\n\n", readme.indexOf("\n\n") + 2))
                .toLowerCase(Locale.ROOT);
        List<String> missing = Optimizers.pyTorchNames().stream()
                .filter(name -> !Pattern.compile("\\b" + Pattern.quote(name.toLowerCase(Locale.ROOT)) + "\\b")
                        .matcher(introduction).find())
                .toList();
        assertEquals(List.of(), missing, "optimizers of the registry the README's first paragraph does not name");
    }

    @Test
    void addingAnOptimizerNamesEveryFileAnOptimizerIsWrittenOutIn() throws IOException {
        String guide = read(BASE.resolve("CONTRIBUTING.md"));
        String section = section(guide, "## Adding an optimizer");
        for (String optimizer : PROBE_OPTIMIZERS) {
            List<Path> files = filesNaming(optimizer);
            List<String> unnamed = files.stream().map(DocsTest::relative)
                    .filter(path -> !section.contains(path.replace(optimizer, "<Name>"))
                            && !section.contains(Path.of(path).getFileName().toString()))
                    .toList();
            assertEquals(List.of(), unnamed, optimizer + " is written out in files \"Adding an optimizer\" does not name");
            if (optimizer.equals("Rprop")) {
                Matcher count = Pattern.compile("Rprop appears in (\\d+) of them").matcher(section);
                assertTrue(count.find(), "the guide no longer says in how many files Rprop appears");
                assertEquals(files.size(), Integer.parseInt(count.group(1)), "files naming Rprop: " + files);
            }
        }
    }

    @Test
    void readmesTableNamesEveryOptimizerOfTheRegistryWithItsState() {
        String readme = read(BASE.resolve("README.md"));
        for (TestedOptimizers.Kind kind : TestedOptimizers.ALL) {
            Matcher row = Pattern.compile("(?m)^\\| " + Pattern.quote(kind.name())
                    + " \\| `(\\w+)\\.[^|]*\\| ([^|]*) \\| ([^|]*) \\|$").matcher(readme);
            assertTrue(row.find(), "README's table of optimizers has no row for " + kind.name());
            assertEquals(kind.prototype().getClass().getSimpleName(), row.group(1), kind.name() + "'s builder");
            List<String> named = new ArrayList<>();
            Matcher code = CODE.matcher(row.group(2));
            while (code.find()) {
                named.add(code.group(1));
            }
            List<String> state = new ArrayList<>(kind.everyBuffer().stateNames());
            state.addAll(kind.everyBuffer().scalarNames());
            assertEquals(state, named, kind.name() + "'s state in README's table");
            Algorithm prototype = kind.prototype();
            // torch.optim's class, or the repository of the reference the declaration names: "(owner/name, path)".
            String reproduced = prototype.reproducesPyTorch() ? "`torch.optim." + kind.name() + "`"
                    : prototype.reference().replaceAll(".*\\(([^,]+),.*", "$1");
            assertTrue(row.group(3).contains(reproduced), kind.name() + " reproduces " + reproduced + ", which README's"
                    + " table does not say: " + row.group(3));
        }
    }

    @Test
    void theLatestOptimizerTookTheFilesTheGuidePromises() throws IOException {
        String section = section(read(BASE.resolve("CONTRIBUTING.md")), "## Adding an optimizer");
        Matcher claim = Pattern.compile("(\\w+), the latest added by\\s+following this section alone, appears in (\\d+) "
                + "files").matcher(section);
        assertTrue(claim.find(), "the guide no longer names the latest optimizer added by following it");
        String latest = claim.group(1);
        List<String> files = new ArrayList<>(filesNaming(latest).stream().map(DocsTest::relative).toList());
        try (Stream<Path> resources = Files.walk(BASE.resolve("core/src/test/resources"))) {
            resources.filter(Files::isRegularFile)
                    .filter(p -> Pattern.compile("(?i)\\b" + latest + "\\b").matcher(relative(p) + latin1(p)).find())
                    .map(DocsTest::relative).forEach(files::add);
        }
        // Float32 recordings of each version, or one where both wrote the same bytes.
        List<String> float32 = Files.exists(BASE.resolve("core/src/test/resources/golden/reference/" + latest + ".bin"))
                ? List.of("core/src/test/resources/golden/reference/<Name>.bin")
                : List.of("core/src/test/resources/golden/reference/<Name>-1.13.bin",
                        "core/src/test/resources/golden/reference/<Name>-2.6.bin");
        List<String> promised = Stream.concat(float32.stream(), Stream.of("README.md",
                "core/src/main/declarations/optimizers.txt",
                "core/src/main/java/dev/vecoptim/<Name>.java", "core/src/main/java/dev/vecoptim/kernel/<Name>Kernel.java",
                "core/src/main/java/dev/vecoptim/kernel/<Name>Vector.java",
                "core/src/test/resources/golden/reference/<Name>-1.13-bfloat16.bin",
                "core/src/test/resources/golden/reference/<Name>-1.13-float16.bin",
                "core/src/test/resources/golden/reference/<Name>-2.6-bfloat16.bin",
                "core/src/test/resources/golden/reference/<Name>-2.6-float16.bin"))
                .map(path -> path.replace("<Name>", latest)).sorted().toList();
        assertEquals(promised, files.stream().sorted().toList(), latest + " is written out beyond the five files and "
                + "the README");
        assertEquals(promised.size(), Integer.parseInt(claim.group(2)));
    }

    /** Files of the sources, tests, scripts, benchmarks and README that name the optimizer, its kernel or template. */
    private static List<Path> filesNaming(String optimizer) throws IOException {
        Pattern name = Pattern.compile("(?i)\\b" + optimizer + "(Kernel|Vector)?\\b");
        List<Path> files = new ArrayList<>();
        for (String root : SOURCE_ROOTS) {
            try (Stream<Path> tree = Files.walk(BASE.resolve(root))) {
                tree.filter(Files::isRegularFile).filter(p -> !p.getFileName().toString().equals("DocsTest.java"))
                        .filter(p -> name.matcher(latin1(p)).find()).sorted()
                        .forEach(files::add);
            }
        }
        return files;
    }

    private static Stream<Path> testSources(String module) {
        try {
            return Files.walk(BASE.resolve(module).resolve("src/test/java"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String section(String markdown, String heading) {
        int start = markdown.indexOf("\n" + heading + "\n");
        assertTrue(start >= 0, "no section " + heading);
        int end = markdown.indexOf("\n## ", start + heading.length() + 1);
        return markdown.substring(start, end < 0 ? markdown.length() : end);
    }

    @Test
    void theReadmesTestCommandIsWhatCiRuns() {
        String commands = section(read(BASE.resolve("README.md")), "## Commands");
        Matcher row = Pattern.compile("\\| run the tests[^|]*\\| `([^`]+)` \\|").matcher(commands);
        assertTrue(row.find(), "README's Commands have no row for running the tests");
        List<String> ciCommands = read(BASE.resolve(".ci/run")).lines()
                .map(line -> line.replace(" -B", "").replace(" -q", "").strip()).toList();
        assertTrue(ciCommands.contains(row.group(1)), ".ci/run does not run " + row.group(1));
    }
}
