package dev.vecoptim.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The example trains (the loss falls, the test points are told apart) and resumes from any step exactly. */
class TrainSpiralsTest {
    private static final Pattern LOSS = Pattern.compile("step (\\d+): loss ([0-9.]+) at lr .*");

    @Test
    void trainsAndAStoppedRunResumesBitForBit(@TempDir Path directory) throws IOException {
        ByteArrayOutputStream whole = new ByteArrayOutputStream();
        float[] once = TrainSpirals.train(directory.resolve("once.ckpt"), Long.MAX_VALUE, print(whole));

        Path resumed = directory.resolve("resumed.ckpt");
        ByteArrayOutputStream first = new ByteArrayOutputStream();
        ByteArrayOutputStream second = new ByteArrayOutputStream();
        TrainSpirals.train(resumed, 1234, print(first));
        float[] twice = TrainSpirals.train(resumed, Long.MAX_VALUE, print(second));

        assertArrayEquals(once, twice, "the values of a run stopped at step 1234 and resumed");
        List<String> lines = whole.toString(StandardCharsets.UTF_8).lines().toList();
        List<String> stoppedAndResumed = new ArrayList<>(first.toString(StandardCharsets.UTF_8).lines().toList());
        stoppedAndResumed.remove("step 1234: test accuracy " + accuracy(first));
        stoppedAndResumed.addAll(second.toString(StandardCharsets.UTF_8).lines().toList());
        assertTrue(stoppedAndResumed.remove("resumed at step 1234"), stoppedAndResumed.toString());
        assertEquals(lines, stoppedAndResumed);

        List<Double> losses = new ArrayList<>();
        for (String line : lines) {
            Matcher loss = LOSS.matcher(line);
            if (loss.matches()) {
                losses.add(Double.parseDouble(loss.group(2)));
            }
        }
        assertEquals(TrainSpirals.TOTAL_STEPS / 500, losses.size(), lines.toString());
        assertTrue(losses.getLast() < losses.getFirst() / 4, "the loss fell fourfold: " + losses);
        assertTrue(Double.parseDouble(accuracy(whole)) >= 0.97, lines.toString());
    }

    private static PrintStream print(ByteArrayOutputStream bytes) {
        return new PrintStream(bytes, true, StandardCharsets.UTF_8);
    }

    private static String accuracy(ByteArrayOutputStream output) {
        Matcher accuracy = Pattern.compile("test accuracy ([0-9.]+)").matcher(output.toString(StandardCharsets.UTF_8));
        assertTrue(accuracy.find(), output.toString(StandardCharsets.UTF_8));
        return accuracy.group(1);
    }
}
