package dev.vecoptim;

import static dev.vecoptim.CheckpointFiles.crafted;
import static dev.vecoptim.CheckpointFiles.state;
import static dev.vecoptim.CheckpointFiles.trained;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vecoptim.io.CheckpointHeader;
import dev.vecoptim.io.CheckpointReader;
import dev.vecoptim.io.RefusedFileException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/**
 * How a checkpoint is read: in pieces of any size, with every malformed header refused for what it is, and
 * nothing left open. The files here are made by hand, most with a right CRC32C, so that each refusal gives its
 * own reason rather than "damaged".
 */
class CheckpointReaderTest {
    @TempDir
    Path directory;

    @Test
    void aCheckpointReadInPiecesOfAnySizeLoadsTheSame() throws IOException {
        try (Arena arena = Arena.ofShared(); Optimizer source = trained(arena, 2, 3000, 17, 5)) {
            Path file = directory.resolve("pieces.ckpt");
            source.save(file);
            for (int readBytes : new int[] {1, 3, 64, 4096, 1 << 20}) {
                try (Optimizer target = trained(arena, 0, 3000, 17, 5)) {
                    Checkpoint.load(target, file, readBytes, new RecordingLogger());
                    assertEquals(state(source), state(target), "read " + readBytes + " bytes at once");
                }
            }
        }
    }

    @Test
    void aDamagedFileIsCalledDamagedWhateverElseIsWrongWithIt() throws IOException {
        try (Arena arena = Arena.ofShared(); Optimizer source = trained(arena, 1, 3000, 17, 5);
             Optimizer other = Optimizer.builder().build()) {
            other.addGroup(Sgd.builder(0.1).build()).add(arena.allocate(40), arena.allocate(40));
            other.addGroup(Sgd.builder(0.1).build());
            Path file = directory.resolve("damaged.ckpt");
            source.save(file);
            for (int readBytes : new int[] {7, 1 << 20}) {
                assertRefused(other, file, readBytes, "group 0 is AdamW in the checkpoint and SGD here");
            }
            byte[] bytes = Files.readAllBytes(file);
            bytes[bytes.length - 100] ^= 1;
            Files.write(file, bytes);
            for (int readBytes : new int[] {7, 1 << 20}) {
                assertRefused(other, file, readBytes, "is damaged, truncated, or was changed while it was read");
            }
        }
    }

    @Test
    void theApiRefusesAsACheckpointExceptionWithTheFileLayersMessageCauseAndStack() throws IOException {
        Path file = Files.write(directory.resolve("short.ckpt"), new byte[] {'V', 'E', 'C'});
        try (Optimizer empty = Optimizer.builder().build()) {
            RefusedFileException below = assertThrows(RefusedFileException.class,
                    () -> Checkpoint.load(empty, file, CheckpointReader.READ_BYTES, new RecordingLogger()));
            CheckpointException thrown = assertThrows(CheckpointException.class, () -> empty.load(file));
            assertEquals(below.getMessage(), thrown.getMessage());
            assertEquals(CheckpointReader.class.getName(), thrown.getStackTrace()[0].getClassName(),
                    "the stack is where the file was refused, not where the API renamed the refusal");
        }
    }

    @Test
    void filesTooShortForACheckpointAreRefusedBySize() throws IOException {
        ByteBuffer smallest = ByteBuffer.allocate(20).order(ByteOrder.LITTLE_ENDIAN)
                .put(CheckpointReader.MAGIC).putInt(2).putInt(0);
        CRC32C crc = new CRC32C();
        crc.update(smallest.array(), 0, 16);
        smallest.putInt((int) crc.getValue());
        for (int size = 0; size < 20; size++) {
            assertRefused(Arrays.copyOf(smallest.array(), size), "is not a vecoptim checkpoint: it has " + size + " bytes");
        }
        assertRefused(smallest.array(), ": its header ends too early");
    }

    @Test
    void aHeaderLengthMustFitInTheFile() throws IOException {
        assertRefused(withHeaderLength(12, 12), "it has 32 bytes, but its header describes 68");
        assertRefused(withHeaderLength(12, 13), "its header length 13 does not fit in 32 bytes");
        assertRefused(withHeaderLength(12, -1), "its header length 4294967295 does not fit in 32 bytes");
    }

    /** The preamble, {@code actual} zero bytes of header (an empty optimizer), and a right CRC32C. */
    private static byte[] withHeaderLength(int actual, int declared) {
        ByteBuffer file = ByteBuffer.allocate(16 + actual + 4).order(ByteOrder.LITTLE_ENDIAN)
                .put(CheckpointReader.MAGIC).putInt(2).putInt(declared).position(16 + actual);
        CRC32C crc = new CRC32C();
        crc.update(file.array(), 0, 16 + actual);
        return file.putInt((int) crc.getValue()).array();
    }

    @Test
    void aHeaderDescribingMoreThan2To63BytesIsRefused() throws IOException {
        CheckpointHeader huge = new CheckpointHeader(1, List.of(new CheckpointHeader.Group("SGD", "PYTORCH_2", false,
                Sgd.builder(0.1).momentum(0.9).build().namedHyperParameters(), "",
                List.of(new CheckpointHeader.Entry((1L << 61) - 1, dev.vecoptim.kernel.Format.FLOAT32,
                        dev.vecoptim.kernel.Format.FLOAT32, 1, List.of("momentum_buffer"), Map.of(), false,
                        dev.vecoptim.kernel.Master.NONE)), dev.vecoptim.kernel.Master.NONE, null)));
        assertRefused(crafted(CheckpointReader.VERSION, bytes(huge.write()), new byte[8]),
                "but its header describes more than 2^63");
        CheckpointHeader tooHuge = new CheckpointHeader(1, List.of(new CheckpointHeader.Group("SGD", "PYTORCH_2", false,
                Sgd.builder(0.1).momentum(0.9).build().namedHyperParameters(), "",
                List.of(new CheckpointHeader.Entry(1L << 61, dev.vecoptim.kernel.Format.FLOAT32,
                        dev.vecoptim.kernel.Format.FLOAT32, 1, List.of("momentum_buffer"), Map.of(), false,
                        dev.vecoptim.kernel.Master.NONE)), dev.vecoptim.kernel.Master.NONE, null)));
        assertRefused(crafted(CheckpointReader.VERSION, bytes(tooHuge.write()), new byte[8]),
                "its header describes more than 2^63 bytes");
    }

    @Test
    void malformedHeadersOfFormat2AreRefusedForWhatTheyAre() throws IOException {
        assertRefused(version2(h -> h.putLong(1).putInt(-1)), "it counts 4294967295 groups");
        assertRefused(version2(h -> group(h, "SGD", 1).put(utf8("lr")).put((byte) 9)),
                "it holds a value of unknown type 9");
        assertRefused(version2(h -> group(h, "SGD", 1).put(utf8("nesterov")).put((byte) 2).put((byte) 2)),
                "it holds a boolean byte of 2, not 0 or 1");
        assertRefused(version2(h -> group(h, "SGD", 1).put(utf8("betas")).put((byte) 3).putInt(1 << 30)),
                "its header ends too early");
        assertRefused(version2(h -> group(h, "SGD", 2).put(utf8("lr")).put((byte) 1).putDouble(0.1)
                .put(utf8("lr")).put((byte) 1).putDouble(0.2)), "group 0 names lr twice");
        assertRefused(version2(h -> group(h, "SGD", 0).putInt(1).putLong(-4).putLong(0).putInt(0).putInt(0)),
                "a parameter of group 0 has a negative size");
        assertRefused(version2(h -> group(h, "SGD", 0).putInt(0).put((byte) 0)), "1 header bytes are left over");
    }

    @Test
    void malformedHeadersOfFormat1AreRefusedForWhatTheyAre() throws IOException {
        assertRefused(version1(h -> h.put((byte) 0).putLong(1).putInt(1)), "its optimizer code 0 is unknown");
        assertRefused(version1(h -> h.put((byte) 4).putLong(1).putInt(1)), "its optimizer code 4 is unknown");
        assertRefused(version1(h -> h.put((byte) -1).putLong(1).putInt(0)), "its optimizer code -1 is unknown");
        assertRefused(version1(h -> version1Sgd(h).putInt(1).putLong(-1).putLong(0)),
                "a parameter of group 0 has a negative size");
        assertRefused(version1(h -> h.put((byte) 1).putLong(1).putInt(1).putDouble(-0.1).putDouble(0).putDouble(0)
                .putDouble(0).putDouble(0).putDouble(0).put((byte) 0).put((byte) 0).put((byte) 0).putInt(0)),
                "group 0 holds invalid hyper-parameters: Invalid learning rate: -0.1");
        try (Optimizer sgd = Optimizer.builder().build()) {
            sgd.addGroup(Sgd.builder(0.1).semantics(Semantics.PYTORCH_1_13).build())
                    .add(MemorySegment.ofArray(new float[0]), MemorySegment.ofArray(new float[0]));
            Path file = directory.resolve("empty-parameter-v1.ckpt");
            Files.write(file, crafted(1, header(h -> version1Sgd(h).putInt(1).putLong(0).putLong(1)), new byte[0]));
            sgd.load(file);
            assertEquals(1, sgd.groups().getFirst().parameters().getFirst().stepCount());
        }
        try (Optimizer empty = Optimizer.builder().build()) {
            Path file = directory.resolve("empty-v1.ckpt");
            Files.write(file, crafted(1, header(h -> h.put((byte) 0).putLong(7).putInt(0)), new byte[0]));
            empty.load(file);
            assertEquals(7, empty.stepCount(), "an optimizer without groups loads its step count");
        }
    }

    /** An SGD group of format 1 with lr 0.1 and no momentum, up to its parameter count. */
    private static ByteBuffer version1Sgd(ByteBuffer header) {
        return header.put((byte) 1).putLong(1).putInt(1).putDouble(0.1).putDouble(0).putDouble(0).putDouble(0)
                .putDouble(0).putDouble(0).put((byte) 0).put((byte) 0).put((byte) 0);
    }

    /** Steps 1, one group of {@code optimizer} with {@code hyperParameters} entries to follow. */
    private static ByteBuffer group(ByteBuffer header, String optimizer, int hyperParameters) {
        return header.putLong(1).putInt(1).put(utf8(optimizer)).put(utf8("PYTORCH_2")).putInt(hyperParameters);
    }

    private static byte[] utf8(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(2 + bytes.length).order(ByteOrder.LITTLE_ENDIAN).putShort((short) bytes.length)
                .put(bytes).array();
    }

    private static byte[] version1(Consumer<ByteBuffer> header) {
        return crafted(1, header(header), new byte[0]);
    }

    private static byte[] version2(Consumer<ByteBuffer> header) {
        return crafted(2, header(header), new byte[0]);
    }

    private static byte[] header(Consumer<ByteBuffer> writer) {
        ByteBuffer header = ByteBuffer.allocate(1 << 12).order(ByteOrder.LITTLE_ENDIAN);
        writer.accept(header);
        return Arrays.copyOf(header.array(), header.position());
    }

    private static byte[] bytes(ByteBuffer buffer) {
        byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);
        return bytes;
    }

    @Test
    void thePayloadStartsAtTheNextMultipleOf64Bytes() {
        assertEquals(0, CheckpointReader.align(0));
        assertEquals(64, CheckpointReader.align(1));
        assertEquals(64, CheckpointReader.align(63));
        assertEquals(64, CheckpointReader.align(64));
        assertEquals(128, CheckpointReader.align(65));
    }

    @Test
    @EnabledOnOs(OS.LINUX)
    void noSaveOrLoadLeavesAFileOpen() throws IOException {
        try (Arena arena = Arena.ofShared(); Optimizer source = trained(arena, 1); Optimizer target = trained(arena, 0);
             Optimizer other = Optimizer.builder().build()) {
            other.addGroup(Sgd.builder(0.1).build());
            Path file = directory.resolve("open.ckpt");
            Path damaged = directory.resolve("damaged.ckpt");
            long before = openFiles();
            for (int round = 0; round < 25; round++) {
                source.save(file);
                target.load(file);
                assertThrows(CheckpointException.class, () -> other.load(file));
                Files.write(damaged, Arrays.copyOf(Files.readAllBytes(file), 100));
                assertThrows(CheckpointException.class, () -> target.load(damaged));
                assertThrows(CheckpointException.class, () -> target.load(directory));
            }
            long after = openFiles();
            assertTrue(after < before + 10, "open files went from " + before + " to " + after);
        }
    }

    private static long openFiles() throws IOException {
        try (Stream<Path> descriptors = Files.list(Path.of("/proc/self/fd"))) {
            return descriptors.count();
        }
    }

    private void assertRefused(byte[] bytes, String message) throws IOException {
        Path file = Files.write(directory.resolve("crafted.ckpt"), bytes);
        try (Optimizer empty = Optimizer.builder().build()) {
            assertRefused(empty, file, CheckpointReader.READ_BYTES, message);
        }
    }

    private static void assertRefused(Optimizer optimizer, Path file, int readBytes, String message) {
        RefusedFileException thrown = assertThrows(RefusedFileException.class,
                () -> Checkpoint.load(optimizer, file, readBytes, new RecordingLogger()));
        assertTrue(thrown.getMessage().contains(message), () -> "'" + thrown.getMessage() + "' lacks '" + message + "'");
    }
}
