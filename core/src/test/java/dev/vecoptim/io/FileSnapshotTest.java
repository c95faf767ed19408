package dev.vecoptim.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the file system's record of a file tells of a change, even one that hides its modification time. */
class FileSnapshotTest {
    @TempDir
    Path directory;

    @Test
    void anUntouchedFileHasNotChanged() throws IOException {
        Path file = Files.write(directory.resolve("a"), new byte[] {1, 2, 3});
        FileSnapshot before = FileSnapshot.of(file);
        Files.readAllBytes(file);
        assertNull(before.change(FileSnapshot.of(file)));
    }

    @Test
    void everyKindOfChangeIsNamed() throws IOException {
        Path file = Files.write(directory.resolve("a"), new byte[] {1, 2, 3});
        FileSnapshot before = FileSnapshot.of(file).settled(file);
        Files.write(file, new byte[] {1, 2, 3, 4});
        assertEquals("its size went from 3 to 4 bytes", before.change(FileSnapshot.of(file)));

        before = FileSnapshot.of(file).settled(file);
        overwriteFirstByte(file);
        assertTrue(before.change(FileSnapshot.of(file)).startsWith("it was modified"), "same size, new content");

        before = FileSnapshot.of(file).settled(file);
        FileTime modified = Files.getLastModifiedTime(file);
        overwriteFirstByte(file);
        Files.setLastModifiedTime(file, modified);
        String hidden = before.change(FileSnapshot.of(file));
        if (before.statusChanged() != null) {
            assertTrue(hidden.startsWith("its status changed"), "a writer that sets the time back: " + hidden);
        }

        before = FileSnapshot.of(file).settled(file);
        Path other = Files.write(directory.resolve("b"), new byte[] {5, 6, 7, 8});
        Files.move(other, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        if (before.identity() != null) {
            assertEquals("it was replaced by another file", before.change(FileSnapshot.of(file)));
        }
    }

    @Test
    void aFileSettlesOnceATickHasPassedSinceItsLastChange() throws IOException {
        Path file = Files.write(directory.resolve("fresh"), new byte[] {1});
        FileSnapshot settled = FileSnapshot.of(file).settled(file);
        assertFalse(Instant.now().isBefore(settled.lastChange().plus(FileSnapshot.FINE_TICK)),
                "returned before a tick had passed since the last change");
        assertNull(settled.change(FileSnapshot.of(file)));
    }

    private static void overwriteFirstByte(Path file) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            channel.write(ByteBuffer.wrap(new byte[] {9}), 0);
        }
    }
}
