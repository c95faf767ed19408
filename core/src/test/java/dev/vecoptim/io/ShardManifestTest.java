package dev.vecoptim.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The manifest of a checkpoint written shard by shard: what it writes reads back; what is not one is refused. */
class ShardManifestTest {
    @TempDir
    Path directory;

    private static ShardManifest manifest() {
        return new ShardManifest(2, 7, List.of(new long[] {16, 4}, new long[] {0, 0}), List.of(
                new ShardManifest.Shard("m.0a.0-of-2", 100, 0x89abcdef), new ShardManifest.Shard("m.0a.1-of-2", 90,
                        -1)));
    }

    @Test
    void aManifestReadsBackAsWritten() throws IOException {
        Path file = directory.resolve("m");
        manifest().write(file);
        ShardManifest read = ShardManifest.read(file);
        assertEquals(2, read.processes());
        assertEquals(7, read.stepCount());
        assertArrayEquals(new long[] {16, 4}, read.groupCounts().get(0));
        assertArrayEquals(new long[] {0, 0}, read.groupCounts().get(1));
        assertEquals(manifest().shards(), read.shards());
    }

    @Test
    void aDamagedOrForeignManifestIsRefused() throws IOException {
        Path file = directory.resolve("m");
        manifest().write(file);
        byte[] bytes = Files.readAllBytes(file);
        bytes[20] ^= 1;
        Files.write(file, bytes);
        assertEquals(file + " is not a sharded checkpoint's manifest, or is damaged: its JSON is not followed by the"
                + " line of its CRC32C", assertThrows(RefusedFileException.class, () -> ShardManifest.read(file))
                .getMessage());
        Files.writeString(file, "{}");
        assertThrows(RefusedFileException.class, () -> ShardManifest.read(file));
        new ShardManifest(0, 0, List.of(), List.of()).write(file);
        assertEquals(file + " is not a sharded checkpoint's manifest: 0 files for 0 processes, at step 0",
                assertThrows(RefusedFileException.class, () -> ShardManifest.read(file)).getMessage());
        assertEquals(directory.resolve("none") + " does not exist", assertThrows(RefusedFileException.class,
                () -> ShardManifest.read(directory.resolve("none"))).getMessage());
    }

    @Test
    void aShardFileOutsideTheManifestsDirectoryIsRefused() throws IOException {
        Path file = directory.resolve("m");
        new ShardManifest(1, 0, List.of(), List.of(new ShardManifest.Shard("../elsewhere", 1, 0))).write(file);
        assertEquals(file + " is not a sharded checkpoint's manifest: a shard's file is ../elsewhere, not a name in its"
                + " directory", assertThrows(RefusedFileException.class, () -> ShardManifest.read(file)).getMessage());
    }

    @Test
    void aShardFileIsCheckedAgainstItsRecord() throws IOException {
        Path shard = Files.write(directory.resolve("s"), "shard".getBytes(StandardCharsets.UTF_8));
        ShardManifest.Shard record = ShardManifest.Shard.of(shard);
        record.check(shard);
        Files.write(shard, "shard!".getBytes(StandardCharsets.UTF_8));
        assertThrows(RefusedFileException.class, () -> record.check(shard));
        Files.delete(shard);
        assertEquals(shard + " is missing: the sharded checkpoint's manifest names it", assertThrows(
                RefusedFileException.class, () -> record.check(shard)).getMessage());
    }
}
