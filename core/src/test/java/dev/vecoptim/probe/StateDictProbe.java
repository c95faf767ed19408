package dev.vecoptim.probe;

import dev.vecoptim.Adam;
import dev.vecoptim.Optimizer;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Run in a JVM of its own, with or without Jackson: builds, steps and checkpoints an optimizer, then saves and
 * loads a safetensors state dict, and prints what happened. Uses only the public API.
 */
public final class StateDictProbe {
    private StateDictProbe() {
    }

    public static void main(String[] args) throws IOException {
        Path directory = Files.createTempDirectory("state-dict-probe");
        Optimizer built;
        try {
            built = Optimizer.builder().build();
        } catch (IllegalStateException missing) {
            System.out.println("optimizer=refused: " + missing.getMessage());
            Files.delete(directory);
            return;
        }
        try (Arena arena = Arena.ofShared(); Optimizer optimizer = built) {
            optimizer.addGroup(Adam.builder().build()).add(arena.allocate(64), arena.allocate(64));
            optimizer.step();
            optimizer.save(directory.resolve("checkpoint"));
            optimizer.load(directory.resolve("checkpoint"));
            System.out.println("checkpoint=" + optimizer.stepCount());
            optimizer.saveStateDict(directory.resolve("state.safetensors"));
            optimizer.loadStateDict(directory.resolve("state.safetensors"));
            System.out.println("stateDict=" + optimizer.stepCount());
        } finally {
            try (var files = Files.list(directory)) {
                for (Path file : files.toList()) {
                    Files.delete(file);
                }
            }
            Files.delete(directory);
        }
    }
}
