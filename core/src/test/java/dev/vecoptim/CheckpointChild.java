package dev.vecoptim;

import dev.vecoptim.io.CheckpointReader;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Another process, for the checkpoint tests: what a crash, a full disk or a second program does to files
 * can only be seen from a process of its own. Run by {@link CheckpointFileTest} as
 * <ul>
 * <li>{@code save-forever <file> <floats>}: steps and saves an optimizer of that many floats until killed;
 * <li>{@code save-once <file> <floats>}: saves once and prints {@code error=<message>} if that fails;
 * <li>{@code hold-lock <file>}: writes checkpoint-like bytes to {@code file}, locks it, prints {@code locked}, and
 *     holds the lock until its standard input ends.
 * </ul>
 */
public final class CheckpointChild {
    private CheckpointChild() {
    }

    public static void main(String[] args) throws IOException {
        Path file = Path.of(args[1]);
        switch (args[0]) {
            case "save-forever" -> {
                try (Arena arena = Arena.ofShared();
                     Optimizer optimizer = CheckpointFiles.trained(arena, 1, Integer.parseInt(args[2]), 3)) {
                    while (true) {
                        optimizer.step();
                        optimizer.save(file);
                    }
                }
            }
            case "save-once" -> {
                try (Arena arena = Arena.ofShared();
                     Optimizer optimizer = CheckpointFiles.trained(arena, 1, Integer.parseInt(args[2]), 3)) {
                    optimizer.save(file);
                    System.out.println("saved");
                } catch (IOException e) {
                    System.out.println("error=" + e.getMessage());
                }
            }
            case "hold-lock" -> {
                try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                     FileLock lock = channel.lock()) {
                    channel.write(ByteBuffer.wrap(CheckpointReader.MAGIC));
                    System.out.println("locked " + lock.isValid());
                    System.out.flush();
                    while (System.in.read() >= 0) {
                        Thread.onSpinWait();
                    }
                }
            }
            default -> throw new IllegalArgumentException("unknown mode " + args[0]);
        }
    }
}
