package dev.vecoptim.io;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Arrays;
import java.util.zip.CRC32;

/**
 * Reads a safetensors file header first: {@link #open} reads and checks only the length and the header, so
 * that everything the header decides is decided before a byte of data is read or memory is allocated for it;
 * {@link #data} then reads the data into memory the caller owns (never a mapping, which another process could
 * change or truncate under it) and checks it.
 *
 * <p>A file that changes while it is read is refused: the file system's record of it is compared before and
 * after ({@link FileSnapshot}), and one that carries vecoptim's checksum ({@link Safetensors}) must match it.
 * For a file without (PyTorch's), whose record is all there is, the data is read only once a change made
 * since the header was read would show (a tick of the file system's clock after its last change).
 */
public final class SafetensorsReader implements AutoCloseable {
    /** Opens a file's channel for reading: tests count what is read through it. */
    public interface Opener {
        FileChannel open(Path file) throws IOException;
    }

    public static final Opener FILE = file -> FileChannel.open(file, StandardOpenOption.READ);
    /** The buffer a refusal checks the checksum through, so that it needs no memory the size of the file. */
    private static final int CHECK_BYTES = 1 << 16;
    private static final ValueLayout.OfLong FILE_LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Path file;
    private final FileChannel channel;
    private final FileSnapshot before;
    private final Safetensors.Header header;
    private final int readBytes;

    private SafetensorsReader(Path file, FileChannel channel, FileSnapshot before, Safetensors.Header header,
                              int readBytes) {
        this.file = file;
        this.channel = channel;
        this.before = before;
        this.header = header;
        this.readBytes = readBytes;
    }

    /**
     * Opens {@code file} and reads its header, which may have at most {@code maxHeaderBytes} bytes ({@code whose}
     * says, in a refusal, what sets that bound).
     *
     * @throws RefusedFileException naming the file, if it is not a regular file or not safetensors
     */
    public static SafetensorsReader open(Path file, long maxHeaderBytes, String whose, Opener opener, int readBytes)
            throws IOException {
        BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
        if (!attributes.isRegularFile()) {
            throw new RefusedFileException(file + (attributes.isDirectory() ? " is a directory" : " is not a regular file")
                    + ", not a safetensors file");
        }
        FileSnapshot before = FileSnapshot.of(file);
        FileChannel channel = opener.open(file);
        try {
            return new SafetensorsReader(file, channel, before, readHeader(file, channel, maxHeaderBytes, whose,
                    readBytes), readBytes);
        } catch (IOException | RuntimeException | Error e) {
            channel.close();
            throw e;
        }
    }

    private static Safetensors.Header readHeader(Path file, FileChannel channel, long maxHeaderBytes, String whose,
                                                 int readBytes) throws IOException {
        long size = channel.size();
        if (size < Safetensors.LENGTH_BYTES) {
            throw Safetensors.refused(file, "it has " + size + " bytes, fewer than a header length");
        }
        MemorySegment lengthBytes = MemorySegment.ofArray(new byte[Safetensors.LENGTH_BYTES]);
        CheckpointReader.readFully(file, channel, 0, lengthBytes, readBytes);
        if (Arrays.equals(lengthBytes.toArray(ValueLayout.JAVA_BYTE), CheckpointReader.MAGIC)) {
            throw Safetensors.refused(file, "it is a vecoptim checkpoint, not a state dict: Optimizer.load(path)"
                    + " loads it");
        }
        long headerBytes = lengthBytes.get(FILE_LONG, 0);
        String length = "its header length " + Long.toUnsignedString(headerBytes);
        if (Long.compareUnsigned(headerBytes, Safetensors.MAX_HEADER_BYTES) > 0) {
            throw Safetensors.refused(file, length + " is beyond safetensors' limit of "
                    + Safetensors.MAX_HEADER_BYTES + " bytes");
        }
        if (headerBytes < 2) {
            throw Safetensors.refused(file, length + " leaves no room for a JSON object");
        }
        if (headerBytes > maxHeaderBytes) {
            throw Safetensors.refused(file, length + " is more than " + whose + " can need (" + maxHeaderBytes
                    + " bytes)");
        }
        if (headerBytes > size - Safetensors.LENGTH_BYTES) {
            throw Safetensors.refused(file, length + " is more than the " + (size - Safetensors.LENGTH_BYTES)
                    + " bytes after it");
        }
        byte[] start = new byte[(int) (Safetensors.LENGTH_BYTES + headerBytes)];
        CheckpointReader.readFully(file, channel, 0, MemorySegment.ofArray(start), readBytes);
        return Safetensors.parse(file, start, size);
    }

    public Safetensors.Header header() {
        return header;
    }

    /**
     * Reads the data, every byte after the header, into memory of {@code arena}, and checks that it is what the
     * file held: its checksum, if it has one, and that the file did not change while it was read.
     *
     * @throws RefusedFileException if the memory cannot be allocated, or the file is damaged or changed
     */
    public MemorySegment data(Arena arena) throws IOException {
        if (!header.signed()) {
            String change = before.change(before.settled(file));
            if (change != null) {
                throw changed(change);
            }
        }
        MemorySegment data;
        try {
            data = arena.allocate(header.dataBytes(), Safetensors.ALIGNMENT);
        } catch (OutOfMemoryError | IllegalArgumentException | IllegalStateException cannot) {
            throw new RefusedFileException(file + ": cannot allocate the " + header.dataBytes() + " bytes to read its"
                    + " state into (" + cannot.getMessage() + "); nothing was loaded", cannot);
        }
        CheckpointReader.readFully(file, channel, header.start().length, data, readBytes);
        if (header.signed()) {
            CRC32 crc = header.checksumOfStart();
            for (long from = 0; from < data.byteSize(); from += readBytes) {
                crc.update(data.asSlice(from, Math.min(readBytes, data.byteSize() - from)).asByteBuffer());
            }
            if (crc.getValue() != header.declaredChecksum()) {
                throw damaged();
            }
        }
        String change = before.change(FileSnapshot.of(file));
        if (change != null) {
            throw changed(change);
        }
        return data;
    }

    private RefusedFileException changed(String change) {
        return new RefusedFileException(file + " changed while it was read (" + change + "); nothing was loaded");
    }

    /**
     * {@code refusal}, or, if the file is signed and its checksum does not match, that it is damaged: so that a
     * damaged file is called damaged rather than, say, of another optimizer. Reads the file in pieces, with
     * memory bounded whatever its size.
     */
    public RefusedFileException refusal(RefusedFileException refusal) throws IOException {
        if (!header.signed()) {
            return refusal;
        }
        CRC32 crc = header.checksumOfStart();
        ByteBuffer buffer = ByteBuffer.allocate(Math.min(readBytes, CHECK_BYTES));
        long end = header.start().length + header.dataBytes();
        for (long position = header.start().length; position < end; ) {
            buffer.clear().limit((int) Math.min(buffer.capacity(), end - position));
            int read = channel.read(buffer, position);
            if (read < 0) {
                return damaged();
            }
            crc.update(buffer.flip());
            position += read;
        }
        return crc.getValue() == header.declaredChecksum() ? refusal : damaged();
    }

    private RefusedFileException damaged() {
        return new RefusedFileException(file + " is damaged, truncated, or was changed while it was read: its "
                + Safetensors.CHECKSUM + " does not match its contents; nothing was loaded");
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
