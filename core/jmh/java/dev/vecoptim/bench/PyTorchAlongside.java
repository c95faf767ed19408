package dev.vecoptim.bench;

import dev.vecoptim.Algorithm;
import dev.vecoptim.VectorWidth;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.StringJoiner;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * PyTorch's {@code optimizer.step()} on the report's cases, when a {@code python3} with torch is there: the
 * script {@code pytorch_steps.py} (a resource beside this class) times each case and prints one JSON line per
 * case, which this reads. Not part of the tests.
 */
final class PyTorchAlongside {
    /** One case: the report's workload id, floats in all, cut into parameters, threads, and torch's foreach. */
    record Case(String optimizer, int floats, int parameters, int threads, boolean foreach) {
        String id() {
            return optimizer + "/" + floats + "/" + parameters + "/" + threads + "/" + foreach;
        }

        /** The case, with PyTorch's class and keyword arguments for the workload's hyper-parameters. */
        String json() {
            Algorithm algorithm = Workload.of(optimizer).algorithm(VectorWidth.SCALAR);
            StringJoiner keywords = new StringJoiner(", ", "{", "}");
            algorithm.pyTorchHyperParameters().forEach((name, value) -> keywords.add("\"" + name + "\": "
                    + (value instanceof List<?> pair ? "[" + pair.get(0) + ", " + pair.get(1) + "]" : value)));
            return String.format(Locale.ROOT, "{\"id\": \"%s\", \"class\": \"%s\", \"hyperparameters\": %s,"
                    + " \"floats\": %d, \"parameters\": %d, \"threads\": %d, \"foreach\": %s}", id(),
                    algorithm.name(), keywords, floats, parameters, threads, foreach);
        }
    }

    private static final Pattern VERSION = Pattern.compile("\\{\"torch\": \"([^\"]+)\"}");
    private static final Pattern ANSWER = Pattern.compile(
            "\\{\"id\": \"([^\"]+)\", \"(steps_per_second|error)\": (?:([0-9.eE+-]+)|\"((?:[^\"\\\\]|\\\\.)*)\")}");

    private final String version;
    private final Map<String, Double> stepsPerSecond = new LinkedHashMap<>();
    private final List<String> errors = new ArrayList<>();

    private PyTorchAlongside(String version) {
        this.version = version;
    }

    /** Whether {@code python} imports torch: its version, or empty. */
    static Optional<String> version(String python) {
        if (python.equals("none")) {
            return Optional.empty();
        }
        try {
            Process process = new ProcessBuilder(python, "-c", "import torch; print(torch.__version__)")
                    .redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            return process.waitFor(120, TimeUnit.SECONDS) && process.exitValue() == 0
                    ? Optional.of(output.lines().reduce((a, b) -> b).orElse(output)) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    /** Runs every case for about {@code seconds} each; the script and its error output go under {@code out}. */
    static PyTorchAlongside run(String python, List<Case> cases, double seconds, Path out)
            throws IOException, InterruptedException {
        Path script = out.resolve("pytorch_steps.py");
        try (InputStream resource = PyTorchAlongside.class.getResourceAsStream("pytorch_steps.py")) {
            if (resource == null) {
                throw new IOException("pytorch_steps.py is not beside " + PyTorchAlongside.class.getName());
            }
            Files.write(script, resource.readAllBytes());
        }
        Process process = new ProcessBuilder(python, script.toString())
                .redirectError(out.resolve("pytorch.log").toFile()).start();
        String request = "{\"seconds\": " + seconds + ", \"cases\": ["
                + String.join(", ", cases.stream().map(Case::json).toList()) + "]}";
        try (var stdin = process.getOutputStream()) {
            stdin.write(request.getBytes(StandardCharsets.UTF_8));
        }
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        process.waitFor();
        return parse(output);
    }

    /** The script's output read back: its torch version, each case's steps per second or error. */
    static PyTorchAlongside parse(String output) {
        List<String> lines = output.lines().map(String::strip).filter(line -> !line.isEmpty()).toList();
        Matcher version = lines.isEmpty() ? null : VERSION.matcher(lines.getFirst());
        PyTorchAlongside answers = new PyTorchAlongside(version != null && version.matches() ? version.group(1) : "?");
        for (String line : lines.subList(Math.min(1, lines.size()), lines.size())) {
            Matcher answer = ANSWER.matcher(line);
            if (!answer.matches()) {
                answers.errors.add("unreadable: " + line);
            } else if (answer.group(2).equals("error")) {
                answers.errors.add(answer.group(1) + ": " + answer.group(4));
            } else {
                answers.stepsPerSecond.put(answer.group(1), Double.parseDouble(answer.group(3)));
            }
        }
        return answers;
    }

    String version() {
        return version;
    }

    Optional<Double> stepsPerSecond(Case c) {
        return Optional.ofNullable(stepsPerSecond.get(c.id()));
    }

    List<String> errors() {
        return errors;
    }
}
