package dev.vecoptim;

import dev.vecoptim.io.Json;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.provider.Arguments;

/** The golden JSON files recorded from each PyTorch version by the scripts of {@code src/test/python}. */
final class GoldenJson {
    private GoldenJson() {
    }

    /**
     * {@return the cases of {@code golden/<name>-1.13.json}, then of {@code -2.6.json}: {@code each} made of the
     * version and the whole file for each element of its {@code cases}}
     */
    @SuppressWarnings("unchecked")
    static List<Arguments> cases(String name, TriFunction each) {
        List<Arguments> cases = new ArrayList<>();
        for (String version : List.of("1.13", "2.6")) {
            try (InputStream in = GoldenJson.class.getResourceAsStream("/golden/" + name + "-" + version + ".json")) {
                Map<String, Object> file = (Map<String, Object>) Json.parse(in.readAllBytes());
                for (Map<String, Object> recorded : (List<Map<String, Object>>) file.get("cases")) {
                    cases.add(each.apply(version, file, recorded));
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return cases;
    }

    /** A test case made of the version, the whole file and one recorded case. */
    @FunctionalInterface
    interface TriFunction {
        Arguments apply(String version, Map<String, Object> file, Map<String, Object> recorded);
    }
}
