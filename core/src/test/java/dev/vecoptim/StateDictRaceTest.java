package dev.vecoptim;

import static dev.vecoptim.CheckpointFiles.fingerprint;
import static dev.vecoptim.CheckpointFiles.trained;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Something else writes a state dict while it loads ({@link FileRaces}): every load either restores exactly one
 * whole file or is refused and changes nothing, for the files vecoptim writes (their checksum tells) and for
 * files without one, as PyTorch's side writes them (the file system's record of the file tells).
 */
class StateDictRaceTest {
    /** Three state buffers of this many floats: a 3 MB file. */
    private static final int FLOATS = 250_000;

    @TempDir
    Path directory;

    @Test
    @Timeout(300)
    void aStateDictTruncatedWhileItLoadsIsLoadedWholeOrRefused() throws Exception {
        signedAndUnsigned("truncated", (source, target, signed) -> FileRaces.truncating(target,
                target::loadStateDict, saved(source, "original", signed), fingerprint(source),
                directory.resolve("racing.safetensors"), 30));
    }

    @Test
    @Timeout(300)
    void aStateDictOverwrittenInPlaceWhileItLoadsIsOneFileOrRefused() throws Exception {
        signedAndUnsigned("overwritten", (source, target, signed) -> {
            Path a = saved(source, "a", signed);
            List<Object> stateA = fingerprint(source);
            source.step();
            Path b = saved(source, "b", signed);
            // Slowly, 64 KiB every 0.2 ms, so that many loads meet the writer half-way through the file.
            return FileRaces.overwriting(target, target::loadStateDict, a, stateA, b, fingerprint(source),
                    directory.resolve("racing.safetensors"), 60, 1 << 16, 200_000);
        });
    }

    /** A race between a source's state dict, with or without its checksum, and loads into a target. */
    private interface Race {
        Map<String, Integer> run(Optimizer source, Optimizer target, boolean signed) throws Exception;
    }

    private static void signedAndUnsigned(String what, Race race) throws Exception {
        for (boolean signed : List.of(true, false)) {
            try (Arena arena = Arena.ofShared(); Optimizer source = trained(arena, 2, FLOATS, 3);
                 Optimizer target = trained(arena, 0, FLOATS, 3)) {
                System.out.println((signed ? "signed" : "unsigned") + " state dict " + what + " while loading: "
                        + race.run(source, target, signed));
            }
        }
    }

    /** {@code optimizer}'s state dict, with vecoptim's checksum or without it, as PyTorch's side writes it. */
    private Path saved(Optimizer optimizer, String name, boolean signed) throws IOException {
        Path file = directory.resolve(name + ".safetensors");
        optimizer.saveStateDict(file);
        if (!signed) {
            SafetensorsEdit unsigned = SafetensorsEdit.of(file);
            unsigned.signed = false;
            unsigned.write(file);
        }
        return file;
    }
}
