package dev.vecoptim.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;

/**
 * Replaces a file all at once: what is written goes to a temporary file beside it,
 * {@code <name>.<digits>.tmp}, which {@link #commit()} forces to disk and moves over the target atomically, so
 * that a crash at any moment leaves either the old file or the new one, whole.
 *
 * <ul>
 * <li>A symbolic link is written through: the file it points to is replaced and the link stays.
 * <li>A replaced file keeps its POSIX permissions; a new one gets the process's default (umask).
 * <li>A temporary file stays locked while it is written. A crash leaves it behind; the next replacement of
 *     the same target deletes such leftovers, but only those it can prove are abandoned: named like ours,
 *     holding our signature, not written for a minute, and unlocked (the lock dies with its process).
 * </ul>
 */
public final class FileReplacement implements AutoCloseable {
    /** How long a temporary file must have been left alone before it counts as abandoned. */
    public static final Duration ABANDONED_AFTER = Duration.ofMinutes(1);
    private static final int MAX_LINKS = 40;
    /** Temporary files this JVM is writing: never opened by the cleanup, whose close would drop their lock. */
    private static final Set<Path> WRITING = ConcurrentHashMap.newKeySet();

    private final Path target;
    private final Path temporary;
    private final FileChannel channel;
    private boolean committed;

    private FileReplacement(Path target, Path temporary, FileChannel channel) {
        this.target = target;
        this.temporary = temporary;
        this.channel = channel;
    }

    /**
     * Starts replacing {@code file} (or, if it is a symbolic link, the file it points to) with a file that will
     * hold {@code signature} at byte {@code signatureAt}: how a later replacement knows a leftover for ours.
     *
     * @throws FileSystemException naming {@code file} if it is a directory or another non-regular file
     */
    public static FileReplacement begin(Path file, int signatureAt, byte[] signature) throws IOException {
        Path target = followLinks(file);
        if (Files.exists(target) && !Files.isRegularFile(target)) {
            throw new FileSystemException(file.toAbsolutePath().toString(), null, Files.isDirectory(target)
                    ? "is a directory; a checkpoint needs a file name" : "is not a regular file");
        }
        Path directory = target.getParent();
        String name = target.getFileName().toString();
        deleteAbandoned(directory, name, signatureAt, signature);
        while (true) {
            Path temporary = directory.resolve(name + "." + Long.toUnsignedString(ThreadLocalRandom.current().nextLong())
                    + ".tmp");
            FileChannel channel;
            try {
                channel = FileChannel.open(temporary, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            } catch (FileAlreadyExistsException taken) {
                continue;
            }
            WRITING.add(temporary);
            FileReplacement replacement = new FileReplacement(target, temporary, channel);
            try {
                replacement.lockAndKeepMode();
                return replacement;
            } catch (IOException | RuntimeException | Error e) {
                replacement.close();
                throw e;
            }
        }
    }

    /** Where the bytes go until {@link #commit()}. */
    public FileChannel channel() {
        return channel;
    }

    /** Forces the written bytes to disk and moves them over the target in one step. */
    public void commit() throws IOException {
        channel.force(true);
        channel.close();
        Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE);
        committed = true;
        WRITING.remove(temporary);
        forceDirectory(target.getParent());
    }

    /** Without a {@link #commit()}, deletes the temporary file: the target is left as it was. */
    @Override
    public void close() throws IOException {
        if (committed) {
            return;
        }
        try {
            channel.close();
            Files.deleteIfExists(temporary);
        } finally {
            WRITING.remove(temporary);
        }
    }

    private void lockAndKeepMode() throws IOException {
        try {
            channel.lock();
        } catch (IOException | UnsupportedOperationException unsupported) {
            // Some network file systems cannot lock; the file is then never proven abandoned, so it stays.
        }
        if (Files.exists(target)) {
            try {
                Files.setPosixFilePermissions(temporary, Files.getPosixFilePermissions(target));
            } catch (UnsupportedOperationException notPosix) {
                // Windows: the new file inherits the directory's access control, as the old one did.
            }
        }
    }

    private static Path followLinks(Path file) throws IOException {
        Path path = file.toAbsolutePath();
        for (int links = 0; Files.isSymbolicLink(path); links++) {
            if (links == MAX_LINKS) {
                throw new FileSystemException(file.toString(), null, "too many levels of symbolic links");
            }
            path = path.resolveSibling(Files.readSymbolicLink(path));
        }
        return path;
    }

    /** Deletes temporary files of {@code name} in {@code directory} that a crashed replacement left behind. */
    private static void deleteAbandoned(Path directory, String name, int signatureAt, byte[] signature) {
        Pattern ours = Pattern.compile(Pattern.quote(name + ".") + "[0-9]+\\.tmp");
        Instant abandonedBefore = Instant.now().minus(ABANDONED_AFTER);
        try (DirectoryStream<Path> candidates = Files.newDirectoryStream(directory,
                path -> ours.matcher(path.getFileName().toString()).matches() && !WRITING.contains(path))) {
            for (Path candidate : candidates) {
                if (abandoned(candidate, signatureAt, signature, abandonedBefore)) {
                    Files.deleteIfExists(candidate);
                }
            }
        } catch (IOException | RuntimeException cannotTell) {
            // Cleaning up is a courtesy: a file that cannot be proven abandoned stays, and the save goes on.
        }
    }

    private static boolean abandoned(Path candidate, int signatureAt, byte[] signature, Instant abandonedBefore)
            throws IOException {
        BasicFileAttributes attributes = Files.readAttributes(candidate, BasicFileAttributes.class,
                LinkOption.NOFOLLOW_LINKS);
        if (!attributes.isRegularFile() || !attributes.lastModifiedTime().toInstant().isBefore(abandonedBefore)) {
            return false;
        }
        try (FileChannel channel = FileChannel.open(candidate, StandardOpenOption.READ, StandardOpenOption.WRITE,
                LinkOption.NOFOLLOW_LINKS); FileLock lock = channel.tryLock()) {
            if (lock == null) {
                return false;
            }
            ByteBuffer start = ByteBuffer.allocate(signature.length);
            int read;
            do {
                read = channel.read(start, signatureAt + start.position());
            } while (read > 0 && start.hasRemaining());
            return Arrays.equals(start.array(), 0, start.position(), signature, 0, start.position());
        } catch (OverlappingFileLockException lockedByThisJvm) {
            return false;
        }
    }

    /** Makes the rename durable too; where the platform cannot force a directory, the move still was atomic. */
    private static void forceDirectory(Path directory) {
        try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException notSupportedHere) {
            // Windows cannot open a directory as a channel; its MoveFileEx is durable without it.
        }
    }
}
