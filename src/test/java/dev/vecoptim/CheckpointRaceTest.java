package dev.vecoptim;

import static dev.vecoptim.CheckpointFiles.fingerprint;
import static dev.vecoptim.CheckpointFiles.trained;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Something else writes the checkpoint while it loads, as {@code cp} over it (truncate, then write) or
 * {@code dd conv=notrunc} (overwrite in place) would: every load either restores exactly one whole file or is
 * refused and changes nothing. Never a crash (a memory-mapped reader dies of SIGBUS when the file shrinks
 * under it), never a mix of two files. The file system cannot tell threads from processes, so a thread
 * plays the other writer, which lets each round aim at a random moment of the load.
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
            long size = Files.size(original);
            List<Object> saved = fingerprint(source);
            Path file = directory.resolve("racing.ckpt");
            Map<String, Integer> outcomes = race(target, file, 30, List.of(saved), round -> {
                Files.copy(original, file, StandardCopyOption.REPLACE_EXISTING);
                return () -> {
                    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
                        channel.truncate(round.nextLong(size));
                    }
                };
            });
            System.out.println("truncated while loading: " + outcomes);
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
            List<Object> stateB = fingerprint(source);
            assertEquals(Files.size(a), Files.size(b), "the overwrite must not change the size");
            byte[] bytesB = Files.readAllBytes(b);
            Path file = directory.resolve("racing.ckpt");
            Map<String, Integer> outcomes = race(target, file, 90, List.of(stateA, stateB), round -> {
                Files.copy(a, file, StandardCopyOption.REPLACE_EXISTING);
                return () -> {
                    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
                        for (int from = 0; from < bytesB.length; from += 1 << 20) {
                            // A wrapped block's position is its offset in the array: the same as in the file.
                            ByteBuffer block = ByteBuffer.wrap(bytesB, from, Math.min(1 << 20, bytesB.length - from));
                            while (block.hasRemaining()) {
                                channel.write(block, block.position());
                            }
                        }
                    }
                };
            });
            System.out.println("overwritten while loading: " + outcomes);
        }
    }

    private interface Round {
        /** Prepares the file for one round and returns what the other writer will do to it. */
        Writer prepare(SplittableRandom random) throws IOException;
    }

    private interface Writer {
        void write() throws IOException;
    }

    /**
     * Runs {@code rounds} loads of {@code file}, the load and the other writer each started after a random
     * delay within the time a load takes, so that the writer may come before, during or after the load, and
     * checks every outcome: the optimizer equals one of {@code wholeFiles}, or the
     * load was refused and the optimizer is as it was.
     */
    private static Map<String, Integer> race(Optimizer target, Path file, int rounds, List<List<Object>> wholeFiles,
                                             Round round) throws Exception {
        SplittableRandom random = new SplittableRandom(42);
        round.prepare(random);
        long start = System.nanoTime();
        target.load(file);
        long loadNanos = System.nanoTime() - start;
        Map<String, Integer> outcomes = new TreeMap<>();
        for (int r = 0; r < rounds; r++) {
            target.step();
            List<Object> before = fingerprint(target);
            Writer writer = round.prepare(random);
            long writerDelay = random.nextLong(loadNanos);
            long loadDelay = random.nextLong(loadNanos);
            AtomicBoolean go = new AtomicBoolean();
            AtomicReference<Throwable> writerFailed = new AtomicReference<>();
            Thread other = Thread.ofPlatform().start(() -> {
                while (!go.get()) {
                    Thread.onSpinWait();
                }
                spin(writerDelay);
                try {
                    writer.write();
                } catch (Throwable t) {
                    writerFailed.set(t);
                }
            });
            go.set(true);
            spin(loadDelay);
            String outcome;
            try {
                target.load(file);
                List<Object> after = fingerprint(target);
                assertTrue(wholeFiles.contains(after), "round " + r + " loaded a state that no whole file holds");
                outcome = "file " + wholeFiles.indexOf(after);
            } catch (CheckpointException refused) {
                assertEquals(before, fingerprint(target), "round " + r + ": a refused load changed the optimizer");
                outcome = "refused";
            }
            other.join();
            if (writerFailed.get() != null) {
                fail("the other writer failed", writerFailed.get());
            }
            outcomes.merge(outcome, 1, Integer::sum);
        }
        return outcomes;
    }

    private static void spin(long nanos) {
        long until = System.nanoTime() + nanos;
        while (System.nanoTime() < until) {
            Thread.onSpinWait();
        }
    }
}
