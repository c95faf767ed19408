package dev.vecoptim.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;

/**
 * What the file system says of a file: its identity (device and inode where the platform has them), size, and
 * the times of its last change of content and of status. Taken before a file is read and again after, it tells
 * whether the file changed while it was read — for files that carry no checksum of their own, the only way to
 * know. A writer changes the status time whatever it does, even when it sets the modification time back.
 *
 * <p>File systems keep these times at a coarse granularity (a kernel tick, about 4–10 ms, on Linux before 6.13;
 * whole seconds on some), so two writes within one tick may leave the same times. A file changed within the
 * last tick is therefore not read until a tick has passed since: {@link #settled(Path)}.
 */
public record FileSnapshot(Object identity, long size, FileTime modified, FileTime statusChanged) {
    /** How long after a change a file of fine-grained times may still change within the same tick. */
    public static final Duration FINE_TICK = Duration.ofMillis(50);
    /** The same, for a file system that keeps whole seconds (FAT keeps two). */
    public static final Duration COARSE_TICK = Duration.ofMillis(2_100);
    /** The longest {@link #settled(Path)} waits: beyond it, a clock that runs behind the file server's is assumed. */
    public static final Duration MAX_WAIT = Duration.ofSeconds(3);

    /** The file as it is now. */
    public static FileSnapshot of(Path file) throws IOException {
        BasicFileAttributes basic = Files.readAttributes(file, BasicFileAttributes.class);
        FileTime statusChanged = null;
        if (file.getFileSystem().supportedFileAttributeViews().contains("unix")) {
            statusChanged = (FileTime) Files.getAttribute(file, "unix:ctime");
        }
        return new FileSnapshot(basic.fileKey(), basic.size(), basic.lastModifiedTime(), statusChanged);
    }

    /** The latest time the file system recorded a change of the file. */
    public Instant lastChange() {
        Instant modifiedAt = modified.toInstant();
        return statusChanged == null || statusChanged.toInstant().isBefore(modifiedAt) ? modifiedAt
                : statusChanged.toInstant();
    }

    /**
     * Waits until a tick of the file system's clock has passed since the file last changed, so that any later
     * write leaves other times, then returns the file as it is then (the same snapshot if nothing changed).
     * Waits at most {@link #MAX_WAIT} in all.
     *
     * @throws java.io.InterruptedIOException if the thread is interrupted while it waits
     */
    public FileSnapshot settled(Path file) throws IOException {
        Instant giveUp = Instant.now().plus(MAX_WAIT);
        FileSnapshot current = this;
        while (true) {
            Instant quietFrom = current.lastChange().plus(current.tick());
            Instant now = Instant.now();
            if (!now.isBefore(quietFrom) || !now.isBefore(giveUp)) {
                return current;
            }
            Instant until = quietFrom.isBefore(giveUp) ? quietFrom : giveUp;
            try {
                Thread.sleep(Duration.between(now, until));
            } catch (InterruptedException interrupted) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted while waiting for " + file + " to settle");
            }
            current = of(file);
        }
    }

    /** Whole seconds in both times mean a file system of coarse times (or a one-in-a-billion chance). */
    private Duration tick() {
        boolean wholeSeconds = modified.toInstant().getNano() == 0
                && (statusChanged == null || statusChanged.toInstant().getNano() == 0);
        return wholeSeconds ? COARSE_TICK : FINE_TICK;
    }

    /** What changed between this snapshot and {@code later}, in words, or null if nothing did. */
    public String change(FileSnapshot later) {
        if (identity != null && !identity.equals(later.identity)) {
            return "it was replaced by another file";
        }
        if (size != later.size) {
            return "its size went from " + size + " to " + later.size + " bytes";
        }
        if (!modified.equals(later.modified)) {
            return "it was modified (at " + later.modified + ")";
        }
        if (statusChanged != null && !statusChanged.equals(later.statusChanged)) {
            return "its status changed (at " + later.statusChanged + ")";
        }
        return null;
    }
}
