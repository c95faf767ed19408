import java.io.IOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

/**
 * Writes {@code pit.jvm}, the java executable of the JDK that runs this program, to the properties file
 * named by its argument. The mutation profile runs it through the toolchain's JDK, because PIT does not
 * follow Maven toolchains: without a {@code <jvm>} it would test JDK 25 classes on the JDK that runs Maven.
 */
public class JavaExecutable {
    public static void main(String[] args) throws IOException {
        Properties properties = new Properties();
        properties.setProperty("pit.jvm", Path.of(System.getProperty("java.home"), "bin", "java").toString());
        Path file = Path.of(args[0]);
        Files.createDirectories(file.getParent());
        try (Writer out = Files.newBufferedWriter(file)) {
            properties.store(out, "the JDK of the mutation profile's tests");
        }
    }
}
