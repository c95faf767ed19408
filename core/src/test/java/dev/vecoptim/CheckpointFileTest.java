package dev.vecoptim;

import static dev.vecoptim.CheckpointFiles.state;
import static dev.vecoptim.CheckpointFiles.trained;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vecoptim.io.CheckpointReader;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.foreign.Arena;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What saving and loading do to real files, and what other processes and the file system do to them: crashes,
 * a full disk, links, permissions, directories and FIFOs. Each child process is bounded in time.
 */
class CheckpointFileTest {
    private static final String CLASS_PATH = JdkTool.classPath(JdkTool.CLASSES, JdkTool.jackson(), JdkTool.TEST_CLASSES);

    @TempDir
    Path directory;

    @Test
    void directoriesAndSpecialFilesAreRefusedWithTheirPath() throws Exception {
        try (Arena arena = Arena.ofShared(); Optimizer optimizer = trained(arena, 1)) {
            CheckpointException notAFile = assertThrows(CheckpointException.class, () -> optimizer.load(directory));
            assertEquals(directory + " is a directory, not a checkpoint", notAFile.getMessage());
            for (Path notAFileName : List.of(directory, Path.of("/"), Path.of(""))) {
                FileSystemException refused = assertThrows(FileSystemException.class, () -> optimizer.save(notAFileName));
                assertEquals(notAFileName.toAbsolutePath() + ": is a directory; a checkpoint needs a file name",
                        refused.getMessage());
            }
            Path missing = directory.resolve("no such directory").resolve("model.ckpt");
            IOException noDirectory = assertThrows(IOException.class, () -> optimizer.save(missing));
            assertTrue(noDirectory.getMessage().contains(missing.getParent().toString()), noDirectory.getMessage());

            Path fifo = directory.resolve("fifo.ckpt");
            Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).start();
            assertTrue(mkfifo.waitFor(10, TimeUnit.SECONDS) && mkfifo.exitValue() == 0, "mkfifo failed");
            CheckpointException fifoRefused = assertTimeoutPreemptively(Duration.ofSeconds(10),
                    () -> assertThrows(CheckpointException.class, () -> optimizer.load(fifo)));
            assertEquals(fifo + " is not a regular file, not a checkpoint", fifoRefused.getMessage());
            FileSystemException notRegular = assertThrows(FileSystemException.class, () -> optimizer.save(fifo));
            assertEquals(fifo + ": is not a regular file", notRegular.getMessage());
        }
    }

    @Test
    void aSymbolicLinkIsWrittenThroughAndStaysALink() throws IOException {
        try (Arena arena = Arena.ofShared(); Optimizer source = trained(arena, 2); Optimizer target = trained(arena, 0)) {
            Path real = directory.resolve("run-7.ckpt");
            Path latest = Files.createSymbolicLink(directory.resolve("latest.ckpt"), Path.of("run-7.ckpt"));
            Path chained = Files.createSymbolicLink(directory.resolve("chained.ckpt"), latest);
            source.save(chained);
            assertTrue(Files.isSymbolicLink(latest) && Files.isSymbolicLink(chained), "a link was replaced");
            assertTrue(Files.isRegularFile(real, java.nio.file.LinkOption.NOFOLLOW_LINKS), "the link's target was not written");
            target.load(latest);
            assertEquals(state(source), state(target));
            source.step();
            source.save(latest);
            assertEquals(Files.readString(latest, StandardCharsets.ISO_8859_1), Files.readString(real, StandardCharsets.ISO_8859_1));
            assertEquals(Set.of("run-7.ckpt", "latest.ckpt", "chained.ckpt"), names(directory), "a temporary file stayed");
        }
    }

    @Test
    void aLoopOfSymbolicLinksIsRefused() throws IOException {
        Path a = directory.resolve("a.ckpt");
        Files.createSymbolicLink(a, Path.of("b.ckpt"));
        Files.createSymbolicLink(directory.resolve("b.ckpt"), Path.of("a.ckpt"));
        try (Arena arena = Arena.ofShared(); Optimizer optimizer = trained(arena, 1)) {
            FileSystemException refused = assertThrows(FileSystemException.class, () -> optimizer.save(a));
            assertEquals(a + ": too many levels of symbolic links", refused.getMessage());
        }
    }

    @Test
    void anInterruptedSaveLeavesThePreviousCheckpointAndNoTemporaryFile() throws IOException {
        Path file = directory.resolve("model.ckpt");
        try (Arena arena = Arena.ofShared(); Optimizer optimizer = trained(arena, 1)) {
            optimizer.save(file);
            byte[] previous = Files.readAllBytes(file);
            optimizer.step();
            Thread.currentThread().interrupt();
            IOException failed;
            try {
                failed = assertThrows(IOException.class, () -> optimizer.save(file));
            } finally {
                assertTrue(Thread.interrupted(), "the interrupt was swallowed");
            }
            assertEquals("cannot save a checkpoint to " + file + ": the thread was interrupted", failed.getMessage());
            assertArrayEquals(previous, Files.readAllBytes(file));
            assertEquals(Set.of("model.ckpt"), names(directory), "a temporary file stayed");
        }
    }

    @Test
    void aReplacedFileKeepsItsPermissionsAndANewOneGetsTheDefaultOnes() throws IOException {
        try (Arena arena = Arena.ofShared(); Optimizer optimizer = trained(arena, 1)) {
            Path kept = directory.resolve("kept.ckpt");
            Files.write(kept, new byte[] {1});
            Files.setPosixFilePermissions(kept, PosixFilePermissions.fromString("rw-r-----"));
            optimizer.save(kept);
            assertEquals("rw-r-----", PosixFilePermissions.toString(Files.getPosixFilePermissions(kept)));
            Path fresh = directory.resolve("fresh.ckpt");
            optimizer.save(fresh);
            Path reference = Files.createFile(directory.resolve("reference"));
            assertEquals(Files.getPosixFilePermissions(reference), Files.getPosixFilePermissions(fresh),
                    "a new checkpoint is created like any other file, with the process's umask");
        }
    }

    @Test
    void aFullDiskNamesTheFileAndLeavesThePreviousCheckpointWhole() throws Exception {
        Path file = directory.resolve("model.ckpt");
        try (Arena arena = Arena.ofShared(); Optimizer small = trained(arena, 1)) {
            small.save(file);
        }
        byte[] previous = Files.readAllBytes(file);
        // The file size limit makes every write past 512 KiB fail as a full disk does (the JVM ignores SIGXFSZ).
        List<String> java = JdkTool.command("java", "--add-modules", "jdk.incubator.vector", "-cp", CLASS_PATH,
                CheckpointChild.class.getName(), "save-once", file.toString(), "1000000");
        String output = runToEnd(underFileSizeLimit(java));
        assertTrue(output.contains("error=cannot save a checkpoint to " + file + ": File too large"), output);
        assertArrayEquals(previous, Files.readAllBytes(file), "the previous checkpoint was changed");
        assertEquals(Set.of("model.ckpt"), names(directory), "a temporary file stayed");
    }

    private static ProcessBuilder underFileSizeLimit(List<String> java) {
        List<String> command = new ArrayList<>(List.of("bash", "-c", "ulimit -f 512 && exec \"$@\"", "bash"));
        command.addAll(java);
        return new ProcessBuilder(command);
    }

    @Test
    void temporaryFilesThatACrashLeftAreDeletedByTheNextSave() throws Exception {
        Path file = directory.resolve("model.ckpt");
        Path leftover = null;
        for (int attempt = 0; attempt < 5 && leftover == null; attempt++) {
            Process child = new ProcessBuilder(JdkTool.command("java", "--add-modules", "jdk.incubator.vector", "-cp",
                    CLASS_PATH, CheckpointChild.class.getName(), "save-forever", file.toString(), "3000000"))
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            try {
                awaitTemporaryFile(file);
            } finally {
                child.destroyForcibly();
                assertTrue(child.waitFor(30, TimeUnit.SECONDS), "the child did not die");
            }
            leftover = temporaryFiles(file).stream().findFirst().orElse(null);
        }
        assertTrue(leftover != null, "no save was ever killed midway in 5 attempts");
        try (Arena arena = Arena.ofShared(); Optimizer probe = trained(arena, 0, 3_000_000, 3)) {
            if (Files.exists(file)) {
                probe.load(file);
            }
            probe.save(file);
            assertTrue(Files.exists(leftover), "a temporary file written a moment ago was deleted");
            Files.setLastModifiedTime(leftover, FileTime.from(Instant.now().minus(Duration.ofMinutes(2))));
            probe.save(file);
            assertEquals(List.of(), temporaryFiles(file), "the crash's temporary file is still there");
            probe.load(file);
        }
    }

    private static void awaitTemporaryFile(Path file) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            for (Path temporary : temporaryFiles(file)) {
                if (Files.size(temporary) > 1 << 20) {
                    return;
                }
            }
            Thread.sleep(5);
        }
        throw new AssertionError("the child wrote no checkpoint in 60 seconds");
    }

    private static List<Path> temporaryFiles(Path file) throws IOException {
        try (Stream<Path> files = Files.list(file.getParent())) {
            return files.filter(path -> path.getFileName().toString().matches(
                    java.util.regex.Pattern.quote(file.getFileName() + ".") + "[0-9]+\\.tmp")).toList();
        } catch (java.nio.file.NoSuchFileException gone) {
            return List.of();
        }
    }

    @Test
    void onlyAbandonedTemporaryFilesOfTheSameTargetAreDeleted() throws Exception {
        Instant old = Instant.now().minus(Duration.ofMinutes(5));
        byte[] ours = CheckpointReader.MAGIC;
        Path abandoned = fake("model.ckpt.111.tmp", ours, old);
        Path abandonedEmpty = fake("model.ckpt.222.tmp", new byte[0], old);
        Path abandonedPrefix = fake("model.ckpt.223.tmp", new byte[] {'V', 'E', 'C'}, old);
        fake("model.ckpt.333.tmp", ours, Instant.now());
        fake("model.ckpt.444.tmp", "NOT OURS".getBytes(StandardCharsets.US_ASCII), old);
        fake("other.ckpt.555.tmp", ours, old);
        fake("model.ckpt.x66.tmp", ours, old);
        fake("model.ckpt.666", ours, old);
        Files.setLastModifiedTime(Files.createDirectory(directory.resolve("model.ckpt.777.tmp")), FileTime.from(old));
        Path locked = directory.resolve("model.ckpt.888.tmp");
        Process holder = new ProcessBuilder(JdkTool.command("java", "-cp", CLASS_PATH, CheckpointChild.class.getName(),
                "hold-lock", locked.toString())).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try (Arena arena = Arena.ofShared(); Optimizer optimizer = trained(arena, 1);
             BufferedReader said = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8))) {
            assertEquals("locked true", assertTimeoutPreemptively(Duration.ofSeconds(60), said::readLine));
            Files.setLastModifiedTime(locked, FileTime.from(old));
            Set<String> before = names(directory);
            optimizer.save(directory.resolve("model.ckpt"));
            Set<String> expected = new TreeSet<>(before);
            expected.removeAll(Set.of(abandoned.getFileName().toString(), abandonedEmpty.getFileName().toString(),
                    abandonedPrefix.getFileName().toString()));
            expected.add("model.ckpt");
            assertEquals(expected, names(directory));

            holder.getOutputStream().close();
            assertTrue(holder.waitFor(30, TimeUnit.SECONDS), "the lock holder did not stop");
            optimizer.save(directory.resolve("model.ckpt"));
            expected.remove(locked.getFileName().toString());
            assertEquals(expected, names(directory), "a temporary file whose process died was kept");
        } finally {
            holder.destroyForcibly();
        }
    }

    private Path fake(String name, byte[] content, Instant modified) throws IOException {
        Path file = Files.write(directory.resolve(name), content);
        Files.setLastModifiedTime(file, FileTime.from(modified));
        return file;
    }

    private static Set<String> names(Path directory) throws IOException {
        try (Stream<Path> files = Files.list(directory)) {
            return new TreeSet<>(files.map(path -> path.getFileName().toString()).toList());
        }
    }

    private static String runToEnd(ProcessBuilder builder) throws IOException {
        Process process = builder.redirectErrorStream(true).start();
        try {
            return assertTimeoutPreemptively(Duration.ofSeconds(120),
                    () -> new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        } finally {
            process.destroyForcibly();
        }
    }
}
