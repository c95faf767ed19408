package dev.vecoptim;

import static dev.vecoptim.JdkTool.CLASSES;
import static dev.vecoptim.JdkTool.TEST_CLASSES;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.vecoptim.probe.StateDictProbe;
import java.net.URISyntaxException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * Jackson is optional: without it everything but the safetensors state dict works, and the state dict says
 * what to add; with it, on the class path or the module path (added as the README says), the state dict works.
 */
class OptionalJacksonTest {
    private static final String PROBE = StateDictProbe.class.getName();
    private static final String MISSING = "stateDict=refused: saveStateDict() needs Jackson's"
            + " tools.jackson.core:jackson-core (3.x), an optional dependency of vecoptim: add it to your build; on the"
            + " module path also --add-modules tools.jackson.core (or require it from your module)\n";

    private static String jackson() throws URISyntaxException {
        return Path.of(tools.jackson.core.json.JsonFactory.class.getProtectionDomain().getCodeSource().getLocation()
                .toURI()).toString();
    }

    private static String probe(String... options) {
        String[] command = new String[options.length + 1];
        System.arraycopy(options, 0, command, 0, options.length);
        command[options.length] = PROBE;
        return JdkTool.run("java", command).stdout();
    }

    @Test
    void onTheClassPath() throws URISyntaxException {
        assertEquals("checkpoint=1\n" + MISSING, probe("--add-modules", "jdk.incubator.vector", "-cp",
                JdkTool.classPath(CLASSES, TEST_CLASSES)));
        assertEquals("checkpoint=1\nstateDict=1\n", probe("--add-modules", "jdk.incubator.vector", "-cp",
                JdkTool.classPath(CLASSES, TEST_CLASSES, jackson())));
    }

    @Test
    void onTheModulePath() throws URISyntaxException {
        assertEquals("checkpoint=1\n" + MISSING, probe("-p", CLASSES, "--add-modules", "dev.vecoptim", "-cp",
                TEST_CLASSES));
        assertEquals("checkpoint=1\n" + MISSING, probe("-p", JdkTool.classPath(CLASSES, jackson()), "--add-modules",
                "dev.vecoptim", "-cp", TEST_CLASSES), "requires static: present but not resolved");
        assertEquals("checkpoint=1\nstateDict=1\n", probe("-p", JdkTool.classPath(CLASSES, jackson()),
                "--add-modules", "dev.vecoptim,tools.jackson.core", "-cp", TEST_CLASSES));
    }
}
