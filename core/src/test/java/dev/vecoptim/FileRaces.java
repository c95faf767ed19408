package dev.vecoptim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
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

/**
 * Something else writes a file while an optimizer loads it, as {@code cp} over it (truncate, then write) or
 * {@code dd conv=notrunc} (overwrite in place) would. The file system cannot tell threads from processes, so a
 * thread plays the other writer, which lets each round aim at a random moment of the load.
 */
final class FileRaces {
    private FileRaces() {
    }

    /** A load of a file into an optimizer: a checkpoint's or a state dict's. */
    interface Load {
        void load(Path file) throws IOException;
    }

    private interface Round {
        /** Prepares the file for one round and returns what the other writer will do to it. */
        Writer prepare(SplittableRandom random) throws IOException;
    }

    private interface Writer {
        void write() throws IOException;
    }

    /**
     * Rounds of {@code original}, whose state is {@code saved}, copied to {@code file} and then truncated to a
     * random length while it loads.
     */
    static Map<String, Integer> truncating(Optimizer target, Load load, Path original, List<Object> saved, Path file,
                                           int rounds) throws Exception {
        long size = Files.size(original);
        return race(target, load, file, rounds, List.of(saved), random -> {
            Files.copy(original, file, StandardCopyOption.REPLACE_EXISTING);
            return () -> {
                try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
                    channel.truncate(random.nextLong(size));
                }
            };
        });
    }

    /**
     * Rounds of {@code a} copied to {@code file} and then overwritten in place with {@code b}, a file of the same
     * size, while it loads; their states are {@code stateA} and {@code stateB}. The other writer writes blocks of
     * {@code blockBytes}, pausing {@code pauseNanos} after each, as {@code dd conv=notrunc bs=...} through a slow
     * pipe would.
     */
    static Map<String, Integer> overwriting(Optimizer target, Load load, Path a, List<Object> stateA, Path b,
                                            List<Object> stateB, Path file, int rounds, int blockBytes,
                                            long pauseNanos) throws Exception {
        assertEquals(Files.size(a), Files.size(b), "the overwrite must not change the size");
        byte[] bytesB = Files.readAllBytes(b);
        return race(target, load, file, rounds, List.of(stateA, stateB), random -> {
            Files.copy(a, file, StandardCopyOption.REPLACE_EXISTING);
            return () -> {
                try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
                    for (int from = 0; from < bytesB.length; from += blockBytes) {
                        // A wrapped block's position is its offset in the array: the same as in the file.
                        ByteBuffer block = ByteBuffer.wrap(bytesB, from, Math.min(blockBytes, bytesB.length - from));
                        while (block.hasRemaining()) {
                            channel.write(block, block.position());
                        }
                        spin(pauseNanos);
                    }
                }
            };
        });
    }

    /**
     * Runs {@code rounds} loads of {@code file} into {@code target}, the load and the other writer each started
     * after a random delay within the time a load takes, so that the writer may come before, during or after
     * the load, and checks every outcome: the optimizer's {@link CheckpointFiles#fingerprint} equals one of
     * {@code wholeFiles}, or the load was refused and the optimizer is as it was. Returns how often each came.
     */
    private static Map<String, Integer> race(Optimizer target, Load load, Path file, int rounds,
                                     List<List<Object>> wholeFiles, Round round) throws Exception {
        SplittableRandom random = new SplittableRandom(42);
        round.prepare(random);
        long start = System.nanoTime();
        load.load(file);
        long loadNanos = System.nanoTime() - start;
        Map<String, Integer> outcomes = new TreeMap<>();
        for (int r = 0; r < rounds; r++) {
            target.step();
            List<Object> before = CheckpointFiles.fingerprint(target);
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
                load.load(file);
                List<Object> after = CheckpointFiles.fingerprint(target);
                assertTrue(wholeFiles.contains(after), "round " + r + " loaded a state that no whole file holds");
                outcome = "file " + wholeFiles.indexOf(after);
            } catch (CheckpointException refused) {
                assertEquals(before, CheckpointFiles.fingerprint(target), "round " + r
                        + ": a refused load changed the optimizer");
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
