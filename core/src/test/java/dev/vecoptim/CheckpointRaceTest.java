package dev.vecoptim;

import static dev.vecoptim.CheckpointFiles.fingerprint;
import static dev.vecoptim.CheckpointFiles.trained;

import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Something else writes the checkpoint while it loads ({@link FileRaces}): every load either restores exactly one
 * whole file or is refused and changes nothing. Never a crash (a memory-mapped reader dies of SIGBUS when the
 * file shrinks under it), never a mix of two files.
 */
class CheckpointRaceTest {
    /** Three state buffers of this many floats: a 30 MB checkpoint, a load of some tens of milliseconds. */
    private static final int FLOATS = 2_500_000;

    @TempDir
    Path directory;

    @Test
    @Timeout(300)
    void aFileTruncatedWhileItLoadsIsLoadedWholeOrRefused() throws Exception {
        try (Arena arena = Arena.ofShared(); Optimizer source = trained(arena, 2, FLOATS, 3);
             Optimizer target = trained(arena, 0, FLOATS, 3)) {
            Path original = directory.resolve("original.ckpt");
            source.save(original);
            System.out.println("truncated while loading: " + FileRaces.truncating(target, target::load, original,
                    fingerprint(source), directory.resolve("racing.ckpt"), 30));
        }
    }

    @Test
    @Timeout(300)
    void aFileOverwrittenInPlaceWhileItLoadsIsOneFileOrRefused() throws Exception {
        try (Arena arena = Arena.ofShared(); Optimizer source = trained(arena, 2, FLOATS, 3);
             Optimizer target = trained(arena, 0, FLOATS, 3)) {
            Path a = directory.resolve("a.ckpt");
            Path b = directory.resolve("b.ckpt");
            source.save(a);
            List<Object> stateA = fingerprint(source);
            source.step();
            source.save(b);
            System.out.println("overwritten while loading: " + FileRaces.overwriting(target, target::load, a, stateA,
                    b, fingerprint(source), directory.resolve("racing.ckpt"), 90, 1 << 20, 0));
        }
    }
}
